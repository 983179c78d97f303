/**
 * The daemon's worker-thread KeyExchanger (src/daemon/crypto-pool.ts): the
 * workers' results agree with in-thread peers, errors come back as the same
 * CryptoError codes, jobs spread over the workers, initiator keys stay in
 * their worker until derived or disposed, and a closed pool rejects.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import type { KeywayConfig } from '../../../src/config/model.js';
import { InThreadKeyExchanger } from '../../../src/crypto/ke/exchanger.js';
import { createKeyExchange } from '../../../src/crypto/ke/index.js';
import { NodeRng, SeededRng } from '../../../src/crypto/rng.js';
import { CryptoPool, IN_THREAD_GROUPS } from '../../../src/daemon/crypto-pool.js';
import { cryptoWorkerCount } from '../../../src/daemon/main.js';
import { loadConfigText } from '../../../src/config/load.js';
import { KeId } from '../../../src/iana/ikev2.js';
import { CryptoError } from '../../../src/util/errors.js';

const pool = new CryptoPool({ size: 2, rng: new NodeRng(), inThreadGroups: new Set() });
after(() => pool.close());

const peerRng = new SeededRng('pool-peer');
const peer = new InThreadKeyExchanger((g, o) => createKeyExchange(g, peerRng, o));

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof CryptoError && e.code === code);
}

test('respond and initiate in a worker agree with an in-thread peer', async () => {
  for (const g of [KeId.CURVE25519, KeId.ECP_256, KeId.MODP_2048, KeId.ECP_384]) {
    const i = await peer.initiate(g);
    const r = await pool.respond(g, i.publicValue);
    assert.deepEqual(await i.computeSharedSecret(r.publicValue), r.sharedSecret, `respond, group ${g}`);
    const mine = await pool.initiate(g);
    const theirs = await peer.respond(g, mine.publicValue);
    assert.deepEqual(await mine.computeSharedSecret(theirs.publicValue), theirs.sharedSecret, `initiate, group ${g}`);
  }
});

test('errors come back as CryptoError with the in-thread codes', async () => {
  await rejectsWith(pool.respond(KeId.CURVE25519, new Uint8Array(32)), 'IKE_ERR_KE_INVALID');
  await rejectsWith(pool.respond(KeId.ECP_256, new Uint8Array(10)), 'IKE_ERR_KE_INVALID');
  await rejectsWith(pool.respond(4242, new Uint8Array(32)), 'IKE_ERR_UNSUPPORTED');
  const p = await pool.initiate(KeId.ECP_256);
  await rejectsWith(p.computeSharedSecret(new Uint8Array(64).fill(7)), 'IKE_ERR_KE_INVALID');
  await rejectsWith(p.computeSharedSecret(new Uint8Array(64).fill(7)), 'IKE_ERR_KE_STATE');
});

test('a disposed initiator key is gone from its worker', async () => {
  const p = await pool.initiate(KeId.CURVE25519);
  p.dispose();
  await rejectsWith(p.computeSharedSecret((await peer.initiate(KeId.CURVE25519)).publicValue), 'IKE_ERR_KE_STATE');
});

test('concurrent jobs are spread over both workers', async () => {
  const before = pool.stats.worker;
  const i = await peer.initiate(KeId.MODP_2048);
  let sawBoth = false;
  const jobs = Array.from({ length: 16 }, () => pool.respond(KeId.MODP_2048, i.publicValue));
  const load = pool.inFlight();
  if (load.length === 2 && load.every((n) => n > 0)) sawBoth = true;
  const results = await Promise.all(jobs);
  assert.equal(new Set(results.map((r) => Buffer.from(r.publicValue).toString('hex'))).size, 16, 'fresh key per job');
  assert.ok(sawBoth, `in flight per worker: ${load.join(',')}`);
  assert.equal(pool.stats.worker - before, 16);
});

test('in-thread groups never reach a worker', async () => {
  const p = new CryptoPool({ size: 1, rng: new NodeRng(), inThreadGroups: IN_THREAD_GROUPS });
  try {
    const i = await peer.initiate(KeId.CURVE25519);
    const r = await p.respond(KeId.CURVE25519, i.publicValue);
    assert.deepEqual(await i.computeSharedSecret(r.publicValue), r.sharedSecret);
    assert.deepEqual(p.stats, { worker: 0, inThread: 1, workerDied: 0 });
  } finally {
    await p.close();
  }
});

test('a closed pool rejects new work', async () => {
  const p = new CryptoPool({ size: 1, rng: new NodeRng() });
  await p.close();
  await rejectsWith(p.respond(KeId.ECP_256, new Uint8Array(64)), 'IKE_ERR_KE_WORKER');
});

test('worker count: config key, then KEYWAY_CRYPTO_WORKERS, else one per core from two cores up', () => {
  const cfg = { daemon: {} } as unknown as KeywayConfig;
  assert.equal(cryptoWorkerCount(cfg, {}, 1), 0);
  assert.equal(cryptoWorkerCount(cfg, {}, 2), 2);
  assert.equal(cryptoWorkerCount(cfg, { KEYWAY_CRYPTO_WORKERS: '0' }, 8), 0);
  assert.equal(cryptoWorkerCount(cfg, { KEYWAY_CRYPTO_WORKERS: '3' }, 8), 3);
  assert.equal(cryptoWorkerCount(cfg, { KEYWAY_CRYPTO_WORKERS: 'lots' }, 8), 0);
  const withKey = { daemon: { cryptoWorkers: 1 } } as unknown as KeywayConfig;
  assert.equal(cryptoWorkerCount(withKey, { KEYWAY_CRYPTO_WORKERS: '4' }, 8), 1);
  // the key as the config loader reads it
  const loaded = loadConfigText('daemon {\n  crypto_workers = 3\n}\n', 'w.conf');
  assert.ok(loaded.config !== undefined, loaded.errors.join('\n'));
  assert.equal(cryptoWorkerCount(loaded.config, { KEYWAY_CRYPTO_WORKERS: '0' }, 8), 3);
  const auto = loadConfigText('daemon {\n  crypto_workers = auto\n}\n', 'w.conf');
  assert.ok(auto.config !== undefined);
  assert.equal(cryptoWorkerCount(auto.config, { KEYWAY_CRYPTO_WORKERS: '0' }, 2), 2);
  assert.ok(loadConfigText('daemon {\n  crypto_workers = 65\n}\n', 'w.conf').errors.length === 1, 'capped at 64');
  assert.ok(cryptoWorkerCount(cfg, {}) >= 0 && availableParallelism() >= 1);
});
