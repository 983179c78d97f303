import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatTs, parseTs } from '../../../src/config/ts.js';
import { ConfigError } from '../../../src/util/errors.js';

const W = { file: 't.conf', line: 12, column: 20 };
const b = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

describe('parseTs', () => {
  test('dynamic', () => {
    const ts = parseTs('dynamic', W);
    assert.equal(ts.dynamic, true);
    assert.equal(ts.start.length, 0);
    assert.equal(ts.protocol, 0);
    assert.deepEqual([ts.startPort, ts.endPort], [0, 65535]);
  });

  test('CIDR (host bits masked)', () => {
    const ts = parseTs('10.1.2.3/16', W);
    assert.equal(ts.dynamic, false);
    assert.equal(ts.family, 4);
    assert.deepEqual(ts.start, b('0a010000'));
    assert.deepEqual(ts.end, b('0a01ffff'));
    assert.equal(formatTs(ts), '10.1.0.0/16');
  });

  test('single address, range, any', () => {
    const one = parseTs('192.0.2.7', W);
    assert.deepEqual([one.start, one.end], [b('c0000207'), b('c0000207')]);
    const r = parseTs('10.1.0.1-10.1.0.9', W);
    assert.deepEqual([r.start, r.end], [b('0a010001'), b('0a010009')]);
    for (const t of ['%any', '0.0.0.0/0']) {
      const a = parseTs(t, W);
      assert.deepEqual([a.start, a.end], [b('00000000'), b('ffffffff')]);
    }
    const a6 = parseTs('::/0', W);
    assert.equal(a6.family, 6);
    assert.deepEqual(a6.end, new Uint8Array(16).fill(0xff));
    assert.deepEqual(parseTs('%any6', W).start, new Uint8Array(16));
  });

  test('IPv6 subnet and range', () => {
    const ts = parseTs('2001:db8::/32', W);
    assert.equal(ts.family, 6);
    assert.deepEqual(ts.start, b('20010db8000000000000000000000000'));
    assert.deepEqual(ts.end, b('20010db8ffffffffffffffffffffffff'));
    const r = parseTs('2001:db8::1-2001:db8::ff', W);
    assert.deepEqual(r.end, b('20010db80000000000000000000000ff'));
  });

  test('protocol/port suffixes', () => {
    const t1 = parseTs('10.0.0.0/8[tcp/80]', W);
    assert.deepEqual([t1.protocol, t1.startPort, t1.endPort], [6, 80, 80]);
    const t2 = parseTs('10.0.0.0/8[udp]', W);
    assert.deepEqual([t2.protocol, t2.startPort, t2.endPort], [17, 0, 65535]);
    const t3 = parseTs('10.0.0.0/8[17/1000-2000]', W);
    assert.deepEqual([t3.protocol, t3.startPort, t3.endPort], [17, 1000, 2000]);
    const t4 = parseTs('::/0[icmp/8]', W);
    assert.deepEqual([t4.protocol, t4.startPort, t4.endPort], [1, 8, 8]);
    const t5 = parseTs('dynamic[%any/53]', W);
    assert.deepEqual([t5.dynamic, t5.protocol, t5.startPort, t5.endPort], [true, 0, 53, 53]);
    const t6 = parseTs('10.0.0.1[udp/opaque]', W);
    assert.deepEqual([t6.startPort, t6.endPort], [65535, 0]);
  });

  const bad: [string, RegExp][] = [
    ['10.0.0.0/33', /not a valid subnet/],
    ['10.0.0.256', /not a valid traffic selector/],
    ['10.0.0.9-10.0.0.1', /start is after its end/],
    ['10.0.0.1-::1', /mixes IPv4 and IPv6/],
    ['10.0.0.0/8[foo]', /unknown protocol 'foo'/],
    ['10.0.0.0/8[tcp/70000]', /invalid port/],
    ['10.0.0.0/8[tcp/90-80]', /reversed/],
    ['10.0.0.0/8[tcp', /without a closing/],
    ['[tcp]', /has no address/],
    ['host.example.com', /not a valid traffic selector/],
  ];
  for (const [text, re] of bad) {
    test(`rejects ${text}`, () => {
      assert.throws(
        () => parseTs(text, W),
        (e: unknown) => e instanceof ConfigError && re.test(e.message) && e.line === 12 && e.column === 20,
      );
    });
  }
});

describe('formatTs', () => {
  test('canonical forms round-trip', () => {
    for (const t of [
      'dynamic',
      '10.1.0.0/16',
      '192.0.2.7/32',
      '10.1.0.1-10.1.0.9',
      '2001:db8::/32',
      '0.0.0.0/0[tcp/80]',
      '10.0.0.0/8[udp]',
      '10.0.0.0/8[udp/1000-2000]',
      'dynamic[%any/53]',
      '::/0[ipv6-icmp/135]',
      '10.0.0.0/8[udp/opaque]',
    ]) {
      const ts = parseTs(t, W);
      assert.equal(formatTs(ts), t);
    }
  });
});
