/**
 * A tunnel held up for 30 simulated days with short lifetimes (hundreds of
 * CHILD and IKE SA rekeys, initiated by both sides, with and without PFS)
 * under packet loss, duplication and reordering. After every delivered
 * message traffic must be able to flow (no gap at any rekey); at the end
 * exactly one IKE SA and one CHILD SA exist on each side, mirror images,
 * and after the teardown nothing is left: no SAs, policies or timers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/crypto/rng.js';
import { settle } from './fake-net.js';
import { Pair } from './harness.js';
import { assertEmpty, assertMirror, runUntil, trafficGaps } from './lifecycle-helpers.js';

const DAY = 24 * 3600_000;

async function soak(name: string, childExtra: string): Promise<void> {
  const conn = 'rekey_time = 1h\n rand_time = 10m\n over_time = 10m';
  const child = `rekey_time = 20m\n life_time = 30m\n rand_time = 5m\n ${childExtra}`;
  const pair = new Pair({ seed: name, westConn: conn, eastConn: conn, westChild: child, eastChild: child });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const rng = new SeededRng(`${name}-net`);
  let lossy = true;
  pair.net.filter = () => {
    if (!lossy) return 'deliver';
    const x = rng.bytes(1)[0] ?? 0;
    return x < 13 ? 'drop' : x < 18 ? 'duplicate' : 'deliver'; // ~5 % loss, ~2 % duplicates
  };
  const gaps: string[] = [];
  const end = 30 * DAY;
  let deliveries = 0;
  while (pair.clock.nowMs() < end) {
    // deliver everything queued, in a random order (reordering)
    await settle();
    while (pair.net.queue.length > 0) {
      const q = pair.net.queue;
      const idx = (rng.bytes(1)[0] ?? 0) % q.length;
      const [d] = q.splice(idx, 1);
      if (d !== undefined) q.unshift(d);
      pair.net.deliverOne();
      deliveries++;
      await settle();
      const g = trafficGaps(pair);
      if (g.length > 0) gaps.push(`t=${pair.clock.nowMs()}: ${g.join('; ')}`);
    }
    const next = pair.clock.nextAt();
    if (next === undefined) break;
    pair.clock.advance(Math.max(0, Math.min(next, end) - pair.clock.nowMs()));
  }
  assert.deepEqual(gaps.slice(0, 5), [], `${gaps.length} traffic gaps`);
  lossy = false;
  await runUntil(pair, pair.clock.nowMs() + 10 * 60_000);
  await assertMirror(pair, 1);
  const wc = pair.west.engine.counters().counters;
  const ec = pair.east.engine.counters().counters;
  const childRekeys = (wc['child.rekeyed'] ?? 0) + (ec['child.rekeyed'] ?? 0);
  const ikeRekeys = (wc['ike.rekeyed'] ?? 0);
  assert.ok(childRekeys >= 1000, `CHILD rekeys: ${childRekeys}`);
  assert.ok(ikeRekeys >= 300, `IKE rekeys: ${ikeRekeys}`);
  assert.ok((wc['child.rekey.responded'] ?? 0) > 100 && (ec['child.rekey.responded'] ?? 0) > 100, 'both sides initiated CHILD rekeys');
  assert.ok((wc['msg.tx.retransmit'] ?? 0) + (ec['msg.tx.retransmit'] ?? 0) > 50, 'loss was recovered by retransmission');
  const [w] = await pair.west.engine.listSas();
  assert.ok((w?.generation ?? 0) > 100, `IKE generation ${w?.generation}`);
  console.log(`# soak ${name}: ${deliveries} messages, ${childRekeys} CHILD rekeys, ${ikeRekeys} IKE rekeys, IKE generation ${w?.generation}, CHILD generation ${w?.children[0]?.generation}`);
  // teardown: nothing may remain
  const p = pair.west.engine.terminateIke(w?.uniqueId ?? -1);
  await runUntil(pair, pair.clock.nowMs() + 200_000);
  await p;
  assertEmpty(pair);
  assert.equal(pair.west.engine.context.policies.size, 0);
  assert.equal(pair.east.engine.context.policies.size, 0);
  assert.equal(pair.clock.pending, 0, 'timers left');
}

test('30 simulated days, CHILD rekeys without PFS, under loss, duplication and reordering', async () => {
  await soak('soak-nopfs', 'esp_proposals = aes128gcm16');
});

test('30 simulated days, CHILD rekeys with PFS, under loss, duplication and reordering', async () => {
  await soak('soak-pfs', 'esp_proposals = aes256gcm16-x25519');
});
