/**
 * Wycheproof key-agreement edge cases (test/vectors/wycheproof/, Apache-2.0):
 * x25519_test.json and ecdh_secp256r1/384r1/521r1_test.json. Every "valid"
 * case must give the expected shared secret; every "invalid" public value that
 * can be written as IKE KE data must be rejected with CryptoError; "acceptable"
 * cases may go either way but never with a non-project error.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeId } from '../../../src/iana/ikev2.js';
import { keyExchangeFromPrivate } from '../../../src/crypto/ke/index.js';
import type { KeyExchange } from '../../../src/crypto/ke/index.js';
import { CryptoError } from '../../../src/util/errors.js';
import { arr, hex, loadVectors, num, obj, str, toHex } from './vectors.js';

/** Minimal DER reader: returns [tag, content, rest] or undefined. */
function derNext(b: Uint8Array): [number, Uint8Array, Uint8Array] | undefined {
  if (b.length < 2) return undefined;
  const tag = b[0] ?? 0;
  let len = b[1] ?? 0;
  let o = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 3 || b.length < 2 + n) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[2 + i] ?? 0);
    o = 2 + n;
  }
  if (o + len > b.length) return undefined;
  return [tag, b.subarray(o, o + len), b.subarray(o + len)];
}

/** SubjectPublicKeyInfo -> IKE KE data (x | y), or undefined if not an uncompressed point of that size. */
function spkiToKeData(der: Uint8Array, coord: number): Uint8Array | undefined {
  const outer = derNext(der);
  if (outer === undefined || outer[0] !== 0x30 || outer[2].length !== 0) return undefined;
  const alg = derNext(outer[1]);
  if (alg === undefined || alg[0] !== 0x30) return undefined;
  const bits = derNext(alg[2]);
  if (bits === undefined || bits[0] !== 0x03 || bits[2].length !== 0) return undefined;
  const pt = bits[1].subarray(1);
  if (bits[1][0] !== 0 || pt[0] !== 0x04) return undefined;
  return pt.subarray(1);
}

function leftPad(b: Uint8Array, n: number): Uint8Array {
  const s = b.length > n ? b.subarray(b.length - n) : b;
  const out = new Uint8Array(n);
  out.set(s, n - s.length);
  return out;
}

const isCryptoError = (e: unknown): boolean => e instanceof CryptoError;

describe('Wycheproof X25519 (wycheproof/x25519_test.json)', () => {
  test('valid → expected secret; zero shared secret → CryptoError', () => {
    const d = obj(loadVectors('wycheproof/x25519_test.json'));
    let valid = 0;
    let rejected = 0;
    for (const g of arr(d['testGroups']).map(obj)) {
      for (const t of arr(g['tests']).map(obj)) {
        const id = `tcId ${num(t['tcId'])}`;
        const ke = keyExchangeFromPrivate(KeId.CURVE25519, hex(str(t['private'])));
        const flags = arr(t['flags']).map(str);
        const expectZero = /^0+$/.test(str(t['shared']));
        if (expectZero) {
          assert.ok(flags.includes('ZeroSharedSecret'), id);
          assert.throws(() => ke.computeSharedSecret(hex(str(t['public']))), isCryptoError, id);
          rejected++;
          continue;
        }
        assert.equal(toHex(ke.computeSharedSecret(hex(str(t['public'])))), str(t['shared']), id);
        valid++;
      }
    }
    assert.ok(valid > 400, `valid=${valid}`);
    assert.ok(rejected >= 20, `rejected=${rejected}`);
  });
});

const CURVES = [
  { file: 'wycheproof/ecdh_secp256r1_test.json', group: KeId.ECP_256, coord: 32 },
  { file: 'wycheproof/ecdh_secp384r1_test.json', group: KeId.ECP_384, coord: 48 },
  { file: 'wycheproof/ecdh_secp521r1_test.json', group: KeId.ECP_521, coord: 66 },
];

for (const c of CURVES) {
  describe(`Wycheproof ECDH ${c.file}`, () => {
    test('valid points agree; invalid points are refused with CryptoError', () => {
      const d = obj(loadVectors(c.file));
      let valid = 0;
      let invalid = 0;
      const cache = new Map<string, KeyExchange>(); // many cases share a private key
      for (const g of arr(d['testGroups']).map(obj)) {
        for (const t of arr(g['tests']).map(obj)) {
          const id = `tcId ${num(t['tcId'])} ${str(t['comment'])}`;
          const flags = arr(t['flags']).map(str);
          // Explicit curve parameters and compressed points have no IKE encoding (the group fixes the curve, RFC 5903 §7).
          if (flags.includes('UnnamedCurve') || flags.includes('CompressedPoint')) continue;
          const pub = spkiToKeData(hex(str(t['public'])), c.coord);
          if (pub === undefined) continue;
          const priv = str(t['private']);
          let ke = cache.get(priv);
          if (ke === undefined) {
            ke = keyExchangeFromPrivate(c.group, leftPad(hex(priv), c.coord));
            cache.set(priv, ke);
          }
          const result = str(t['result']);
          if (result === 'invalid') {
            assert.throws(() => ke.computeSharedSecret(pub), (e: unknown) => e instanceof CryptoError && e.code === 'IKE_ERR_KE_INVALID', id);
            invalid++;
          } else if (result === 'valid') {
            assert.equal(toHex(ke.computeSharedSecret(pub)), str(t['shared']), id);
            valid++;
          } else {
            try {
              assert.equal(toHex(ke.computeSharedSecret(pub)), str(t['shared']), id);
            } catch (e) {
              assert.ok(e instanceof CryptoError, id);
            }
          }
        }
      }
      assert.ok(valid > 100, `valid=${valid}`);
      assert.ok(invalid >= 15, `invalid=${invalid}`);
    });
  });
}
