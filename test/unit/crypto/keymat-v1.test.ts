/**
 * IKEv1 key schedule (RFC 2409 §5) against the NIST CAVP SP 800-135 IKEv1
 * KDF vectors (test/vectors/kdf/ikev1_{psk,dsa}_dev-subset.json, provenance in
 * test/vectors/PROVENANCE.md), plus the Appendix B rules (key expansion,
 * IVs) and Quick Mode KEYMAT checked against an independent HMAC spelling
 * of the RFC formulas.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { P1Hash } from '../../../src/iana/ikev1.js';
import {
  deriveSkeyids, encryptionKeyV1, hashEqual, phase1Iv, phase2Iv, quickHash3, quickKeymat, skeyidPsk, skeyidSig, v1Hash,
} from '../../../src/crypto/keymat-v1.js';
import { IvChain, openV1, sealV1 } from '../../../src/message/v1-protect.js';
import { decodeIsakmp } from '../../../src/wire/ikev1/message.js';
import { V1Exchange } from '../../../src/iana/ikev1.js';
import { arr, hex, loadVectors, obj, str, toHex } from './vectors.js';

const HASH_IDS: Record<string, number> = { 'SHA-1': P1Hash.SHA, 'SHA2-256': P1Hash.SHA2_256, 'SHA2-384': P1Hash.SHA2_384, 'SHA2-512': P1Hash.SHA2_512 };

function hmac(alg: string, key: Uint8Array, ...d: Uint8Array[]): Uint8Array {
  const m = createHmac(alg, key);
  for (const x of d) m.update(x);
  return new Uint8Array(m.digest());
}

for (const file of ['kdf/ikev1_psk_dev-subset.json', 'kdf/ikev1_dsa_dev-subset.json']) {
  test(`NIST SP 800-135 IKEv1 KDF: ${file}`, () => {
    const tests = arr(obj(loadVectors(file))['tests']);
    assert.ok(tests.length >= 40);
    for (const t of tests.map(obj)) {
      const h = v1Hash(HASH_IDS[str(t['hash'])] ?? -1);
      const ni = hex(str(t['ni']));
      const nr = hex(str(t['nr']));
      const gxy = hex(str(t['g_xy']));
      const skeyid = t['auth'] === 'psk' ? skeyidPsk(h, hex(str(t['pre_shared_key'])), ni, nr) : skeyidSig(h, ni, nr, gxy);
      const k = deriveSkeyids(h, skeyid, gxy, hex(str(t['cky_i'])), hex(str(t['cky_r'])));
      const e = obj(t['expected']);
      const label = `${str(t['hash'])} group ${String(t['group'])} count ${String(t['count'])}`;
      assert.equal(toHex(k.skeyid), str(e['skeyid']), label);
      assert.equal(toHex(k.skeyidD), str(e['skeyid_d']), label);
      assert.equal(toHex(k.skeyidA), str(e['skeyid_a']), label);
      assert.equal(toHex(k.skeyidE), str(e['skeyid_e']), label);
    }
  });
}

describe('RFC 2409 Appendix B and §5.5', () => {
  const sha1 = v1Hash(P1Hash.SHA);
  const skeyidE = new Uint8Array(20).fill(0x42);

  test('encryption key: SKEYID_e prefix when long enough, else K1 = prf(e, 0), K2 = prf(e, K1)', () => {
    assert.deepEqual(encryptionKeyV1(sha1, skeyidE, 16), skeyidE.slice(0, 16));
    const k1 = hmac('sha1', skeyidE, new Uint8Array([0]));
    const k2 = hmac('sha1', skeyidE, k1);
    const key = encryptionKeyV1(sha1, skeyidE, 32);
    assert.equal(toHex(key), toHex(new Uint8Array([...k1, ...k2])).slice(0, 64));
  });

  test('IVs: phase 1 = hash(g^xi | g^xr), phase 2 = hash(last block | M-ID)', () => {
    const gxi = new Uint8Array(64).fill(1);
    const gxr = new Uint8Array(64).fill(2);
    const want1 = createHash('sha1').update(gxi).update(gxr).digest().subarray(0, 16);
    assert.equal(toHex(phase1Iv(sha1, gxi, gxr, 16)), toHex(new Uint8Array(want1)));
    const last = new Uint8Array(16).fill(9);
    const want2 = createHash('sha1').update(last).update(Buffer.from([0xde, 0xad, 0xbe, 0xef])).digest().subarray(0, 8);
    assert.equal(toHex(phase2Iv(sha1, last, 0xdeadbeef, 8)), toHex(new Uint8Array(want2)));
  });

  test('Quick Mode KEYMAT with and without PFS, and HASH(3)', () => {
    const d = new Uint8Array(20).fill(7);
    const spi = new Uint8Array([1, 2, 3, 4]);
    const ni = new Uint8Array(16).fill(0xaa);
    const nr = new Uint8Array(16).fill(0xbb);
    const seed = new Uint8Array([3, ...spi, ...ni, ...nr]);
    const k1 = hmac('sha1', d, seed);
    const k2 = hmac('sha1', d, k1, seed);
    assert.equal(toHex(quickKeymat(sha1, d, { protocol: 3, spi, niB: ni, nrB: nr }, 36)), toHex(new Uint8Array([...k1, ...k2])).slice(0, 72));
    const gxy = new Uint8Array(32).fill(5);
    const p1 = hmac('sha1', d, gxy, seed);
    assert.equal(toHex(quickKeymat(sha1, d, { gxy, protocol: 3, spi, niB: ni, nrB: nr }, 20)), toHex(p1));
    const a = new Uint8Array(20).fill(3);
    assert.equal(toHex(quickHash3(sha1, a, 0x01020304, ni, nr)), toHex(hmac('sha1', a, new Uint8Array([0, 1, 2, 3, 4]), ni, nr)));
    assert.equal(hashEqual(k1, k1.slice()), true);
    assert.equal(hashEqual(k1, k2), false);
    assert.equal(hashEqual(k1, k1.subarray(0, 10)), false);
  });

  test('CBC IV chaining: each message continues from the last ciphertext block', () => {
    const cipher = { node: 'aes-128-cbc', key: new Uint8Array(16).fill(1), blockSize: 16 };
    const chain = new IvChain((mid) => phase2Iv(sha1, new Uint8Array(16), mid, 16));
    const h = { spiI: new Uint8Array(8).fill(1), spiR: new Uint8Array(8).fill(2), majorVersion: 1, minorVersion: 0, exchangeType: V1Exchange.QUICK_MODE, encrypted: true, commit: false, authOnly: false, messageId: 7 };
    const plain = new Uint8Array([0, 0, 0, 9, 1, 2, 3, 4, 5]); // one payload (HASH-like) of 9 bytes
    const iv0 = chain.current(7);
    const sealed = sealV1(h, 8, plain, cipher, iv0);
    assert.equal(sealed.bytes.length, 28 + 16);
    chain.set(7, sealed.nextIv);
    const m = decodeIsakmp(sealed.bytes);
    assert.equal(m.header.encrypted, true);
    const opened = openV1(m.body, cipher, iv0);
    assert.deepEqual(opened.plain.subarray(0, 9), plain);
    assert.deepEqual(opened.nextIv, chain.current(7));
    assert.deepEqual(sealed.nextIv, sealed.bytes.subarray(sealed.bytes.length - 16));
    // a different exchange starts from its own IV
    assert.notDeepEqual(chain.current(8), chain.current(7));
    assert.throws(() => openV1(m.body.subarray(0, 15), cipher, iv0));
  });
});
