/**
 * ISAKMP codec (RFC 2408 §3): round trips, canonical re-encoding, and the
 * hostile-input rules (truncation at every offset, bad lengths, caps).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { V1IdType, V1Payload } from '../../../src/iana/ikev1.js';
import { WireError } from '../../../src/util/errors.js';
import { attributeNumber, decodeAttributes, encodeAttributes, numberAttribute } from '../../../src/wire/ikev1/attributes.js';
import { decodeV1Chain, encodeV1Chain, findV1 } from '../../../src/wire/ikev1/chain.js';
import { decodeIsakmpHeader } from '../../../src/wire/ikev1/header.js';
import { decodeIsakmp, encodeIsakmp } from '../../../src/wire/ikev1/message.js';
import type { IsakmpPayload } from '../../../src/wire/ikev1/types.js';

import { sampleV1Header, sampleV1Payloads } from './samples.js';

function wire(fn: () => unknown, code?: string): void {
  assert.throws(fn, (e: unknown) => e instanceof WireError && (code === undefined || e.code === code));
}

describe('ISAKMP codec', () => {
  test('message round trip is exact and stable', () => {
    const bytes = encodeIsakmp(sampleV1Header, sampleV1Payloads);
    const m = decodeIsakmp(bytes);
    assert.equal(m.header.length, bytes.length);
    assert.deepEqual(m.entries.map((e) => e.payload), sampleV1Payloads);
    assert.deepEqual(encodeIsakmp(m.header, m.entries.map((e) => e.payload)), bytes);
    // entry offsets cover the chain without gaps
    let at = 0;
    for (const e of m.entries) {
      assert.equal(e.start, at);
      at = e.end;
    }
    assert.equal(at, bytes.length - 28);
  });

  test('attributes: TV vs TLV, numeric values', () => {
    const attrs = [numberAttribute(1, 7), numberAttribute(12, 86400), { type: 6, format: 'tlv' as const, value: new Uint8Array([1, 2, 3]) }];
    assert.equal(attrs[0]?.format, 'tv');
    assert.equal(attrs[1]?.format, 'tlv');
    const enc = encodeAttributes(attrs).finish();
    assert.deepEqual(Array.from(enc.subarray(0, 4)), [0x80, 0x01, 0x00, 0x07]);
    const dec = decodeAttributes(enc);
    assert.deepEqual(dec, attrs);
    assert.equal(attributeNumber(dec[1] ?? numberAttribute(0, 0)), 86400);
    wire(() => decodeAttributes(new Uint8Array([0x00, 0x0c, 0x00, 0x08, 1])), 'IKE_ERR_DECODE_TRUNCATED');
  });

  test('truncation at every offset throws WireError only', () => {
    const bytes = encodeIsakmp(sampleV1Header, sampleV1Payloads);
    for (let n = 0; n < bytes.length; n++) wire(() => decodeIsakmp(bytes.subarray(0, n)));
    // the header length claims more than was received
    const cut = bytes.slice(0, bytes.length - 1);
    wire(() => decodeIsakmpHeader(cut), 'IKE_ERR_DECODE_TRUNCATED');
  });

  test('payload length below 4 and beyond the buffer', () => {
    const { bytes } = encodeV1Chain([{ type: V1Payload.VID, data: new Uint8Array(4) }]);
    const small = bytes.slice();
    small[3] = 3;
    wire(() => decodeV1Chain(V1Payload.VID, small), 'IKE_ERR_DECODE_LENGTH');
    const big = bytes.slice();
    big[3] = 9;
    wire(() => decodeV1Chain(V1Payload.VID, big), 'IKE_ERR_DECODE_TRUNCATED');
  });

  test('trailing bytes: rejected in cleartext, allowed as CBC padding', () => {
    const { bytes } = encodeV1Chain([{ type: V1Payload.HASH, data: new Uint8Array(20) }]);
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes);
    wire(() => decodeV1Chain(V1Payload.HASH, padded), 'IKE_ERR_DECODE_TRAILING');
    assert.equal(decodeV1Chain(V1Payload.HASH, padded, { allowTrailing: true }).length, 1);
  });

  test('proposal/transform payload types outside an SA are malformed', () => {
    wire(() => decodeV1Chain(V1Payload.PROPOSAL, new Uint8Array([0, 0, 0, 8, 1, 1, 0, 0])), 'IKE_ERR_DECODE_STRUCTURE');
  });

  test('transform count must match, and a proposal needs transforms', () => {
    const bytes = encodeV1Chain([sampleV1Payloads[0] as IsakmpPayload]).bytes;
    // proposal header sits after generic header (4) + DOI/situation (8); "# of transforms" at +7
    const wrong = bytes.slice();
    wrong[12 + 7] = 3;
    wire(() => decodeV1Chain(V1Payload.SA, wrong), 'IKE_ERR_DECODE_STRUCTURE');
    const none = bytes.slice();
    none[12 + 7] = 0;
    wire(() => decodeV1Chain(V1Payload.SA, none), 'IKE_ERR_DECODE_STRUCTURE');
  });

  test('ID payloads of address types must have the exact size', () => {
    const { bytes } = encodeV1Chain([{ type: V1Payload.ID, idType: V1IdType.ID_IPV6_ADDR_SUBNET, protocolId: 0, port: 0, data: new Uint8Array(32) }]);
    assert.equal(decodeV1Chain(V1Payload.ID, bytes).length, 1);
    const short = bytes.slice(0, bytes.length - 1);
    short[3] = (short[3] ?? 0) - 1;
    wire(() => decodeV1Chain(V1Payload.ID, short), 'IKE_ERR_DECODE_LENGTH');
  });

  test('nonce size limits (RFC 2409 §5: 8..256)', () => {
    wire(() => decodeV1Chain(V1Payload.NONCE, encodeV1Chain([{ type: V1Payload.NONCE, data: new Uint8Array(7) } as IsakmpPayload]).bytes), 'IKE_ERR_DECODE_LENGTH');
  });

  test('Delete: SPI array length checked before reading, count capped', () => {
    const d = encodeV1Chain([{ type: V1Payload.D, doi: 1, protocolId: 3, spiSize: 4, spis: [new Uint8Array(4)] }]).bytes;
    const lie = d.slice();
    lie[11] = 2; // claims two SPIs
    wire(() => decodeV1Chain(V1Payload.D, lie), 'IKE_ERR_DECODE_TRUNCATED');
    const many = d.slice();
    many[10] = 0xff;
    wire(() => decodeV1Chain(V1Payload.D, many), 'IKE_ERR_DECODE_TOO_MANY');
  });

  test('payload count is capped', () => {
    const vids: IsakmpPayload[] = Array.from({ length: 65 }, () => ({ type: V1Payload.VID, data: new Uint8Array(0) }));
    const { bytes } = encodeV1Chain(vids.slice(0, 64));
    assert.equal(decodeV1Chain(V1Payload.VID, bytes).length, 64);
    // build 65 by hand (the encoder refuses more than the cap too)
    const extra = new Uint8Array(bytes.length + 4);
    extra.set(bytes);
    extra[bytes.length - 4] = V1Payload.VID;
    extra.set([0, 0, 0, 4], bytes.length);
    wire(() => decodeV1Chain(V1Payload.VID, extra), 'IKE_ERR_DECODE_TOO_MANY');
  });

  test('header: version, length and flags', () => {
    const bytes = encodeIsakmp(sampleV1Header, [{ type: V1Payload.VID, data: new Uint8Array(4) }]);
    const v2 = bytes.slice();
    v2[17] = 0x20;
    wire(() => decodeIsakmpHeader(v2), 'IKE_ERR_VERSION');
    const minor = bytes.slice();
    minor[17] = 0x11;
    wire(() => decodeIsakmpHeader(minor), 'IKE_ERR_VERSION');
    const enc = bytes.slice();
    enc[19] = 0x01;
    const m = decodeIsakmp(enc);
    assert.equal(m.header.encrypted, true);
    assert.equal(m.entries.length, 0);
    assert.equal(m.body.length, bytes.length - 28);
    assert.ok(findV1(decodeIsakmp(bytes).entries, V1Payload.VID));
  });
});
