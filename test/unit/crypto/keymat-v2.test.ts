/**
 * IKEv2 KDF known answers: NIST CAVP SP 800-135 "KDF135" IKEv2 vectors
 * (test/vectors/kdf/ikev2_dev-subset.json; see PROVENANCE.md), exercising
 * RFC 7296 §2.13/§2.14/§2.17/§2.18.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PrfId } from '../../../src/iana/ikev2.js';
import { createPrf, prfPlus } from '../../../src/crypto/prf.js';
import { deriveChildSaKeys, deriveIkeSaKeys, deriveRekeyedIkeSaKeys } from '../../../src/crypto/keymat-v2.js';
import { arr, hex, loadVectors, num, obj, str, toHex } from './vectors.js';

const PRF_OF: Record<string, number> = {
  'SHA-1': PrfId.PRF_HMAC_SHA1,
  'SHA2-256': PrfId.PRF_HMAC_SHA2_256,
  'SHA2-384': PrfId.PRF_HMAC_SHA2_384,
  'SHA2-512': PrfId.PRF_HMAC_SHA2_512,
};

const cat = (...xs: Uint8Array[]): string => xs.map(toHex).join('');

describe('NIST SP 800-135 IKEv2 KDF (kdf/ikev2_dev-subset.json)', () => {
  const tests = arr(obj(loadVectors('kdf/ikev2_dev-subset.json'))['tests']).map(obj);
  test('has all 27 vectors', () => assert.equal(tests.length, 27));
  for (const t of tests) {
    const hash = str(t['hash']);
    const name = `${hash} group ${num(t['group'])} count ${num(t['count'])}`;
    const prfId = PRF_OF[hash];
    if (prfId === undefined) throw new Error(`unknown hash ${hash}`);
    const prf = createPrf(prfId);
    const e = obj(t['expected']);
    const ni = hex(str(t['ni']));
    const nr = hex(str(t['nr']));
    const spiI = hex(str(t['spi_i']));
    const spiR = hex(str(t['spi_r']));
    const dkm = str(e['dkm']);
    const h = prf.outputLength;
    // Pick SK_e/SK_a sizes that fit inside the vector's DKM length.
    const dkmLen = num(t['dkm_len_bytes']);
    // (SHA-384/512 vectors have a DKM shorter than 3 hash lengths: then SK_e/SK_a are empty.)
    const integ = Math.max(0, Math.min(h, Math.floor((dkmLen - 3 * h) / 4)));
    const encr = Math.max(0, Math.floor((dkmLen - 3 * h - 2 * integ) / 2));

    test(`${name}: SKEYSEED and SK_* split of DKM (§2.14)`, () => {
      const k = deriveIkeSaKeys({
        prf, sharedSecret: hex(str(t['g_ir'])), ni, nr, spiI, spiR, encrKeyLength: encr, integKeyLength: integ,
      });
      assert.equal(toHex(k.skeyseed), str(e['skeyseed']));
      assert.equal(toHex(k.skD), dkm.slice(0, 2 * h));
      const all = cat(k.skD, k.skAi, k.skAr, k.skEi, k.skEr, k.skPi, k.skPr);
      const n = Math.min(all.length, dkm.length);
      assert.equal(all.slice(0, n), dkm.slice(0, n));
      assert.equal(toHex(prfPlus(prf, k.skeyseed, hex(cat(ni, nr, spiI, spiR)), dkmLen)), dkm);
    });

    test(`${name}: child KEYMAT without and with PFS (§2.17)`, () => {
      const skD = hex(dkm.slice(0, 2 * h));
      const childLen = num(t['child_dkm_len_bytes']);
      const ea = Math.floor(childLen / 2);
      const a = Math.min(h, Math.floor(ea / 2));
      const eLen = ea - a;
      const c = deriveChildSaKeys({ prf, skD, ni, nr, encrKeyLength: eLen, integKeyLength: a });
      const flat = cat(c.encrI, c.integI, c.encrR, c.integR);
      assert.equal(flat, str(e['dkm_child_sa']).slice(0, flat.length));
      const pfs = deriveChildSaKeys({ prf, skD, sharedSecret: hex(str(t['g_ir_new'])), ni, nr, encrKeyLength: eLen, integKeyLength: a });
      const flatPfs = cat(pfs.encrI, pfs.integI, pfs.encrR, pfs.integR);
      assert.equal(flatPfs, str(e['dkm_child_sa_dh']).slice(0, flatPfs.length));
    });

    test(`${name}: rekeyed SKEYSEED (§2.18)`, () => {
      const k = deriveRekeyedIkeSaKeys({
        prf, oldPrf: prf, oldSkD: hex(dkm.slice(0, 2 * h)), sharedSecret: hex(str(t['g_ir_new'])),
        ni, nr, spiI, spiR, encrKeyLength: 16, integKeyLength: h,
      });
      assert.equal(toHex(k.skeyseed), str(e['skeyseed_rekey']));
    });
  }
});

describe('fixed-key PRF rule (RFC 7296 §2.14)', () => {
  test('AES-XCBC SKEYSEED keys the PRF with the first 8 bytes of Ni and of Nr', () => {
    const prf = createPrf(PrfId.PRF_AES128_XCBC);
    const ni = hex('000102030405060708090a0b0c0d0e0f10111213');
    const nr = hex('a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3');
    const g = hex('ff'.repeat(32));
    const k = deriveIkeSaKeys({ prf, sharedSecret: g, ni, nr, spiI: hex('0101010101010101'), spiR: hex('0202020202020202'), encrKeyLength: 16, integKeyLength: 16 });
    assert.equal(toHex(k.skeyseed), toHex(prf.compute(hex('0001020304050607a0a1a2a3a4a5a6a7'), g)));
    assert.equal(k.skD.length, 16);
    assert.equal(k.skPr.length, 16);
  });
  test('rekey uses the old PRF for SKEYSEED and the new one for prf+', () => {
    const oldPrf = createPrf(PrfId.PRF_HMAC_SHA1);
    const prf = createPrf(PrfId.PRF_HMAC_SHA2_256);
    const oldSkD = hex('11'.repeat(20));
    const g = hex('22'.repeat(32));
    const ni = hex('33'.repeat(16));
    const nr = hex('44'.repeat(16));
    const k = deriveRekeyedIkeSaKeys({ prf, oldPrf, oldSkD, sharedSecret: g, ni, nr, spiI: hex('55'.repeat(8)), spiR: hex('66'.repeat(8)), encrKeyLength: 32, integKeyLength: 0 });
    assert.equal(toHex(k.skeyseed), toHex(oldPrf.compute(oldSkD, hex(cat(g, ni, nr)))));
    assert.equal(k.skD.length, 32);
    assert.equal(k.skAi.length, 0);
    assert.equal(k.skEr.length, 32);
  });
});
