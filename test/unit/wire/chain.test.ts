import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePayloadChain, encodeGenericHeader, encodePayloadChain, payloadTypeOf } from '../../../src/wire/ikev2/chain.js';
import { decodeMessage, encodeMessage } from '../../../src/wire/ikev2/message.js';
import { concatBytes, fromHex, toHex } from '../../../src/util/bytes.js';
import { KeywayError, WireError } from '../../../src/util/errors.js';
import type { Payload } from '../../../src/wire/ikev2/types.js';
import { sampleHeader, samplePayloads, sampleSk, sampleSkf } from './samples.js';

function code(c: string): (e: unknown) => boolean {
  return (e: unknown) => e instanceof WireError && e.code === c;
}
const vid = (n: number): Payload => ({ type: 43, critical: false, data: new Uint8Array([n]) });

describe('payload chain (RFC 7296 §3.2)', () => {
  test('round trip of every payload type in one chain, stable re-encode', () => {
    const { firstType, bytes } = encodePayloadChain(samplePayloads);
    assert.equal(firstType, 33);
    const back = decodePayloadChain(firstType, bytes);
    assert.deepEqual(back, samplePayloads);
    assert.deepEqual(encodePayloadChain(back).bytes, bytes);
  });
  test('SK as the last payload carries the first inner type; decoding stops there', () => {
    for (const sk of [sampleSk, sampleSkf]) {
      const chain: Payload[] = [vid(1), sk];
      const { firstType, bytes } = encodePayloadChain(chain);
      assert.equal(firstType, 43);
      // the SK generic header's Next Payload is IDi (35), not NONE
      assert.equal(bytes[5], 35);
      assert.deepEqual(decodePayloadChain(firstType, bytes), chain);
    }
    assert.throws(() => encodePayloadChain([sampleSk, vid(1)]), KeywayError);
  });
  test('bytes after SK are refused (§3.14 SK MUST be last)', () => {
    const { bytes } = encodePayloadChain([sampleSk]);
    assert.throws(() => decodePayloadChain(46, concatBytes(bytes, fromHex('00000004'))), code('IKE_ERR_DECODE_SK_NOT_LAST'));
  });
  test('SK inside SK is refused when decoding inner payloads', () => {
    const { bytes } = encodePayloadChain([sampleSk]);
    assert.throws(() => decodePayloadChain(46, bytes, { inner: true }), code('IKE_ERR_DECODE_STRUCTURE'));
  });
  test('generic header encoding', () => {
    assert.equal(toHex(encodeGenericHeader(41, true, 8)), '29800008');
    assert.throws(() => encodeGenericHeader(0, false, 3), KeywayError);
  });
  test('payload length < 4 and > remaining', () => {
    assert.throws(() => decodePayloadChain(43, fromHex('00000003')), code('IKE_ERR_DECODE_LENGTH'));
    assert.throws(() => decodePayloadChain(43, fromHex('00000009 0102')), code('IKE_ERR_DECODE_TRUNCATED'));
    assert.throws(() => decodePayloadChain(43, fromHex('2b000005 01 2b00')), code('IKE_ERR_DECODE_TRUNCATED'));
  });
  test('a next payload announced with no bytes left, and trailing bytes after NONE', () => {
    assert.throws(() => decodePayloadChain(43, fromHex('2b000005 01')), code('IKE_ERR_DECODE_TRUNCATED'));
    assert.throws(() => decodePayloadChain(43, fromHex('00000005 01 00')), code('IKE_ERR_DECODE_TRAILING'));
    assert.deepEqual(decodePayloadChain(0, new Uint8Array(0)), []);
  });
  test('critical unknown payload is decoded as UnknownPayload with critical set', () => {
    const ps = decodePayloadChain(200, fromHex('2b800006 beef 00000005 01'));
    assert.equal(ps.length, 2);
    const u = ps[0];
    assert.ok(u !== undefined && u.type === 'unknown' && u.critical && u.rawType === 200);
    assert.equal(payloadTypeOf(u), 200);
  });
  test('more than 128 payloads are refused, 128 are fine', () => {
    const many = (n: number): Uint8Array => encodePayloadChain(Array.from({ length: n }, (_, i) => vid(i & 0xff))).bytes;
    assert.equal(decodePayloadChain(43, many(128)).length, 128);
    // make the 128th payload point at one more VID instead of NONE
    const patched = many(128);
    patched[patched.length - 5] = 43;
    const extra = concatBytes(patched, fromHex('00000005 01'));
    assert.throws(() => decodePayloadChain(43, extra), code('IKE_ERR_DECODE_TOO_MANY'));
  });
  test('errors carry the absolute offset and payload type', () => {
    const { bytes } = encodePayloadChain([vid(1), { type: 40, critical: false, data: new Uint8Array(16) }]);
    const bad = bytes.slice(0, bytes.length - 1);
    bad[7] = 0;
    bad[8] = 4 + 15; // nonce payload length -> 15-byte nonce
    assert.throws(() => decodePayloadChain(43, bad), (e: unknown) => e instanceof WireError && e.payloadType === 40 && e.offset === 9);
  });
});

describe('message (header + chain)', () => {
  const msg = encodeMessage(sampleHeader, samplePayloads.slice(0, 3));
  test('round trip and canonical', () => {
    const m = decodeMessage(msg);
    assert.equal(m.header.length, msg.length);
    assert.equal(m.header.nextPayload, 33);
    assert.deepEqual(m.payloads, samplePayloads.slice(0, 3));
    assert.deepEqual(encodeMessage(m.header, m.payloads), msg);
  });
  test('truncation at every offset throws WireError', () => {
    for (let n = 0; n < msg.length; n++) {
      assert.throws(() => decodeMessage(msg.subarray(0, n)), WireError, `length ${n}`);
    }
  });
  test('header length must equal the datagram length', () => {
    assert.throws(() => decodeMessage(concatBytes(msg, new Uint8Array(1))), code('IKE_ERR_DECODE_LENGTH'));
  });
  test('payload errors are reported at message offsets', () => {
    const bad = msg.slice();
    bad[28 + 2] = 0;
    bad[28 + 3] = 2; // SA payload length 2
    assert.throws(() => decodeMessage(bad), (e: unknown) => e instanceof WireError && e.offset === 30 && e.code === 'IKE_ERR_DECODE_LENGTH');
  });
});
