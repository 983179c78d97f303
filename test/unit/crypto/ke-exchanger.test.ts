/**
 * The KeyExchanger port (src/crypto/ke/exchanger.ts) in this thread:
 * responder and initiator shapes agree on g^ir, the seeded variant is
 * reproducible, misuse and invalid peer values reject with CryptoError; and
 * the production X25519/X448 path (OpenSSL-generated key pairs, public key
 * taken as JWK at generation: NODE-CRYPTO.md trap 1) interoperates with the
 * raw-scalar path and survives 20,000 exchanges mixed with JWK imports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InThreadKeyExchanger } from '../../../src/crypto/ke/exchanger.js';
import { createKeyExchange, createKeyExchangeNative } from '../../../src/crypto/ke/index.js';
import { NodeRng, SeededRng } from '../../../src/crypto/rng.js';
import { KeId } from '../../../src/iana/ikev2.js';
import { CryptoError } from '../../../src/util/errors.js';

const GROUPS = [KeId.CURVE25519, KeId.CURVE448, KeId.ECP_256, KeId.MODP_2048];

function seeded(seed: string): InThreadKeyExchanger {
  const rng = new SeededRng(seed);
  return new InThreadKeyExchanger((g, o) => createKeyExchange(g, rng, o));
}

function native(): InThreadKeyExchanger {
  const rng = new NodeRng();
  return new InThreadKeyExchanger((g, o) => createKeyExchangeNative(g, rng, o));
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof CryptoError && e.code === code);
}

test('initiate + respond agree on the shared secret (seeded and native, every kind of group)', async () => {
  for (const [ia, rb] of [[seeded('a'), seeded('b')], [native(), native()], [seeded('c'), native()], [native(), seeded('d')]] as const) {
    for (const g of GROUPS) {
      const i = await ia.initiate(g);
      const r = await rb.respond(g, i.publicValue);
      assert.equal(r.publicValue.length, i.publicValue.length, `group ${g}`);
      assert.deepEqual(await i.computeSharedSecret(r.publicValue), r.sharedSecret, `group ${g}`);
    }
  }
});

test('the seeded exchanger is reproducible', async () => {
  const a = await seeded('same').respond(KeId.CURVE25519, (await seeded('peer').initiate(KeId.CURVE25519)).publicValue);
  const b = await seeded('same').respond(KeId.CURVE25519, (await seeded('peer').initiate(KeId.CURVE25519)).publicValue);
  assert.deepEqual(a.publicValue, b.publicValue);
  assert.deepEqual(a.sharedSecret, b.sharedSecret);
});

test('a pending exchange computes once; dispose frees it', async () => {
  const ke = native();
  const peer = (await ke.initiate(KeId.CURVE25519)).publicValue;
  const p = await ke.initiate(KeId.CURVE25519);
  await p.computeSharedSecret(peer);
  await rejectsWith(p.computeSharedSecret(peer), 'IKE_ERR_KE_STATE');
  const q = await ke.initiate(KeId.ECP_256);
  q.dispose();
  q.dispose();
  await rejectsWith(q.computeSharedSecret(peer), 'IKE_ERR_KE_STATE');
});

test('invalid peer values and unknown groups reject with CryptoError (never throw synchronously)', async () => {
  for (const ke of [seeded('x'), native()]) {
    await rejectsWith(ke.respond(KeId.CURVE25519, new Uint8Array(31)), 'IKE_ERR_KE_INVALID');
    await rejectsWith(ke.respond(KeId.CURVE25519, new Uint8Array(32)), 'IKE_ERR_KE_INVALID'); // all-zero secret
    await rejectsWith(ke.respond(KeId.ECP_256, new Uint8Array(64).fill(1)), 'IKE_ERR_KE_INVALID'); // not on the curve
    await rejectsWith(ke.respond(KeId.MODP_2048, new Uint8Array(256)), 'IKE_ERR_KE_INVALID'); // y = 0
    await rejectsWith(ke.respond(9999, new Uint8Array(32)), 'IKE_ERR_UNSUPPORTED');
    const p = await ke.initiate(KeId.CURVE25519);
    await rejectsWith(p.computeSharedSecret(new Uint8Array(33)), 'IKE_ERR_KE_INVALID');
  }
});

test('20,000 native X25519 exchanges (OpenSSL key pairs + JWK peer imports) without a hang', { timeout: 60_000 }, () => {
  const rng = new NodeRng();
  const seededRng = new SeededRng('native-stress');
  const t0 = performance.now();
  const N = 20_000;
  let ok = 0;
  for (let i = 0; i < N; i++) {
    const a = createKeyExchangeNative(KeId.CURVE25519, rng);
    // mix with the raw-scalar path, which imports private keys as JWK
    const b = i % 2 === 0 ? createKeyExchangeNative(KeId.CURVE25519, rng) : createKeyExchange(KeId.CURVE25519, seededRng);
    const s = a.computeSharedSecret(b.publicValue);
    if (i % 1000 === 0) assert.deepEqual(b.computeSharedSecret(a.publicValue), s);
    if (s.length === 32) ok++;
  }
  assert.equal(ok, N);
  const ms = performance.now() - t0;
  assert.ok(ms < 45_000, `took ${ms.toFixed(0)} ms`);
});
