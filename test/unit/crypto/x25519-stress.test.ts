/**
 * Regression for NODE-CRYPTO.md trap 1 (Node 20 JWK export deadlock with
 * X25519): 20,000 full exchanges must finish, and quickly. A hang fails via
 * the test timeout instead of blocking CI forever.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeId } from '../../../src/iana/ikev2.js';
import { createKeyExchange } from '../../../src/crypto/ke/index.js';
import { SeededRng } from '../../../src/crypto/rng.js';

test('20,000 X25519 exchanges without a hang', { timeout: 60_000 }, () => {
  const rng = new SeededRng('x25519-stress');
  const t0 = performance.now();
  let agree = 0;
  const N = 20_000;
  for (let i = 0; i < N; i++) {
    const a = createKeyExchange(KeId.CURVE25519, rng);
    const b = createKeyExchange(KeId.CURVE25519, rng);
    const s = a.computeSharedSecret(b.publicValue);
    if (i % 1000 === 0) assert.deepEqual(b.computeSharedSecret(a.publicValue), s);
    if (s.length === 32) agree++;
  }
  const ms = performance.now() - t0;
  assert.equal(agree, N);
  assert.ok(ms < 45_000, `took ${ms.toFixed(0)} ms`);
});
