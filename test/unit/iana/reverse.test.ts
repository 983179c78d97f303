/**
 * nameOf / nameOfV1 answer from a reverse map per registry (built once)
 * instead of scanning; they must give what the scan gave: the first name in
 * declaration order for a value, the fallback text for unknown values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as v2 from '../../../src/iana/ikev2.js';
import * as v1 from '../../../src/iana/ikev1.js';
import { reverseOf } from '../../../src/iana/reverse.js';

type Registry = Readonly<Record<string, number>>;

/** every exported object whose members are all numbers */
function registries(mod: Readonly<Record<string, unknown>>): [string, Registry][] {
  return Object.entries(mod).filter((e): e is [string, Registry] => {
    const v = e[1];
    return typeof v === 'object' && v !== null && Object.values(v).length > 0 && Object.values(v).every((x) => typeof x === 'number');
  });
}

function scan(table: Registry, value: number): string | undefined {
  for (const [k, v] of Object.entries(table)) if (v === value) return k;
  return undefined;
}

const V2 = registries(v2);
const V1 = registries(v1);

test('the registries are found (the test would pass vacuously otherwise)', () => {
  assert.ok(V2.some(([n]) => n === 'NotifyType') && V2.length >= 15, V2.map(([n]) => n).join(','));
  assert.ok(V1.some(([n]) => n === 'V1Notify') && V1.length >= 10, V1.map(([n]) => n).join(','));
});

test('nameOf / nameOfV1 agree with a linear scan for every member and for random values', () => {
  for (const [name, table] of V2) {
    for (const value of Object.values(table)) assert.equal(v2.nameOf(table, value), scan(table, value), `${name} ${value}`);
  }
  for (const [name, table] of V1) {
    for (const value of Object.values(table)) assert.equal(v1.nameOfV1(table, value), scan(table, value), `${name} ${value}`);
  }
  fc.assert(
    fc.property(fc.nat({ max: V2.length - 1 }), fc.nat({ max: V1.length - 1 }), fc.integer({ min: -5, max: 70000 }), (i, j, value) => {
      const t2 = V2[i]?.[1] ?? {};
      const t1 = V1[j]?.[1] ?? {};
      assert.equal(v2.nameOf(t2, value), scan(t2, value) ?? `UNKNOWN_${value}`);
      assert.equal(v1.nameOfV1(t1, value), scan(t1, value) ?? String(value));
    }),
    { numRuns: 2000 },
  );
});

test('known names and aliases: the first declared name wins', () => {
  assert.equal(v2.nameOf(v2.NotifyType, 14), 'NO_PROPOSAL_CHOSEN');
  assert.equal(v2.nameOf(v2.ExchangeType, 35), 'IKE_AUTH');
  assert.equal(v2.nameOf(v2.NotifyType, 65000), 'UNKNOWN_65000');
  const aliased = { FIRST: 1, SECOND: 1, OTHER: 2 } as const;
  assert.equal(v2.nameOf(aliased, 1), 'FIRST');
  assert.equal(reverseOf(aliased).size, 2);
  assert.equal(reverseOf(aliased), reverseOf(aliased), 'built once per registry');
});
