/**
 * Decoder invariant (ARCHITECTURE B5.1): decoding any byte string returns a
 * value or throws WireError, never RangeError/TypeError, never hangs. Inputs:
 * random bytes and mutations (bit flips, truncations, insertions, overwrites)
 * of the valid IKEv2 messages in test/fixtures/wire (provenance:
 * test/vectors/PROVENANCE.md). Time-boxed to about 5 s in total.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMessage, encodeMessage } from '../../src/wire/ikev2/message.js';
import { decodePayloadChain } from '../../src/wire/ikev2/chain.js';
import { WireError } from '../../src/util/errors.js';
import { corpusPayloads, isIkev2 } from '../unit/wire/load-fixtures.js';
import { sampleHeader, samplePayloads } from '../unit/wire/samples.js';

const TIME_BOX_MS = 1000;
const opts = { numRuns: 1_000_000, interruptAfterTimeLimit: TIME_BOX_MS, markInterruptAsFailure: false } as const;

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [encodeMessage(sampleHeader, samplePayloads)];
  for (const { bytes } of corpusPayloads()) {
    if (!isIkev2(bytes)) continue;
    try {
      decodeMessage(bytes);
      out.push(bytes.slice());
    } catch {
      // malformed seeds are covered by the fixture tests
    }
  }
  return out;
}

/** Runs `fn`; returns true when it returned or threw a WireError. */
function onlyWireError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof WireError) return true;
    throw e; // surfaces the bad error type in the failure report
  }
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'set'; at: number; value: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 3, 4, 0x7f, 0x80, 0xff, 33, 41, 46, 53) }),
);

function mutate(seed: Uint8Array, ms: readonly Mutation[], fixLength: boolean): Uint8Array {
  let b = seed.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] = (b[at] ?? 0) ^ (1 << m.bit);
    else if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'truncate') b = b.slice(0, at);
    else {
      const n = new Uint8Array(b.length + m.bytes.length);
      n.set(b.subarray(0, at));
      n.set(m.bytes, at);
      n.set(b.subarray(at), at + m.bytes.length);
      b = n;
    }
  }
  // Patch the header Length so mutations reach the payload decoders instead
  // of all stopping at the length check.
  if (fixLength && b.length >= 28) new DataView(b.buffer, b.byteOffset).setUint32(24, b.length);
  return b;
}

describe('wire decoder fuzzing (fast-check)', () => {
  const corpus = seeds();
  test('seed corpus is non-trivial', () => {
    assert.ok(corpus.length >= 50, `${corpus.length} seeds`);
  });

  test('random bytes: decodeMessage and decodePayloadChain return or throw WireError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 255 }), (bytes, first) => {
        assert.ok(onlyWireError(() => decodeMessage(bytes)));
        assert.ok(onlyWireError(() => decodePayloadChain(first, bytes)));
        assert.ok(onlyWireError(() => decodePayloadChain(first, bytes, { inner: true })));
      }),
      opts,
    );
  });

  test('random bytes behind a valid IKEv2 header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 33, max: 53 }), (body, first) => {
        const hdr = encodeMessage(sampleHeader, []).slice();
        hdr[16] = first;
        const b = new Uint8Array(28 + body.length);
        b.set(hdr);
        b.set(body, 28);
        new DataView(b.buffer).setUint32(24, b.length);
        assert.ok(onlyWireError(() => decodeMessage(b)));
      }),
      opts,
    );
  });

  test('mutated captured messages: WireError only, and anything decoded re-encodes stably', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: corpus.length - 1 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (i, ms, fixLength) => {
          const b = mutate(corpus[i] ?? new Uint8Array(0), ms, fixLength);
          let decoded: ReturnType<typeof decodeMessage> | undefined;
          assert.ok(onlyWireError(() => { decoded = decodeMessage(b); }));
          if (b.length > 28) assert.ok(onlyWireError(() => decodePayloadChain(b[16] ?? 0, b.subarray(28))));
          if (decoded !== undefined) {
            // whatever we accept, we can write back, and it reads the same
            const again = decodeMessage(encodeMessage(decoded.header, decoded.payloads));
            assert.deepEqual(again.payloads, decoded.payloads);
          }
        },
      ),
      { ...opts, interruptAfterTimeLimit: 2 * TIME_BOX_MS },
    );
  });
});
