import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { childCandidatesOf, formatTs, resolveTs, selectChildConfig, type TsRange } from '../../../src/policy/ts.js';
import { child, conn, tsSpec } from './fixtures.js';

const dyn = { local: '192.0.2.1', remote: '198.51.100.7' };
const r = (text: string, protocol = 0, s = 0, e = 65535): TsRange => resolveTs(tsSpec(text, protocol, s, e), '0.0.0.0');

const site = conn('site', {
  children: [
    child('net-a', [tsSpec('10.1.0.0/16')], [tsSpec('10.2.0.0/16')]),
    child('net-b', [tsSpec('10.1.5.0/24')], [tsSpec('10.2.5.0/24')]),
  ],
});
const road = conn('road', { children: [child('host', [tsSpec('dynamic')], [tsSpec('dynamic')])] });

describe('selectChildConfig (responder, RFC 7296 §2.9)', () => {
  test('an exact match is preferred over a wider config', () => {
    const s = selectChildConfig(childCandidatesOf([site]), [r('10.2.5.0/24')], [r('10.1.5.0/24')], dyn);
    assert.ok(s.ok);
    assert.equal(s.candidate.child.name, 'net-b');
    assert.deepEqual(s.tsi.map(formatTs), ['10.2.5.0/24']);
  });
  test('a wider proposal is narrowed to the config that overlaps most', () => {
    const s = selectChildConfig(childCandidatesOf([site]), [r('10.0.0.0/8')], [r('10.0.0.0/8')], dyn);
    assert.ok(s.ok);
    assert.equal(s.candidate.child.name, 'net-a');
    assert.deepEqual(s.tsi.map(formatTs), ['10.2.0.0/16']);
    assert.deepEqual(s.tsr.map(formatTs), ['10.1.0.0/16']);
  });
  test('dynamic selectors resolve to the IKE addresses (TSi = remote, TSr = local)', () => {
    const s = selectChildConfig(childCandidatesOf([road, site]), [r('0.0.0.0/0')], [r('0.0.0.0/0')], dyn);
    assert.ok(s.ok);
    assert.equal(s.candidate.child.name, 'net-a', 'largest overlap wins among equal scores');
    const h = selectChildConfig(childCandidatesOf([road]), [r('198.51.100.7')], [r('192.0.2.1')], dyn);
    assert.ok(h.ok);
    assert.equal(h.candidate.connection, 'road');
    assert.deepEqual(h.tsi.map(formatTs), ['198.51.100.7/32']);
    assert.deepEqual(h.tsr.map(formatTs), ['192.0.2.1/32']);
  });
  test('nothing fits: diagnostic lists each candidate and why (TS_UNACCEPTABLE)', () => {
    const s = selectChildConfig(childCandidatesOf([site]), [r('10.9.0.0/16')], [r('10.1.0.0/16')], dyn);
    assert.ok(!s.ok);
    const d = s.diagnostic;
    assert.deepEqual(d.proposed, { tsi: ['10.9.0.0/16'], tsr: ['10.1.0.0/16'] });
    assert.equal(d.candidates.length, 2);
    assert.equal(d.candidates[0]?.child, 'site/net-a');
    assert.deepEqual(d.candidates[0]?.remoteTs, ['10.2.0.0/16']);
    assert.match(d.candidates[0]?.why ?? '', /TSi 10\.9\.0\.0\/16 does not overlap remote_ts 10\.2\.0\.0\/16/);
    assert.doesNotMatch(d.candidates[0]?.why ?? '', /TSr/, 'TSr overlapped net-a');
    assert.equal(d.candidates[1]?.why, 'TSi 10.9.0.0/16 does not overlap remote_ts 10.2.5.0/24');
    assert.match(d.reason, /no CHILD_SA config matches TSi 10\.9\.0\.0\/16 \/ TSr 10\.1\.0\.0\/16 \(2 considered\)/);
  });
  test('protocol/port restricted config narrows a wildcard proposal', () => {
    const web = conn('web', { children: [child('https', [tsSpec('10.1.0.0/16', 6, 443, 443)], [tsSpec('0.0.0.0/0')])] });
    const s = selectChildConfig(childCandidatesOf([web]), [r('10.9.9.9')], [r('10.1.0.0/16')], dyn);
    assert.ok(s.ok);
    assert.deepEqual(s.tsr.map(formatTs), ['10.1.0.0/16[tcp/443]']);
  });
});
