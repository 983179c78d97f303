import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TsType } from '../../../src/iana/ikev2.js';
import { WireError } from '../../../src/util/errors.js';
import {
  formatTs, intersectTs, narrowTs, resolveTs, tsContains, tsFromWire, tsListFromWire, tsToWire, validateResponseTs, type TsRange,
} from '../../../src/policy/ts.js';
import { tsSpec } from './fixtures.js';

/** Shorthand: resolve an IPv4 TsSpec text (dynamic -> 192.0.2.1). */
function r(text: string, protocol = 0, startPort = 0, endPort = 65535): TsRange {
  return resolveTs(tsSpec(text, protocol, startPort, endPort), '192.0.2.1');
}
const fmt = (xs: readonly TsRange[]): string[] => xs.map(formatTs);

describe('TsRange conversions and formatting (RFC 7296 §3.13.1)', () => {
  test('strongSwan-style formatting', () => {
    assert.equal(formatTs(r('10.1.0.0/16')), '10.1.0.0/16');
    assert.equal(formatTs(r('10.1.0.1-10.1.0.9', 6, 80, 80)), '10.1.0.1..10.1.0.9[tcp/80]');
    assert.equal(formatTs(r('dynamic')), '192.0.2.1/32');
    assert.equal(formatTs(r('10.0.0.0/8', 17, 1000, 2000)), '10.0.0.0/8[udp/1000-2000]');
    assert.equal(formatTs(r('10.0.0.0/8', 6)), '10.0.0.0/8[tcp]');
    assert.equal(formatTs(r('0.0.0.0/0', 0, 65535, 0)), '0.0.0.0/0[any/OPAQUE]');
  });
  test('IPv6 dynamic and formatting', () => {
    const v6 = resolveTs(tsSpec('dynamic'), '2001:db8::1');
    assert.equal(v6.family, 6);
    assert.equal(formatTs(v6), '2001:db8::1/128');
    assert.equal(formatTs({ ...v6, start: 0n, end: (1n << 128n) - 1n }), '::/0');
  });
  test('wire round trip', () => {
    const x = r('10.1.0.1-10.1.0.9', 6, 80, 443);
    const w = tsToWire(x);
    assert.equal(w.tsType, TsType.TS_IPV4_ADDR_RANGE);
    assert.deepEqual([...w.startAddress], [10, 1, 0, 1]);
    assert.deepEqual([...w.endAddress], [10, 1, 0, 9]);
    assert.deepEqual(tsFromWire(w), x);
  });
  test('hostile wire selectors raise WireError only; list conversion skips unknown types', () => {
    const good = tsToWire(r('10.0.0.0/8'));
    assert.throws(() => tsFromWire({ ...good, startAddress: new Uint8Array(16) }), WireError);
    assert.throws(() => tsFromWire({ ...good, tsType: TsType.TS_FC_ADDR_RANGE }), WireError);
    assert.throws(() => tsFromWire({ ...good, startPort: 70000 }), WireError);
    const list = tsListFromWire([{ ...good, tsType: 9 }, good]);
    assert.equal(list.length, 1);
  });
});

describe('narrowTs (RFC 7296 §2.9)', () => {
  test('proposed 10.0.0.0/8 vs configured 10.1.0.0/16 -> 10.1.0.0/16', () => {
    assert.deepEqual(fmt(narrowTs([r('10.0.0.0/8')], [r('10.1.0.0/16')])), ['10.1.0.0/16']);
  });
  test('proposed narrower than configured stays as proposed', () => {
    assert.deepEqual(fmt(narrowTs([r('10.1.2.0/24')], [r('10.0.0.0/8')])), ['10.1.2.0/24']);
  });
  test('partial address overlap yields a range', () => {
    assert.deepEqual(fmt(narrowTs([r('10.0.0.0-10.0.0.100')], [r('10.0.0.50-10.0.0.200')])), ['10.0.0.50..10.0.0.100']);
  });
  test('protocol any vs tcp -> tcp; tcp vs udp -> empty', () => {
    assert.deepEqual(fmt(narrowTs([r('10.0.0.0/8')], [r('10.0.0.0/8', 6, 80, 80)])), ['10.0.0.0/8[tcp/80]']);
    assert.deepEqual(narrowTs([r('10.0.0.0/8', 17)], [r('10.0.0.0/8', 6)]), []);
  });
  test('port ranges intersect', () => {
    assert.deepEqual(fmt(narrowTs([r('10.0.0.0/8', 6, 1000, 2000)], [r('10.0.0.0/8', 6, 1500, 3000)])), ['10.0.0.0/8[tcp/1500-2000]']);
    assert.deepEqual(narrowTs([r('10.0.0.0/8', 6, 1, 10)], [r('10.0.0.0/8', 6, 11, 20)]), []);
  });
  test('disjoint addresses -> empty; families never mix', () => {
    assert.deepEqual(narrowTs([r('10.0.0.0/8')], [r('192.168.0.0/16')]), []);
    const v6 = resolveTs(tsSpec('dynamic'), '2001:db8::1');
    assert.deepEqual(narrowTs([r('0.0.0.0/0')], [v6]), []);
  });
  test('OPAQUE ports: kept against ANY or OPAQUE, dropped against a specific range', () => {
    const opaque = r('10.0.0.0/8', 0, 65535, 0);
    assert.deepEqual(fmt(narrowTs([opaque], [r('10.1.0.0/16')])), ['10.1.0.0/16[any/OPAQUE]']);
    assert.deepEqual(fmt(narrowTs([opaque], [r('10.0.0.0/8', 0, 65535, 0)])), ['10.0.0.0/8[any/OPAQUE]']);
    assert.deepEqual(narrowTs([opaque], [r('10.0.0.0/8', 6, 80, 80)]), []);
  });
  test('several selectors: all intersections, proposed order first, duplicates removed', () => {
    // §2.9: first TSi may be the packet that triggered the request (from an ACQUIRE)
    const proposed = [r('10.1.0.5', 6, 80, 80), r('10.1.0.0/16')];
    const configured = [r('10.1.0.0/24'), r('10.1.0.0/16')];
    assert.deepEqual(fmt(narrowTs(proposed, configured)), ['10.1.0.5/32[tcp/80]', '10.1.0.0/24', '10.1.0.0/16']);
  });
  test('intersectTs is symmetric on an example and tsContains agrees', () => {
    const a = r('10.0.0.0/8', 6, 0, 1023);
    const b = r('10.2.0.0/16');
    assert.deepEqual(intersectTs(a, b), intersectTs(b, a));
    assert.ok(tsContains(b, r('10.2.3.0/24', 6, 80, 80)));
    assert.ok(!tsContains(r('10.2.3.0/24', 6, 80, 80), b));
  });
});

describe('validateResponseTs (initiator, §2.9)', () => {
  const sent = [r('10.0.0.0/8'), r('192.168.1.0/24', 6)];
  test('subsets are accepted', () => {
    assert.deepEqual(validateResponseTs(sent, [r('10.1.0.0/16'), r('192.168.1.7', 6, 22, 22)]), { ok: true });
  });
  test('anything outside, or nothing, is rejected', () => {
    const a = validateResponseTs(sent, [r('11.0.0.0/8')]);
    assert.ok(!a.ok && a.error.includes('11.0.0.0/8'));
    assert.equal(validateResponseTs(sent, [r('192.168.1.0/24')]).ok, false, 'any protocol is wider than tcp');
    assert.equal(validateResponseTs(sent, []).ok, false);
  });
});
