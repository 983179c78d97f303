import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHeader, encodeHeader, readHeaderFields, IKE_HEADER_LENGTH, MAX_IKE_MESSAGE } from '../../../src/wire/ikev2/header.js';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { WireError } from '../../../src/util/errors.js';
import { sampleHeader } from './samples.js';

// RFC 7296 §3.1 layout, hand-assembled
const HDR = '0001020304050607 0000000000000000 21 20 22 08 00000000 0000001c';

describe('IKE header (RFC 7296 §3.1)', () => {
  test('decodes every field', () => {
    const h = decodeHeader(fromHex(HDR));
    assert.equal(toHex(h.spiI), '0001020304050607');
    assert.equal(h.nextPayload, 33);
    assert.equal(h.majorVersion, 2);
    assert.equal(h.minorVersion, 0);
    assert.equal(h.exchangeType, 34);
    assert.equal(h.initiator, true);
    assert.equal(h.response, false);
    assert.equal(h.version, false);
    assert.equal(h.length, 28);
  });
  test('encodes canonically', () => {
    assert.equal(toHex(encodeHeader(sampleHeader, 33, 28)), fromHexStr(HDR));
    const r = readHeaderFields(encodeHeader({ ...sampleHeader, response: true, version: true, messageId: 0xffffffff }, 46, 100));
    assert.equal(r.length, 100);
    assert.equal(r.response, true);
    assert.equal(r.version, true);
    assert.equal(r.messageId, 0xffffffff);
  });
  test('ignores reserved flag bits on receipt', () => {
    const h = decodeHeader(fromHex(HDR.replace(' 08 ', ' c9 ')));
    assert.equal(h.initiator, true);
    assert.equal(h.response, false);
  });
  test('major version other than 2 is IKE_ERR_VERSION; readHeaderFields still reads it', () => {
    const v1 = fromHex(HDR.replace(' 20 22', ' 10 22'));
    assert.throws(() => decodeHeader(v1), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_VERSION');
    assert.equal(readHeaderFields(v1).majorVersion, 1);
    assert.throws(() => decodeHeader(fromHex(HDR.replace(' 20 22', ' 30 22'))), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_VERSION');
  });
  test('length field is checked against the buffer and the cap', () => {
    assert.throws(() => decodeHeader(fromHex(HDR.replace('0000001c', '0000001d'))), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_DECODE_TRUNCATED');
    assert.throws(() => decodeHeader(fromHex(HDR.replace('0000001c', '0000001b'))), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_DECODE_LENGTH');
    assert.throws(() => decodeHeader(fromHex(HDR.replace('0000001c', 'ffffffff'))), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_DECODE_TOO_LARGE');
    assert.equal(MAX_IKE_MESSAGE, 65535);
  });
  test('truncated at every offset throws WireError', () => {
    const full = fromHex(HDR);
    for (let n = 0; n < IKE_HEADER_LENGTH; n++) {
      assert.throws(() => decodeHeader(full.subarray(0, n)), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_DECODE_TRUNCATED');
    }
  });
  test('encoder refuses bad SPIs and lengths', () => {
    assert.throws(() => encodeHeader({ ...sampleHeader, spiI: new Uint8Array(4) }, 0, 28));
    assert.throws(() => encodeHeader(sampleHeader, 0, 27));
    assert.throws(() => encodeHeader(sampleHeader, 0, 65536));
  });
});

function fromHexStr(s: string): string {
  return s.replace(/\s+/g, '');
}
