import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FixedRng, NodeRng, SeededRng } from '../../../src/crypto/rng.js';
import { CryptoError } from '../../../src/util/errors.js';

describe('Rng implementations', () => {
  test('SeededRng is deterministic and independent of request splitting', () => {
    const a = new SeededRng('seed-1');
    const b = new SeededRng(new TextEncoder().encode('seed-1'));
    const whole = a.bytes(100);
    const parts = new Uint8Array([...b.bytes(7), ...b.bytes(33), ...b.bytes(60)]);
    assert.deepEqual(parts, whole);
    assert.notDeepEqual(new SeededRng('seed-2').bytes(100), whole);
  });
  test('SeededRng output does not repeat across blocks', () => {
    const r = new SeededRng('x').bytes(64);
    assert.notDeepEqual(r.subarray(0, 32), r.subarray(32, 64));
  });
  test('NodeRng returns fresh bytes of the requested length', () => {
    const r = new NodeRng();
    assert.equal(r.bytes(0).length, 0);
    const x = r.bytes(32);
    assert.equal(x.length, 32);
    assert.notDeepEqual(x, r.bytes(32));
  });
  test('FixedRng replays then throws CryptoError', () => {
    const r = new FixedRng(new Uint8Array([1, 2]), new Uint8Array([3]));
    assert.deepEqual(r.bytes(2), new Uint8Array([1, 2]));
    assert.deepEqual(r.bytes(1), new Uint8Array([3]));
    assert.throws(() => r.bytes(1), CryptoError);
  });
});
