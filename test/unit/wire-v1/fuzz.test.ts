/**
 * Decoder invariant for the ISAKMP codec (ARCHITECTURE B5.1): any byte string
 * decodes or throws WireError (never RangeError/TypeError, never hangs).
 * Inputs: random bytes, and mutations of the cleartext IKEv1 messages of the
 * fixture captures. Time-boxed (fast-check interruptAfterTimeLimit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../../src/util/errors.js';
import { decodeV1Chain } from '../../../src/wire/ikev1/chain.js';
import { decodeIsakmp, encodeIsakmp } from '../../../src/wire/ikev1/message.js';
import { sampleV1Header, sampleV1Payloads } from './samples.js';
import { v1Captures, v1Messages } from './load.js';

const opts = { numRuns: 1_000_000, interruptAfterTimeLimit: 700, markInterruptAsFailure: false } as const;

function onlyWireError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof WireError) return true;
    throw e;
  }
}

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [encodeIsakmp(sampleV1Header, sampleV1Payloads)];
  for (const f of v1Captures()) {
    for (const { bytes } of v1Messages(f)) {
      try {
        if (decodeIsakmp(bytes).entries.length > 0) out.push(bytes.slice());
      } catch {
        // refused seeds are covered by captures.test.ts
      }
    }
  }
  return out;
}

test('random bytes: decodeIsakmp / decodeV1Chain only throw WireError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 255 }), (b, first) => {
      return onlyWireError(() => decodeIsakmp(b)) && onlyWireError(() => decodeV1Chain(first, b)) && onlyWireError(() => decodeV1Chain(first, b, { allowTrailing: true }));
    }),
    opts,
  );
});

test('mutated capture messages: decode or WireError', () => {
  const corpus = seeds();
  assert.ok(corpus.length > 20);
  const mutation = fc.record({
    seed: fc.integer({ min: 0, max: corpus.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
    cut: fc.option(fc.nat()),
  });
  fc.assert(
    fc.property(mutation, ({ seed, edits, cut }) => {
      const base = corpus[seed] ?? new Uint8Array(0);
      const b = base.slice();
      for (const [pos, val] of edits) if (b.length > 0) b[pos % b.length] = val;
      const input = cut === null ? b : b.subarray(0, cut % (b.length + 1));
      return onlyWireError(() => decodeIsakmp(input));
    }),
    opts,
  );
});
