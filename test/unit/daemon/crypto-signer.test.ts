/**
 * Signatures on the crypto worker pool (src/daemon/crypto-signer.ts +
 * CryptoPool.sign): RSA goes to a worker, ECDSA/Ed25519 stay in this thread;
 * worker signatures verify and equal the in-thread ones where the scheme is
 * deterministic (PKCS#1 v1.5); errors come back as the in-thread CryptoError
 * codes; the key follows a config reload.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { KeywayConfig } from '../../../src/config/model.js';
import { NodeRng } from '../../../src/crypto/rng.js';
import { rsaVerifyV1 } from '../../../src/crypto/sig-v1.js';
import { signV2, verifyV2 } from '../../../src/crypto/sig-v2.js';
import { CryptoPool } from '../../../src/daemon/crypto-pool.js';
import { isRsaScheme, poolSigner } from '../../../src/daemon/crypto-signer.js';
import { CryptoError } from '../../../src/util/errors.js';
import { EAST, parseConfig, sideConfig, WEST } from '../../sim/harness.js';

const pool = new CryptoPool({ size: 2, rng: new NodeRng(), inThreadGroups: new Set() });
after(() => pool.close());

function keyPair(type: 'rsa' | 'ec' | 'ed25519'): { der: Uint8Array; spki: Uint8Array } {
  const kp =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        : generateKeyPairSync('ed25519');
  return {
    der: new Uint8Array(kp.privateKey.export({ type: 'pkcs8', format: 'der' })),
    spki: new Uint8Array(kp.publicKey.export({ type: 'spki', format: 'der' })),
  };
}

const rsa = keyPair('rsa');
const ec = keyPair('ec');
const ed = keyPair('ed25519');

/** A config whose one connection signs with `keys` (file name -> DER) in successive local rounds. */
function configWith(keys: Readonly<Record<string, Uint8Array>>): KeywayConfig {
  const base = parseConfig(sideConfig(EAST, WEST, 'east@example.org', 'west@example.org', '10.2.0.0/24', '10.1.0.0/24', '', '', '', '"a unit test secret of decent length"'));
  const conn = base.connections[0];
  assert.ok(conn);
  const local = Object.entries(keys).map(([file, der]) => ({ method: 'pubkey' as const, privateKey: { file, der } }));
  return { ...base, connections: [{ ...conn, local }] };
}

let config = configWith({ 'rsa.pem': rsa.der, 'ec.pem': ec.der, 'ed.pem': ed.der });
const signer = poolSigner(pool, () => config);
const data = new TextEncoder().encode('InitiatorSignedOctets for a unit test');

test('RSA schemes are signed in a worker and verify; PKCS#1 v1.5 equals the in-thread signature', async () => {
  const before = pool.signStats.worker;
  for (const scheme of ['rsa-pss-sha256', 'rsa-pss-sha512', 'rsa-pkcs1-sha256', 'rsa-pkcs1-sha1'] as const) {
    const sig = await signer.sign({ file: 'rsa.pem' }, scheme, data);
    assert.ok(verifyV2(scheme, rsa.spki, data, sig), scheme);
    if (scheme.startsWith('rsa-pkcs1')) assert.deepEqual(sig, signV2(scheme, rsa.der, data), `${scheme} is deterministic`);
  }
  // IKEv1 SIG (RFC 2409 §5.1): raw PKCS#1 over HASH_I
  const hash = data.subarray(0, 20);
  assert.ok(rsaVerifyV1(rsa.spki, hash, await signer.sign({ file: 'rsa.pem' }, 'rsa-pkcs1-raw', hash)));
  assert.equal(pool.signStats.worker - before, 5, 'all five went to the workers');
});

test('ECDSA and Ed25519 stay in this thread (a worker round trip costs as much)', async () => {
  const before = pool.signStats.worker;
  const e = await signer.sign({ file: 'ec.pem' }, 'ecdsa-sha256', data);
  assert.ok(verifyV2('ecdsa-sha256', ec.spki, data, e));
  const d = await signer.sign({ file: 'ed.pem' }, 'ed25519', data);
  assert.ok(verifyV2('ed25519', ed.spki, data, d));
  assert.equal(pool.signStats.worker, before);
  assert.equal(isRsaScheme('ecdsa-sha256-p1363'), false);
  assert.equal(isRsaScheme('rsa-pkcs1-raw'), true);
});

test('errors: unknown key, key that cannot do the scheme, closed pool', async () => {
  const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;
  await assert.rejects(signer.sign({ file: 'missing.pem' }, 'rsa-pss-sha256', data), code('IKE_ERR_NO_KEY'));
  // an EC key under an RSA scheme: the worker refuses with the in-thread error code
  await assert.rejects(pool.sign(ec.der, 'rsa-pss-sha256', data), code('IKE_ERR_KEY_TYPE'));
  await assert.rejects(pool.sign(new Uint8Array([1, 2, 3]), 'rsa-pss-sha256', data), code('IKE_ERR_KEY_FORMAT'));
  await assert.rejects(pool.sign(ec.der, 'rsa-pkcs1-raw', data), code('IKE_ERR_KEY_TYPE'));
  const closed = new CryptoPool({ size: 1, rng: new NodeRng() });
  await closed.close();
  await assert.rejects(closed.sign(rsa.der, 'rsa-pss-sha256', data), (e: unknown) => e instanceof CryptoError);
});

test('a reloaded config brings its new key to the next signature', async () => {
  const other = keyPair('rsa');
  config = configWith({ 'rsa.pem': other.der });
  const sig = await signer.sign({ file: 'rsa.pem' }, 'rsa-pkcs1-sha256', data);
  assert.ok(verifyV2('rsa-pkcs1-sha256', other.spki, data, sig));
  assert.ok(!verifyV2('rsa-pkcs1-sha256', rsa.spki, data, sig));
});
