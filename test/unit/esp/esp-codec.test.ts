import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../../src/util/errors.js';
import {
  ESP_HEADER_LEN, decodeEspHeader, decodeEspTrailer, encodeEspHeader, espPadLength, splitEsp, writeEspTrailer,
} from '../../../src/wire/esp/esp.js';

test('header round trip and SPI 0 is refused (RFC 4303 §2.1)', () => {
  const b = new Uint8Array(ESP_HEADER_LEN);
  encodeEspHeader(b, 0, 0xdeadbeef, 0x01020304);
  assert.deepEqual([...b], [0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
  assert.deepEqual(decodeEspHeader(b), { spi: 0xdeadbeef, seq: 0x01020304 });
  assert.throws(() => decodeEspHeader(new Uint8Array(8)), (e: unknown) => e instanceof WireError && e.code === 'ESP_SPI_ZERO');
  assert.throws(() => decodeEspHeader(new Uint8Array(7)), (e: unknown) => e instanceof WireError && e.code === 'ESP_TRUNCATED');
  assert.throws(() => encodeEspHeader(new Uint8Array(7), 0, 1, 1), WireError);
});

test('padding: payload + pad + 2 fills blocks and 4-byte words (RFC 4303 §2.4)', () => {
  for (const block of [1, 4, 8, 16]) {
    for (let n = 0; n < 70; n++) {
      const pad = espPadLength(n, block);
      assert.equal((n + pad + 2) % Math.max(block, 4), 0);
      assert.ok(pad < Math.max(block, 4));
    }
  }
});

test('trailer round trip; wrong padding bytes and oversized pad length are refused', () => {
  const buf = new Uint8Array(10 + 6 + 2);
  buf.fill(0xaa, 0, 10);
  assert.equal(writeEspTrailer(buf, 10, 6, 4), 18);
  assert.deepEqual([...buf.subarray(10)], [1, 2, 3, 4, 5, 6, 6, 4]);
  assert.deepEqual(decodeEspTrailer(buf), { payloadLength: 10, padLength: 6, nextHeader: 4 });
  const bad = new Uint8Array(buf);
  bad[12] = 9;
  assert.throws(() => decodeEspTrailer(bad), (e: unknown) => e instanceof WireError && e.code === 'ESP_PADDING');
  assert.deepEqual(decodeEspTrailer(bad, false), { payloadLength: 10, padLength: 6, nextHeader: 4 });
  assert.throws(() => decodeEspTrailer(Uint8Array.of(1, 2, 200, 4)), (e: unknown) => e instanceof WireError && e.code === 'ESP_PAD_LENGTH');
  assert.throws(() => decodeEspTrailer(Uint8Array.of(1)), WireError);
  assert.throws(() => writeEspTrailer(new Uint8Array(4), 0, 256, 4), WireError);
  assert.throws(() => writeEspTrailer(new Uint8Array(4), 0, 3, 4), WireError);
});

test('split: IV, ciphertext and ICV views; alignment and short packets refused', () => {
  const pkt = new Uint8Array(8 + 16 + 32 + 12);
  encodeEspHeader(pkt, 0, 0x100, 7);
  const p = splitEsp(pkt, 16, 12, 16);
  assert.equal(p.iv.length, 16);
  assert.equal(p.ciphertext.length, 32);
  assert.equal(p.icv.length, 12);
  assert.equal(p.authenticated.length, 8 + 16 + 32);
  assert.equal(p.seq, 7);
  assert.throws(() => splitEsp(pkt.subarray(0, pkt.length - 4), 16, 12, 16), (e: unknown) => e instanceof WireError && e.code === 'ESP_ALIGNMENT');
  assert.throws(() => splitEsp(pkt.subarray(0, 8 + 16 + 12 + 1), 16, 12, 16), (e: unknown) => e instanceof WireError && e.code === 'ESP_TRUNCATED');
});

test('hostile input: any bytes either decode or throw WireError (never anything else)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0, 8, 16), fc.constantFrom(0, 8, 12, 16, 32), fc.constantFrom(1, 8, 16), (b, iv, icv, block) => {
      for (const f of [() => decodeEspHeader(b), () => splitEsp(b, iv, icv, block), () => decodeEspTrailer(b)]) {
        try {
          f();
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
        }
      }
    }),
    { numRuns: 3000 },
  );
});
