/**
 * transformName is memoised (bounded, in-range keys only): the answer must
 * not depend on what was asked before, also across memo overflow, and
 * wire-sized hostile values must still get a name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EncrId, KeId, TransformType } from '../../../src/iana/ikev2.js';
import { transformName } from '../../../src/policy/names.js';

const triple = fc.tuple(
  fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: -2, max: 300 })),
  fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: -1, max: 70000 })),
  fc.option(fc.oneof(fc.constantFrom(128, 192, 256), fc.integer({ min: -1, max: 70000 })), { nil: undefined }),
);

test('transformName answers the same whatever was asked before (memo overflow included)', () => {
  fc.assert(
    fc.property(fc.array(triple, { minLength: 1, maxLength: 3000 }), (asks) => {
      const first = asks.map(([t, i, k]) => transformName(t, i, k));
      // ask again in reverse order: by now the memo has been cleared at least once for long runs
      const again = [...asks].reverse().map(([t, i, k]) => transformName(t, i, k)).reverse();
      assert.deepEqual(again, first);
    }),
    { numRuns: 30 },
  );
});

test('names with and without key length are told apart', () => {
  assert.equal(transformName(TransformType.ENCR, EncrId.ENCR_AES_GCM_16, 128), 'AES_GCM_16_128');
  assert.equal(transformName(TransformType.ENCR, EncrId.ENCR_AES_GCM_16), 'AES_GCM_16');
  assert.equal(transformName(TransformType.ENCR, EncrId.ENCR_AES_GCM_16, 256), 'AES_GCM_16_256');
  assert.equal(transformName(TransformType.KE, KeId.CURVE25519), 'CURVE_25519');
  assert.equal(transformName(TransformType.KE, 65535), 'KE_65535');
  assert.equal(transformName(TransformType.ENCR, 1e9, 1e9), 'ENCR_1000000000_1000000000');
});
