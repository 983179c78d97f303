import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePayloadBody, encodePayloadBody, payloadTypeOf } from '../../../src/wire/ikev2/body.js';
import { decodeSaBody, encodeSaBody } from '../../../src/wire/ikev2/payloads/sa.js';
import { decodeTsBody, encodeTsBody } from '../../../src/wire/ikev2/payloads/ts.js';
import { decodeNonceBody } from '../../../src/wire/ikev2/payloads/nonce.js';
import { decodeNotifyBody } from '../../../src/wire/ikev2/payloads/notify.js';
import { decodeDeleteBody } from '../../../src/wire/ikev2/payloads/delete.js';
import { decodeSkfBody } from '../../../src/wire/ikev2/payloads/sk.js';
import { decodeCpBody } from '../../../src/wire/ikev2/payloads/cp.js';
import { decodeIdBody } from '../../../src/wire/ikev2/payloads/id.js';
import { decodeKeBody } from '../../../src/wire/ikev2/payloads/ke.js';
import { decodeAuthBody } from '../../../src/wire/ikev2/payloads/auth.js';
import type { Payload, SaPayload } from '../../../src/wire/ikev2/types.js';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { KeywayError, WireError } from '../../../src/util/errors.js';
import { samplePayloads, sampleSk, sampleSkf } from './samples.js';

function roundTrip(p: Payload): void {
  const body = encodePayloadBody(p);
  const next = p.type === 46 || p.type === 53 ? p.nextPayload : 0;
  const back = decodePayloadBody(payloadTypeOf(p), next, body, p.critical);
  assert.deepEqual(back, p);
  assert.deepEqual(encodePayloadBody(back), body, 're-encoding is stable');
}

function wireErr(code: string): (e: unknown) => boolean {
  return (e: unknown) => e instanceof WireError && e.code === code;
}

describe('payload body round trips (decode(encode(v)) == v)', () => {
  for (const p of [...samplePayloads, sampleSk, sampleSkf]) {
    test(`type ${payloadTypeOf(p)}`, () => roundTrip(p));
  }
});

describe('known encodings (hand-assembled from RFC 7296 §3 diagrams)', () => {
  test('SA with one IKE proposal and a TV key-length attribute (§3.3)', () => {
    const sa: SaPayload = { type: 33, critical: false, proposals: [{ number: 1, protocolId: 1, spi: new Uint8Array(0),
      transforms: [{ type: 1, id: 12, attributes: [{ type: 14, tv: true, value: 128, data: new Uint8Array(0) }] }, { type: 4, id: 14, attributes: [] }] }] };
    const hex = '0000001c 01010002 0300000c 0100000c 800e0080 00000008 0400000e';
    assert.equal(toHex(encodeSaBody(sa)), hex.replace(/ /g, ''));
    assert.deepEqual(decodeSaBody(fromHex(hex), false), sa);
  });
  test('IPv4 TS (§3.13.1)', () => {
    const hex = '01000000 07000010 0000ffff c0a80000 c0a800ff';
    const ts = decodeTsBody(44, fromHex(hex), false);
    assert.equal(ts.selectors.length, 1);
    assert.equal(toHex(ts.selectors[0]?.endAddress ?? new Uint8Array(0)), 'c0a800ff');
    assert.equal(toHex(encodeTsBody(ts)), hex.replace(/ /g, ''));
  });
  test('ID keeps its RESERVED octets (signed in AUTH, §2.15)', () => {
    const id = decodeIdBody(35, fromHex('02 abcdef 77657374'), false);
    assert.equal(toHex(id.reserved), 'abcdef');
    assert.equal(new TextDecoder().decode(id.data), 'west');
  });
});

