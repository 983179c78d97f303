import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader, ByteWriter, bytesEqual, concatBytes, fromHex, toHex } from '../../../src/util/bytes.js';
import { KeywayError, WireError } from '../../../src/util/errors.js';

describe('ByteReader', () => {
  test('reads big-endian integers and slices', () => {
    const r = new ByteReader(fromHex('01 0203 fffffffe 0a0b0c'));
    assert.equal(r.u8(), 1);
    assert.equal(r.u16(), 0x0203);
    assert.equal(r.u32(), 0xfffffffe);
    assert.equal(r.offset, 7);
    assert.equal(r.remaining, 3);
    assert.deepEqual(r.bytes(2), fromHex('0a0b'));
    assert.deepEqual(r.rest(), fromHex('0c'));
    assert.equal(r.remaining, 0);
  });
  test('every read past the end throws IKE_ERR_DECODE_TRUNCATED with the offset', () => {
    for (const read of [(r: ByteReader) => r.u8(), (r: ByteReader) => r.u16(), (r: ByteReader) => r.u32(), (r: ByteReader) => r.bytes(2)]) {
      const r = new ByteReader(fromHex('00'), 100);
      r.u8();
      assert.throws(() => read(r), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_DECODE_TRUNCATED' && e.offset === 101);
    }
    assert.throws(() => new ByteReader(new Uint8Array(4)).bytes(-1), WireError);
  });
});

describe('ByteWriter', () => {
  test('grows, writes big-endian and patches', () => {
    const w = new ByteWriter(1);
    w.u8(1).u16(0).u32(0xdeadbeef);
    for (let i = 0; i < 100; i++) w.u8(i);
    w.patchU16(1, 0xabcd);
    w.patchU32(3, 0x01020304);
    const out = w.finish();
    assert.equal(out.length, 107);
    assert.equal(toHex(out.subarray(0, 8)), '01abcd0102030400');
  });
  test('rejects out-of-range values and patches', () => {
    assert.throws(() => new ByteWriter().u8(256), KeywayError);
    assert.throws(() => new ByteWriter().u16(-1), KeywayError);
    assert.throws(() => new ByteWriter().u32(2 ** 32), KeywayError);
    assert.throws(() => new ByteWriter().u8(1).patchU16(0, 1), KeywayError);
  });
});

describe('hex and helpers', () => {
  test('fromHex ignores whitespace and round-trips with toHex', () => {
    assert.equal(toHex(fromHex(' de ad\nBE\tef ')), 'deadbeef');
  });
  test('fromHex rejects bad input with KeywayError', () => {
    assert.throws(() => fromHex('abc'), KeywayError);
    assert.throws(() => fromHex('zz'), KeywayError);
  });
  test('concatBytes and bytesEqual', () => {
    const c = concatBytes(fromHex('01'), new Uint8Array(0), fromHex('0203'));
    assert.ok(bytesEqual(c, fromHex('010203')));
    assert.ok(!bytesEqual(c, fromHex('010204')));
    assert.ok(!bytesEqual(c, fromHex('0102')));
  });
});
