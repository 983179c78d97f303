/** NodeRng's pool: requests across refills never repeat bytes and large requests bypass the pool. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeRng } from '../../../src/crypto/rng.js';

test('NodeRng serves distinct values across pool refills', () => {
  const rng = new NodeRng();
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const v = Buffer.from(rng.bytes(32)).toString('hex');
    assert.equal(v.length, 64);
    assert.ok(!seen.has(v), 'repeated 32-byte value');
    seen.add(v);
  }
  const big = rng.bytes(1000);
  assert.equal(big.length, 1000);
  assert.ok(big.some((b) => b !== 0));
  // zero-length requests are valid
  assert.equal(rng.bytes(0).length, 0);
});