describe('malformed payload bodies throw WireError', () => {
  const goodSa = encodeSaBody(samplePayloads[0] as SaPayload);
  test('SA: truncated at every offset', () => {
    for (let n = 0; n < goodSa.length; n++) {
      assert.throws(() => decodeSaBody(goodSa.subarray(0, n), false), WireError, `offset ${n}`);
    }
  });
  test('SA: bad Last Substruc, SPI size, numbering, transform count, length', () => {
    const one = '00000010 01010001 00000008 0100000c';
    assert.equal(decodeSaBody(fromHex(one), false).proposals.length, 1);
    assert.throws(() => decodeSaBody(fromHex('01' + one.slice(2)), false), wireErr('IKE_ERR_DECODE_STRUCTURE'));
    assert.throws(() => decodeSaBody(fromHex('02' + one.slice(2)), false), wireErr('IKE_ERR_DECODE_STRUCTURE'));
    assert.throws(() => decodeSaBody(fromHex('00000013 01010301 aabbcc 00000008 0100000c'), false), wireErr('IKE_ERR_DECODE_SPI_SIZE'));
    assert.throws(() => decodeSaBody(fromHex('00000010 00010001 00000008 0100000c'), false), wireErr('IKE_ERR_DECODE_STRUCTURE'));
    assert.throws(() => decodeSaBody(fromHex('02000010 01010001 00000008 0100000c 00000010 03010001 00000008 0100000c'), false), wireErr('IKE_ERR_DECODE_STRUCTURE'));
    assert.throws(() => decodeSaBody(fromHex('00000010 01010002 00000008 0100000c'), false), WireError);
    assert.throws(() => decodeSaBody(fromHex('00000010 01010041 00000008 0100000c'), false), wireErr('IKE_ERR_DECODE_TOO_MANY'));
    assert.throws(() => decodeSaBody(fromHex('00000007 01010001'), false), wireErr('IKE_ERR_DECODE_LENGTH'));
    assert.throws(() => decodeSaBody(fromHex('00000014 01010001 00000008 0100000c 00000000'), false), wireErr('IKE_ERR_DECODE_LENGTH'));
    assert.throws(() => decodeSaBody(fromHex(one + '00'), false), wireErr('IKE_ERR_DECODE_TRAILING'));
    assert.throws(() => decodeSaBody(new Uint8Array(0), false), wireErr('IKE_ERR_DECODE_TRUNCATED'));
  });
  test('SA: more than 64 proposals and 32 attributes are refused', () => {
    const props: string[] = [];
    for (let i = 1; i <= 65; i++) props.push(`${i === 65 ? '00' : '02'}000008 ${i.toString(16).padStart(2, '0')}010000`);
    assert.throws(() => decodeSaBody(fromHex(props.join('')), false), wireErr('IKE_ERR_DECODE_TOO_MANY'));
    const attrs = '800e0080'.repeat(33);
    const tLen = (8 + attrs.length / 2).toString(16).padStart(4, '0');
    const pLen = (16 + attrs.length / 2).toString(16).padStart(4, '0');
    assert.throws(() => decodeSaBody(fromHex(`0000${pLen} 01010001 0000${tLen} 0100000c ${attrs}`), false), wireErr('IKE_ERR_DECODE_TOO_MANY'));
  });
  test('TS: address length must match the TS type', () => {
    assert.throws(() => decodeTsBody(44, fromHex('01000000 07000028 0000ffff' + '00'.repeat(32)), false), wireErr('IKE_ERR_DECODE_LENGTH'));
    assert.throws(() => decodeTsBody(44, fromHex('01000000 08000010 0000ffff c0a80000 c0a800ff'), false), wireErr('IKE_ERR_DECODE_LENGTH'));
    assert.throws(() => decodeTsBody(44, fromHex('01000000 09000010 0000ffff c0a80000 c0a800ff'), false), wireErr('IKE_ERR_DECODE_VALUE'));
    assert.throws(() => decodeTsBody(44, fromHex('02000000 07000010 0000ffff c0a80000 c0a800ff'), false), wireErr('IKE_ERR_DECODE_TRUNCATED'));
    assert.throws(() => decodeTsBody(44, fromHex('41000000'), false), wireErr('IKE_ERR_DECODE_TOO_MANY'));
    assert.throws(() => encodeTsBody({ type: 44, critical: false, selectors: [{ tsType: 7, ipProtocol: 0, startPort: 0, endPort: 0, startAddress: new Uint8Array(16), endAddress: new Uint8Array(16) }] }), KeywayError);
  });
  test('nonce must be 16..256 bytes (§3.9)', () => {
    assert.throws(() => decodeNonceBody(new Uint8Array(15), false), wireErr('IKE_ERR_DECODE_VALUE'));
    assert.throws(() => decodeNonceBody(new Uint8Array(257), false), wireErr('IKE_ERR_DECODE_VALUE'));
    assert.equal(decodeNonceBody(new Uint8Array(256), false).data.length, 256);
  });
  test('notify, delete, SKF, CP, ID, KE, AUTH structure', () => {
    assert.throws(() => decodeNotifyBody(fromHex('03024009 0102'), false), wireErr('IKE_ERR_DECODE_SPI_SIZE'));
    assert.throws(() => decodeNotifyBody(fromHex('03044009 0102'), false), wireErr('IKE_ERR_DECODE_TRUNCATED'));
    assert.throws(() => decodeDeleteBody(fromHex('03040002 01020304'), false), wireErr('IKE_ERR_DECODE_LENGTH'));
    assert.throws(() => decodeDeleteBody(fromHex('03040101'), false), wireErr('IKE_ERR_DECODE_TOO_MANY'));
    assert.throws(() => decodeDeleteBody(fromHex('01000001'), false), wireErr('IKE_ERR_DECODE_STRUCTURE'));
    assert.throws(() => decodeSkfBody(35, fromHex('00000002 00'), false), wireErr('IKE_ERR_DECODE_VALUE'));
    assert.throws(() => decodeSkfBody(35, fromHex('00030002 00'), false), wireErr('IKE_ERR_DECODE_VALUE'));
    assert.throws(() => decodeCpBody(fromHex('01000000 00010004 0a00'), false), wireErr('IKE_ERR_DECODE_TRUNCATED'));
    assert.throws(() => decodeIdBody(35, fromHex('0100'), false), wireErr('IKE_ERR_DECODE_TRUNCATED'));
    assert.throws(() => decodeKeBody(fromHex('000e00'), false), wireErr('IKE_ERR_DECODE_TRUNCATED'));
    assert.throws(() => decodeAuthBody(fromHex('02'), false), wireErr('IKE_ERR_DECODE_TRUNCATED'));
  });
  test('CP R bit is ignored on receipt (§3.15.1)', () => {
    assert.equal(decodeCpBody(fromHex('01000000 80010000'), false).attributes[0]?.type, 1);
  });
});
