/**
 * Known answers for PRFs, MACs and integrity transforms.
 * Sources (test/vectors/rfc/, see PROVENANCE.md): RFC 4231 §4, RFC 4868 §2.7,
 * RFC 2202, RFC 3566 §4, RFC 4434 §6, RFC 4493 §4, RFC 4494 §4, RFC 4615 §4;
 * Wycheproof aes_cmac_test.json.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IntegId, PrfId } from '../../../src/iana/ikev2.js';
import { aesCmac, aesXcbcMac, createInteg } from '../../../src/crypto/mac.js';
import { createPrf, prfPlus } from '../../../src/crypto/prf.js';
import { CryptoError } from '../../../src/util/errors.js';
import { arr, hex, loadVectors, num, obj, str, toHex } from './vectors.js';

const PRF_BY_NAME: Record<string, number> = {
  PRF_HMAC_SHA1: PrfId.PRF_HMAC_SHA1,
  PRF_HMAC_SHA2_256: PrfId.PRF_HMAC_SHA2_256,
  PRF_HMAC_SHA2_384: PrfId.PRF_HMAC_SHA2_384,
  PRF_HMAC_SHA2_512: PrfId.PRF_HMAC_SHA2_512,
};
const INTEG_BY_NAME: Record<string, number> = {
  AUTH_HMAC_SHA1_96: IntegId.AUTH_HMAC_SHA1_96,
  AUTH_HMAC_SHA2_256_128: IntegId.AUTH_HMAC_SHA2_256_128,
  AUTH_HMAC_SHA2_384_192: IntegId.AUTH_HMAC_SHA2_384_192,
  AUTH_HMAC_SHA2_512_256: IntegId.AUTH_HMAC_SHA2_512_256,
};

describe('HMAC PRFs and integrity (rfc/hmac-ike-integ-prf_rfc4868_rfc2202.json: RFC 4868 §2.7, RFC 2202 §3)', () => {
  const tests = arr(obj(loadVectors('rfc/hmac-ike-integ-prf_rfc4868_rfc2202.json'))['tests']).map(obj);
  let prfs = 0;
  let integs = 0;
  for (const t of tests) {
    const alg = str(t['algorithm']);
    const prfId = PRF_BY_NAME[alg];
    const integId = INTEG_BY_NAME[alg];
    if (prfId === undefined && integId === undefined) continue; // HMAC-SHA1-128/160: not IKE transforms
    test(`${str(t['id'])} ${alg}`, () => {
      const out = prfId !== undefined
        ? createPrf(prfId).compute(hex(str(t['key'])), hex(str(t['message'])))
        : createInteg(integId ?? 0).compute(hex(str(t['key'])), hex(str(t['message'])));
      assert.equal(toHex(out), str(t['expected']));
      assert.equal(out.length, num(t['truncated_to_bytes']));
    });
    if (prfId !== undefined) prfs++;
    else integs++;
  }
  test('covers every IKE HMAC transform', () => {
    assert.ok(prfs >= 20 && integs >= 10);
  });
});

describe('HMAC-SHA2 PRFs (rfc/hmac-sha2_rfc4231.json: RFC 4231 §4)', () => {
  const ids: Record<string, number> = { 'HMAC-SHA-256': PrfId.PRF_HMAC_SHA2_256, 'HMAC-SHA-384': PrfId.PRF_HMAC_SHA2_384, 'HMAC-SHA-512': PrfId.PRF_HMAC_SHA2_512 };
  for (const t of arr(obj(loadVectors('rfc/hmac-sha2_rfc4231.json'))['tests']).map(obj)) {
    const id = ids[str(t['algorithm'])];
    if (id === undefined) continue; // SHA-224 is not an IKEv2 PRF
    test(`${str(t['id'])}`, () => {
      assert.equal(toHex(createPrf(id).compute(hex(str(t['key'])), hex(str(t['message'])))), str(t['expected']));
    });
  }
});

describe('AES-XCBC (rfc/aes-xcbc_rfc3566_rfc4434.json: RFC 3566 §4, RFC 4434 §6)', () => {
  for (const t of arr(obj(loadVectors('rfc/aes-xcbc_rfc3566_rfc4434.json'))['tests']).map(obj)) {
    const alg = str(t['algorithm']);
    test(`${str(t['id'])} ${str(t['source_ref'])}`, () => {
      const key = hex(str(t['key']));
      const msg = hex(str(t['message']));
      const out = alg.startsWith('AES-XCBC-MAC-96')
        ? createInteg(IntegId.AUTH_AES_XCBC_96).compute(key, msg)
        : createPrf(PrfId.PRF_AES128_XCBC).compute(key, msg);
      assert.equal(toHex(out), str(t['expected']));
    });
  }
});

describe('AES-CMAC (rfc/aes-cmac_rfc4493_rfc4494_rfc4615.json: RFC 4493 §4, RFC 4494 §4, RFC 4615 §4)', () => {
  for (const t of arr(obj(loadVectors('rfc/aes-cmac_rfc4493_rfc4494_rfc4615.json'))['tests']).map(obj)) {
    const alg = str(t['algorithm']);
    test(`${str(t['id'])} ${str(t['source_ref'])}`, () => {
      const key = hex(str(t['key']));
      const msg = hex(str(t['message']));
      const out = alg.startsWith('AES-CMAC-96') ? createInteg(IntegId.AUTH_AES_CMAC_96).compute(key, msg)
        : alg.startsWith('AES-CMAC-PRF') ? createPrf(PrfId.PRF_AES128_CMAC).compute(key, msg)
        : aesCmac(key, msg);
      assert.equal(toHex(out), str(t['expected']));
    });
  }
});

describe('AES-CMAC Wycheproof (wycheproof/aes_cmac_test.json, 128-bit keys)', () => {
  const groups = arr(obj(loadVectors('wycheproof/aes_cmac_test.json'))['testGroups']).map(obj);
  test('valid tags match, invalid tags do not', () => {
    let n = 0;
    for (const g of groups) {
      if (num(g['keySize']) !== 128) continue;
      const tagBytes = num(g['tagSize']) / 8;
      for (const t of arr(g['tests']).map(obj)) {
        const mac = toHex(aesCmac(hex(str(t['key'])), hex(str(t['msg']))).subarray(0, tagBytes));
        if (str(t['result']) === 'valid') assert.equal(mac, str(t['tag']), `tcId ${num(t['tcId'])}`);
        else assert.notEqual(mac, str(t['tag']), `tcId ${num(t['tcId'])}`);
        n++;
      }
    }
    assert.ok(n > 50);
  });
  test('non-128-bit keys are refused with CryptoError', () => {
    assert.throws(() => aesXcbcMac(new Uint8Array(24), new Uint8Array(0)), CryptoError);
    assert.throws(() => aesCmac(new Uint8Array(32), new Uint8Array(0)), CryptoError);
  });
});

describe('prf+ (RFC 7296 §2.13)', () => {
  test('T1 = prf(K, S|0x01), T2 = prf(K, T1|S|0x02)', () => {
    const prf = createPrf(PrfId.PRF_HMAC_SHA2_256);
    const k = hex('0102');
    const s = hex('aabb');
    const t1 = prf.compute(k, hex('aabb01'));
    const t2 = prf.compute(k, new Uint8Array([...t1, 0xaa, 0xbb, 2]));
    assert.deepEqual(prfPlus(prf, k, s, 40), new Uint8Array([...t1, ...t2.subarray(0, 8)]));
  });
  test('refuses more than 255 iterations', () => {
    const prf = createPrf(PrfId.PRF_HMAC_SHA1);
    assert.equal(prfPlus(prf, hex('00'), hex('00'), 255 * 20).length, 5100);
    assert.throws(() => prfPlus(prf, hex('00'), hex('00'), 255 * 20 + 1), CryptoError);
  });
  test('integrity refuses a wrong key length', () => {
    assert.throws(() => createInteg(IntegId.AUTH_HMAC_SHA2_256_128).compute(new Uint8Array(20), new Uint8Array(1)), CryptoError);
  });
});
