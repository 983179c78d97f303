/**
 * Hostile input (ARCHITECTURE B5.1): every XFRM/netlink decoder returns a
 * value or throws WireError, never RangeError/TypeError, never hangs, for
 * random bytes and for mutations of real kernel messages (golden/*.hex).
 * Time-boxed with fast-check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { repoPath } from '../../helpers/paths.js';
import { WireError } from '../../../src/util/errors.js';
import { decodeAttrs, decodeError, decodeMessages, type NlMessage } from '../../../src/kernel/xfrm/netlink.js';
import { decodeSaMessage } from '../../../src/kernel/xfrm/xfrm-messages.js';
import { decodeAcquire, decodeExpire, decodePolicyMessage } from '../../../src/kernel/xfrm/xfrm-policy.js';
import { handleEventMessage } from '../../../src/kernel/xfrm/xfrm-events.js';
import { ReqidTag } from '../../../src/kernel/xfrm/ownership.js';
import { XfrmMsg } from '../../../src/kernel/xfrm/xfrm-const.js';

const opts = { numRuns: 1_000_000, interruptAfterTimeLimit: 700, markInterruptAsFailure: false } as const;

function seeds(): Uint8Array[] {
  const dir = repoPath('test', 'unit', 'xfrm', 'golden');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .map((f) => {
      const hex = readFileSync(`${dir}/${f}`, 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('');
      return Uint8Array.from(Buffer.from(hex, 'hex'));
    });
}

function onlyWireError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof WireError) return true;
    throw e;
  }
}

const hooks = { isInstalled: () => true, emit: () => undefined, count: () => undefined };
const tag = new ReqidTag();

/** every decoder over one payload */
function decodeAll(payload: Uint8Array): void {
  const m: NlMessage = { type: 2, flags: 0x200, seq: 1, pid: 0, payload };
  onlyWireError(() => decodeError(m));
  onlyWireError(() => decodeError({ ...m, flags: 0x100 }));
  onlyWireError(() => decodeAttrs(payload));
  onlyWireError(() => decodeSaMessage(payload));
  onlyWireError(() => decodePolicyMessage(payload));
  onlyWireError(() => decodeAcquire(payload));
  onlyWireError(() => decodeExpire(payload));
  onlyWireError(() => handleEventMessage(XfrmMsg.ACQUIRE, payload, tag, hooks));
  onlyWireError(() => handleEventMessage(XfrmMsg.EXPIRE, payload, tag, hooks));
}

test('random bytes: decoders throw only WireError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      onlyWireError(() => decodeMessages(b));
      decodeAll(b);
      return true;
    }),
    opts,
  );
});

test('mutated kernel messages: decoders throw only WireError', () => {
  const corpus = seeds();
  assert.ok(corpus.length >= 10, 'golden corpus present');
  const mutated = fc
    .tuple(fc.constantFrom(...corpus), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat())
    .map(([seed, edits, cut]) => {
      const b = seed.slice();
      for (const [pos, val] of edits) b[pos % b.length] = val;
      return cut % 4 === 0 ? b.subarray(0, cut % (b.length + 1)) : b;
    });
  fc.assert(
    fc.property(mutated, (b) => {
      let msgs: NlMessage[] = [];
      onlyWireError(() => {
        msgs = decodeMessages(b);
      });
      for (const m of msgs) decodeAll(m.payload);
      decodeAll(b.subarray(Math.min(16, b.length)));
      return true;
    }),
    opts,
  );
});

test('bad lengths are rejected with WireError, not read past', () => {
  const b = new Uint8Array(20);
  new DataView(b.buffer).setUint32(0, 4000, true); // nlmsg_len larger than the datagram
  assert.throws(() => decodeMessages(b), WireError);
  new DataView(b.buffer).setUint32(0, 8, true); // shorter than a header
  assert.throws(() => decodeMessages(b), WireError);
  const attr = Uint8Array.of(200, 0, 1, 0, 0, 0); // nla_len 200 in 6 octets
  assert.throws(() => decodeAttrs(attr), WireError);
  assert.throws(() => decodeSaMessage(new Uint8Array(100)), WireError);
  assert.throws(() => decodeAcquire(new Uint8Array(279)), WireError);
});
