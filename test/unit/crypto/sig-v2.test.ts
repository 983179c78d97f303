/**
 * IKEv2 signature primitives (src/crypto/sig-v2.ts): RFC 7427 method 14
 * AlgorithmIdentifiers (known answers from RFC 7427 Appendix A / RFC 8420),
 * AUTH data framing, RSASSA-PSS against Wycheproof, and sign/verify for
 * every scheme with per-run keys; the scheme choice of auth-sig.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  SigHash, algorithmIdentifier, decodeAuth14, encodeAuth14, parseAlgorithmIdentifier, signV2, verifyV2,
  type V2SignatureScheme,
} from '../../../src/crypto/sig-v2.js';
import { chooseSignature, verifySigAuth } from '../../../src/ike/v2/auth-sig.js';
import { parseSigHashes, sigHashNotify } from '../../../src/ike/v2/sig-hash-notify.js';
import { AuthMethod } from '../../../src/iana/ikev2.js';
import { arr, hex, loadVectors, num, obj, str, toHex } from './vectors.js';

describe('AlgorithmIdentifiers (rfc/sig-algorithm-identifiers_rfc7427_rfc8420.json)', () => {
  const ids = arr(obj(loadVectors('rfc/sig-algorithm-identifiers_rfc7427_rfc8420.json'))['algorithmIdentifiers']).map(obj);
  test('we encode each one byte for byte and parse it back to the same scheme', () => {
    assert.equal(ids.length, 11);
    for (const v of ids) {
      const scheme = str(v['scheme']) as V2SignatureScheme;
      assert.equal(toHex(algorithmIdentifier(scheme)), str(v['der']), str(v['name']));
      assert.equal(parseAlgorithmIdentifier(hex(str(v['der'])))?.scheme, scheme, str(v['name']));
    }
  });

  test('PSS parameters: salt read back; absent NULLs and explicit trailer accepted; mismatched MGF1 hash refused', () => {
    assert.equal(parseAlgorithmIdentifier(algorithmIdentifier('rsa-pss-sha384'))?.saltLength, 48);
    // hash AlgorithmIdentifiers without NULL parameters (RFC 4055 allows both), salt 20, trailerField 1
    const noNull = hex('304206092a864886f70d01010a3035a00d300b0609608648016503040201a11a301806092a864886f70d010108300b0609608648016503040201a203020114a303020101');
    assert.deepEqual(parseAlgorithmIdentifier(noNull), { scheme: 'rsa-pss-sha256', saltLength: 20 });
    // MGF1 with SHA-384 under a SHA-256 hash
    const mixed = toHex(algorithmIdentifier('rsa-pss-sha256')).replace('a11c301a06092a864886f70d010108300d06096086480165030402010500', 'a11c301a06092a864886f70d010108300d06096086480165030402020500');
    assert.equal(parseAlgorithmIdentifier(hex(mixed)), undefined);
    // PSS without parameters means SHA-1 defaults: not something we announced
    assert.equal(parseAlgorithmIdentifier(hex('300b06092a864886f70d01010a')), undefined);
  });

  test('hostile DER: truncations, trailing bytes, long lengths and unknown OIDs are undefined, never a throw', () => {
    const good = algorithmIdentifier('rsa-pss-sha512');
    for (let n = 0; n < good.length; n++) assert.equal(parseAlgorithmIdentifier(good.subarray(0, n)), undefined, `cut at ${n}`);
    assert.equal(parseAlgorithmIdentifier(new Uint8Array([...algorithmIdentifier('ed25519'), 0])), undefined);
    assert.equal(parseAlgorithmIdentifier(hex('3084ffffffff')), undefined);
    assert.equal(parseAlgorithmIdentifier(hex('300506032b6571')), undefined, 'Ed448');
    assert.equal(parseAlgorithmIdentifier(hex('300706032b65700500')), undefined, 'Ed25519 with parameters');
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(1 + (i % 40)).map((_, j) => (i * 31 + j * 17) & 0xff);
      assert.doesNotThrow(() => parseAlgorithmIdentifier(junk));
      assert.doesNotThrow(() => decodeAuth14(junk));
    }
  });
});

describe('method 14 AUTH data (RFC 7427 §3)', () => {
  test('length | AlgorithmIdentifier | signature, and back', () => {
    const sig = new Uint8Array([1, 2, 3]);
    const data = encodeAuth14('ecdsa-sha256', sig);
    assert.equal(toHex(data), '0c300a06082a8648ce3d040302010203');
    const d = decodeAuth14(data);
    assert.equal(d?.alg.scheme, 'ecdsa-sha256');
    assert.deepEqual(d?.signature, sig);
    assert.equal(decodeAuth14(data.subarray(0, 13)), undefined, 'no signature bytes');
    assert.equal(decodeAuth14(new Uint8Array([0x40, 0x30])), undefined, 'length overruns');
    assert.equal(decodeAuth14(new Uint8Array(0)), undefined);
  });
});

describe('RSASSA-PSS Wycheproof (wycheproof/rsa_pss_2048_sha256_mgf1_32_test.json)', () => {
  test('valid signatures verify, invalid ones do not', () => {
    const groups = arr(obj(loadVectors('wycheproof/rsa_pss_2048_sha256_mgf1_32_test.json'))['testGroups']).map(obj);
    let valid = 0;
    let invalid = 0;
    for (const g of groups) {
      assert.equal(str(g['sha']), 'SHA-256');
      assert.equal(str(g['mgfSha']), 'SHA-256');
      const spki = hex(str(g['keyDer']));
      const salt = num(g['sLen']);
      for (const t of arr(g['tests']).map(obj)) {
        const ok = verifyV2('rsa-pss-sha256', spki, hex(str(t['msg'])), hex(str(t['sig'])), salt);
        const result = str(t['result']);
        if (result === 'valid') {
          assert.equal(ok, true, `tcId ${num(t['tcId'])}`);
          valid++;
        } else if (result === 'invalid') {
          assert.equal(ok, false, `tcId ${num(t['tcId'])}`);
          invalid++;
        }
      }
    }
    assert.ok(valid > 10 && invalid > 10, `${valid} valid, ${invalid} invalid`);
  });
});

describe('sign and verify with per-run keys', () => {
  const der = (kp: ReturnType<typeof generateKeyPairSync>): { priv: Uint8Array; pub: Uint8Array } => ({
    priv: new Uint8Array(kp.privateKey.export({ type: 'pkcs8', format: 'der' })),
    pub: new Uint8Array(kp.publicKey.export({ type: 'spki', format: 'der' })),
  });
  const rsa = der(generateKeyPairSync('rsa', { modulusLength: 2048 }));
  const p256 = der(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  const p521 = der(generateKeyPairSync('ec', { namedCurve: 'P-521' }));
  const ed = der(generateKeyPairSync('ed25519'));
  const octets = new TextEncoder().encode('RealMessage | Nonce | prf(SK_p, ID\')');

  test('every scheme round-trips; tampering, other keys and other data fail', () => {
    const cases: [V2SignatureScheme, { priv: Uint8Array; pub: Uint8Array }, number | undefined][] = [
      ['rsa-pss-sha256', rsa, 256], ['rsa-pss-sha384', rsa, 256], ['rsa-pss-sha512', rsa, 256], ['rsa-pkcs1-sha1', rsa, 256],
      ['rsa-pkcs1-sha256', rsa, 256], ['ecdsa-sha256', p256, undefined], ['ecdsa-sha256-p1363', p256, 64],
      ['ecdsa-sha512-p1363', p521, 132], ['ed25519', ed, 64],
    ];
    for (const [scheme, k, len] of cases) {
      const sig = signV2(scheme, k.priv, octets);
      if (len !== undefined) assert.equal(sig.length, len, scheme);
      assert.equal(verifyV2(scheme, k.pub, octets, sig), true, scheme);
      const bad = sig.slice();
      bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
      assert.equal(verifyV2(scheme, k.pub, octets, bad), false, `${scheme} tampered`);
      assert.equal(verifyV2(scheme, k.pub, octets.subarray(1), sig), false, `${scheme} other data`);
      assert.equal(verifyV2(scheme, (k === ed ? p256 : ed).pub, octets, sig), false, `${scheme} other key`);
    }
    // a PSS signature is not a PKCS#1 v1.5 one
    assert.equal(verifyV2('rsa-pkcs1-sha256', rsa.pub, octets, signV2('rsa-pss-sha256', rsa.priv, octets)), false);
  });

  test('a key cannot sign a scheme of another family or curve (CryptoError)', () => {
    assert.throws(() => signV2('ed25519', rsa.priv, octets), { code: 'IKE_ERR_KEY_TYPE' });
    assert.throws(() => signV2('ecdsa-sha384-p1363', p256.priv, octets), { code: 'IKE_ERR_KEY_TYPE' });
    assert.throws(() => signV2('rsa-pss-sha256', new Uint8Array([1, 2, 3]), octets), { code: 'IKE_ERR_KEY_FORMAT' });
    assert.equal(verifyV2('rsa-pss-sha256', new Uint8Array([1, 2, 3]), octets, new Uint8Array(256)), false);
  });

  test('verifySigAuth: method 14, classic methods, any of several keys; SHA-1 only as method 1', () => {
    const keys = [{ source: 'ed.pem', spki: ed.pub }, { source: 'rsa.pem', spki: rsa.pub }];
    const ok14 = verifySigAuth(keys, AuthMethod.DIGITAL_SIGNATURE, encodeAuth14('rsa-pss-sha384', signV2('rsa-pss-sha384', rsa.priv, octets)), octets);
    assert.deepEqual(ok14, { ok: true, key: 'rsa.pem', scheme: 'rsa-pss-sha384' });
    assert.equal(verifySigAuth(keys, AuthMethod.RSA_SIG, signV2('rsa-pkcs1-sha1', rsa.priv, octets), octets).ok, true);
    const sha1In14 = verifySigAuth(keys, AuthMethod.DIGITAL_SIGNATURE, encodeAuth14('rsa-pkcs1-sha1', signV2('rsa-pkcs1-sha1', rsa.priv, octets)), octets);
    assert.equal(sha1In14.ok, false);
    assert.match(sha1In14.ok ? '' : sha1In14.reason, /a hash we did not announce/);
    const p256Keys = [{ source: 'p256.pem', spki: p256.pub }];
    assert.equal(verifySigAuth(p256Keys, AuthMethod.ECDSA_SHA256_P256, signV2('ecdsa-sha256-p1363', p256.priv, octets), octets).ok, true);
    // method 10 (P-384) with a P-256 key
    assert.equal(verifySigAuth(p256Keys, AuthMethod.ECDSA_SHA384_P384, signV2('ecdsa-sha256-p1363', p256.priv, octets), octets).ok, false);
    const none = verifySigAuth([], AuthMethod.DIGITAL_SIGNATURE, encodeAuth14('ed25519', signV2('ed25519', ed.priv, octets)), octets);
    assert.deepEqual(none, { ok: false, reason: 'no public key is configured for the peer (remote pubkeys)', tried: [], scheme: 'ed25519' });
    assert.equal(verifySigAuth(keys, AuthMethod.DSS_SIG, new Uint8Array(40), octets).ok, false);
  });
});

describe('scheme choice from the peer\'s SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4)', () => {
  const all = [SigHash.SHA2_256, SigHash.SHA2_384, SigHash.SHA2_512, SigHash.IDENTITY];
  test('with a list: method 14, PSS for RSA, the curve\'s hash for ECDSA, identity for Ed25519', () => {
    assert.deepEqual(chooseSignature('rsa', all), { method: 14, scheme: 'rsa-pss-sha256' });
    assert.deepEqual(chooseSignature('rsa', [SigHash.SHA2_512]), { method: 14, scheme: 'rsa-pss-sha512' });
    assert.deepEqual(chooseSignature('ecdsa-p384', all), { method: 14, scheme: 'ecdsa-sha384' });
    assert.deepEqual(chooseSignature('ecdsa-p521', [SigHash.SHA2_256]), { method: 14, scheme: 'ecdsa-sha256' });
    assert.deepEqual(chooseSignature('ed25519', all), { method: 14, scheme: 'ed25519' });
    assert.ok('error' in chooseSignature('ed25519', [SigHash.SHA2_256]));
  });
  test('without a list (or no common hash): the classic methods', () => {
    assert.deepEqual(chooseSignature('rsa', undefined), { method: 1, scheme: 'rsa-pkcs1-sha1' });
    assert.deepEqual(chooseSignature('rsa', [SigHash.SHA1]), { method: 1, scheme: 'rsa-pkcs1-sha1' });
    assert.deepEqual(chooseSignature('ecdsa-p256', undefined), { method: 9, scheme: 'ecdsa-sha256-p1363' });
    assert.deepEqual(chooseSignature('ecdsa-p521', undefined), { method: 11, scheme: 'ecdsa-sha512-p1363' });
  });
  test('the notify: our list on the wire, and a bounded parse of the peer\'s', () => {
    assert.equal(toHex(sigHashNotify().data), '0002000300040005');
    assert.deepEqual(parseSigHashes(hex('00020005ff')), [2, 5]);
    assert.equal(parseSigHashes(new Uint8Array(1000)).length, 32);
  });
});
