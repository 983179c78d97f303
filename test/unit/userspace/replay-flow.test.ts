import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayWindow } from '../../../src/kernel/userspace/replay.js';
import { compileSelector, parseFlow, selectorMatches } from '../../../src/kernel/userspace/flow.js';
import { rangeToPrefixes, HostRoutes } from '../../../src/kernel/userspace/host-routes.js';
import { E, W, makeSide, sel, udp4 } from './pair.js';
import type { PolicySpec } from '../../../src/ike/dataplane.js';

test('replay window: new, duplicate, inside, too old; seq 0 never accepted', () => {
  const w = new ReplayWindow(32, false);
  assert.deepEqual(w.check(0), { ok: false, reason: 'zero' });
  const take = (s: number): boolean => {
    const v = w.check(s);
    if (v.ok) w.accept(v.seq);
    return v.ok;
  };
  assert.equal(take(1), true);
  assert.equal(take(1), false);
  assert.equal(take(40), true);
  assert.equal(take(9), true, '31 behind: inside');
  assert.equal(take(8), false, '32 behind: outside a 32 window');
  assert.equal(take(9), false);
  assert.equal(take(1000), true);
  assert.equal(take(999), true);
  assert.equal(take(969), true);
  assert.equal(take(968), false);
});

test('replay window agrees with a naive set-based model (property)', () => {
  fc.assert(
    fc.property(fc.constantFrom(0, 32, 64, 100, 1024), fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 300 }), (size, seqs) => {
      const w = new ReplayWindow(size, false);
      const seen = new Set<number>();
      let top = 0;
      for (const s of seqs) {
        const model = size === 0 ? true : s > top || (top - s < size && !seen.has(s));
        const v = w.check(s);
        assert.equal(v.ok, model, `seq ${s} top ${top} size ${size}`);
        if (v.ok) {
          w.accept(s);
          seen.add(s);
          top = Math.max(top, s);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('ESN: the high half is inferred across the 2^32 boundary (RFC 4303 App. A2)', () => {
  const w = new ReplayWindow(64, true);
  const T32 = 2 ** 32;
  w.accept(T32 - 10);
  const next = w.check(5); // low bits wrapped: next subspace
  assert.deepEqual(next, { ok: true, seq: T32 + 5, seqHi: 1 });
  w.accept(T32 + 5);
  const late = w.check(0xfffffff8); // straggler from the previous subspace, inside the window
  assert.deepEqual(late, { ok: true, seq: T32 - 8, seqHi: 0 });
  assert.deepEqual(w.check(0xfffffff6), { ok: false, reason: 'replay' });
});

test('flow parsing: IPv4 UDP ports, fragments are opaque, junk is refused', () => {
  const f = parseFlow(udp4('10.1.0.1', '10.2.0.1', 4, 53, 1234));
  assert.deepEqual(f, { family: 4, src: 0x0a010001, dst: 0x0a020001, proto: 17, sport: 53, dport: 1234, length: 32 });
  const frag = udp4('10.1.0.1', '10.2.0.1', 4);
  frag[7] = 1; // fragment offset 8 bytes
  assert.equal(parseFlow(frag)?.sport, -1);
  assert.equal(parseFlow(new Uint8Array([0x45, 0, 0, 10])), undefined);
  assert.equal(parseFlow(new Uint8Array(0)), undefined);
  const v6 = new Uint8Array(48);
  v6[0] = 0x60;
  v6[5] = 8;
  v6[6] = 17;
  v6[23] = 1;
  v6[39] = 2;
  v6[40] = 0;
  v6[41] = 7;
  assert.deepEqual(parseFlow(v6), { family: 6, src: 1n, dst: 2n, proto: 17, sport: 7, dport: 0, length: 48 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (b) => void parseFlow(b)), { numRuns: 2000 });
});

test('selectors: ranges, protocol and ports; OPAQUE ports match only ANY', () => {
  const s = compileSelector(sel('10.0.0.0', '10.0.0.255', 17, 53, 53));
  assert.equal(selectorMatches(s, 4, 0x0a000005, 17, 53), true);
  assert.equal(selectorMatches(s, 4, 0x0a000005, 6, 53), false);
  assert.equal(selectorMatches(s, 4, 0x0a000105, 17, 53), false);
  assert.equal(selectorMatches(s, 4, 0x0a000005, 17, -1), false);
  assert.equal(selectorMatches(compileSelector(sel('10.0.0.0', '10.0.0.255')), 4, 0x0a000005, 17, -1), true);
  assert.throws(() => compileSelector(sel('10.0.0.9', '10.0.0.1')));
});

test('ranges become the fewest covering prefixes', () => {
  assert.deepEqual(rangeToPrefixes(4, 0x0a010000n, 0x0a0100ffn), ['10.1.0.0/24']);
  assert.deepEqual(rangeToPrefixes(4, 0x0a000001n, 0x0a000006n), ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']);
  assert.deepEqual(rangeToPrefixes(4, 0n, 0xffffffffn), ['0.0.0.0/0']);
  assert.deepEqual(rangeToPrefixes(6, 0n, (1n << 128n) - 1n), ['::/0']);
});

test('host routes: rules, shared routes reference-counted, everything undone on flush', async () => {
  const cmds: string[] = [];
  const r = new HostRoutes({ device: 'kw0', table: 220, bypassPorts: [500, 4500], tunAddresses: ['10.1.0.1/32'], run: (a) => (cmds.push(a.join(' ')), Promise.resolve()) });
  await r.setup();
  const pol = (local: string, reqid: number): PolicySpec => ({ direction: 'out', local: sel(local, local), remote: sel('10.2.0.0', '10.2.0.255'), mode: 'tunnel', tunnelSrc: W, tunnelDst: E, reqid, protocol: 'esp', priority: 0 });
  await r.policyAdded(pol('10.1.0.1', 1));
  await r.policyAdded(pol('10.1.0.1', 2));
  await r.policyRemoved(pol('10.1.0.1', 1));
  const afterOne = cmds.filter((c) => c.includes('route')).length;
  await r.flush();
  assert.ok(cmds.includes('-4 rule add pref 219 ipproto udp sport 4500 lookup main'));
  assert.ok(cmds.includes('-4 rule add pref 220 lookup 220'));
  assert.ok(cmds.includes('-4 route replace 10.2.0.0/24 dev kw0 table 220 src 10.1.0.1'));
  assert.equal(afterOne, 1, 'one route for two policies; still there after removing one');
  assert.ok(cmds.includes('-4 route del 10.2.0.0/24 dev kw0 table 220'));
  assert.ok(cmds.includes('-6 rule del pref 220 lookup 220'));
  const adds = cmds.filter((c) => / rule add /.test(c)).length;
  const dels = cmds.filter((c) => / rule del /.test(c)).length;
  assert.equal(dels, adds * 2, 'each rule: a stale-copy delete before add, and a delete on flush');
});

test('dataplane never throws on random ESP or random TUN packets (fuzz)', async () => {
  const side = makeSide('fuzz', () => undefined);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      side.dp.fromNetwork({ local: { address: E, port: 4500 }, remote: { address: W, port: 4500 }, bytes: b });
      side.dp.fromDevice([b]);
    }),
    { numRuns: 2000 },
  );
  assert.ok(Object.keys(side.dp.counters()).length > 0);
});
