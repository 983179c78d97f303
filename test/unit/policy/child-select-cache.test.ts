/**
 * selectChildConfig converts fixed configured selectors once per config
 * object; "dynamic" ones depend on each SA's addresses and must not be cached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childCandidatesOf, formatTs, resolveTs, selectChildConfig, type TsRange } from '../../../src/policy/ts.js';
import { child, conn, tsSpec } from './fixtures.js';

const r = (text: string): TsRange => resolveTs(tsSpec(text), '0.0.0.0');

test('dynamic selectors follow each SA; fixed ones answer the same every time', () => {
  const road = conn('road', { children: [child('host', [tsSpec('dynamic')], [tsSpec('dynamic')])] });
  const cands = childCandidatesOf([road]);
  for (const [local, remote] of [['192.0.2.1', '198.51.100.7'], ['192.0.2.9', '198.51.100.8'], ['192.0.2.1', '198.51.100.7']] as const) {
    const s = selectChildConfig(cands, [r('0.0.0.0/0')], [r('0.0.0.0/0')], { local, remote });
    assert.ok(s.ok);
    assert.deepEqual(s.tsi.map(formatTs), [`${remote}/32`]);
    assert.deepEqual(s.tsr.map(formatTs), [`${local}/32`]);
  }
  const site = conn('site', { children: [child('net', [tsSpec('10.1.0.0/16')], [tsSpec('10.2.0.0/16')])] });
  const sc = childCandidatesOf([site]);
  for (const dyn of [{ local: '192.0.2.1', remote: '198.51.100.7' }, { local: '2001:db8::1', remote: '2001:db8::2' }]) {
    const s = selectChildConfig(sc, [r('10.2.3.0/24')], [r('10.0.0.0/8')], dyn);
    assert.ok(s.ok);
    assert.deepEqual([...s.tsi.map(formatTs), ...s.tsr.map(formatTs)], ['10.2.3.0/24', '10.1.0.0/16']);
    const miss = selectChildConfig(sc, [r('10.9.0.0/16')], [r('10.0.0.0/8')], dyn);
    assert.ok(!miss.ok);
    assert.deepEqual(miss.diagnostic.candidates[0]?.localTs, ['10.1.0.0/16']);
  }
});
