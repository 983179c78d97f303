/**
 * Exchange collisions (RFC 7296 §2.8.1, §2.8.2, §2.25): both peers act at the
 * same moment and the messages are delivered in every kind of order (random
 * interleavings from seeded schedules). At the end both sides must agree, with
 * no duplicate, orphaned or leaked SAs, and no traffic gap at any step.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/crypto/rng.js';
import { settle } from './fake-net.js';
import { Pair } from './harness.js';
import { assertEmpty, assertMirror, runUntil, trafficGaps } from './lifecycle-helpers.js';

/** Delivers queued datagrams in a random order until the network is quiet, checking for gaps. */
async function shuffleDeliver(pair: Pair, rng: SeededRng, gaps: string[]): Promise<void> {
  await settle();
  for (let i = 0; i < 10_000; i++) {
    const q = pair.net.queue;
    if (q.length === 0) {
      await settle();
      if (pair.net.queue.length === 0) return;
      continue;
    }
    const idx = (rng.bytes(1)[0] ?? 0) % q.length;
    const [d] = q.splice(idx, 1);
    if (d !== undefined) q.unshift(d);
    pair.net.deliverOne();
    await settle();
    gaps.push(...trafficGaps(pair));
  }
  throw new Error('no quiescence');
}

async function setup(seed: string, extra: { westChild?: string; eastChild?: string } = {}): Promise<Pair> {
  const pair = new Pair({ seed, ...extra });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  return pair;
}

async function ids(pair: Pair): Promise<{ wIke: number; eIke: number; wChild: number; eChild: number }> {
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  return { wIke: w?.uniqueId ?? -1, eIke: e?.uniqueId ?? -1, wChild: w?.children[0]?.uniqueId ?? -1, eChild: e?.children[0]?.uniqueId ?? -1 };
}

async function finish(pair: Pair): Promise<void> {
  // let retries, deletes and timers play out, then tear down and check for leaks
  await runUntil(pair, pair.clock.nowMs() + 120_000);
  for (const sa of await pair.west.engine.listSas()) {
    const p = pair.west.engine.terminateIke(sa.uniqueId);
    await runUntil(pair, pair.clock.nowMs() + 1000);
    await p;
  }
  await runUntil(pair, pair.clock.nowMs() + 200_000);
  assertEmpty(pair);
  assert.equal(pair.west.engine.context.policies.size, 0, 'west policies leaked');
  assert.equal(pair.east.engine.context.policies.size, 0, 'east policies leaked');
}

const RUNS = 12;

test('simultaneous CHILD SA rekeys: the lowest nonce loses, one CHILD SA survives on both sides', async () => {
  const outcomes = new Set<string>();
  for (let i = 0; i < RUNS; i++) {
    const pair = await setup(`crk-${i}`, { westChild: 'esp_proposals = aes128gcm16-x25519', eastChild: 'esp_proposals = aes128gcm16-x25519' });
    const { wChild, eChild } = await ids(pair);
    const a = pair.west.engine.rekeyChild(wChild);
    const b = pair.east.engine.rekeyChild(eChild);
    await Promise.all([a, b]);
    const gaps: string[] = [];
    await shuffleDeliver(pair, new SeededRng(`order-${i}`), gaps);
    await runUntil(pair, pair.clock.nowMs() + 60_000, () => gaps.push(...trafficGaps(pair)));
    assert.deepEqual(gaps, [], `run ${i}`);
    await assertMirror(pair, 1);
    const [w] = await pair.west.engine.listSas();
    assert.equal(w?.children[0]?.generation, 1, `run ${i}`);
    const wc = pair.west.engine.counters().counters;
    const ec = pair.east.engine.counters().counters;
    const wLost = wc['child.rekey.collision.lost'] ?? 0;
    const eLost = ec['child.rekey.collision.lost'] ?? 0;
    if (wLost + eLost > 0) {
      assert.equal(wLost + eLost, 1, `exactly one side loses (run ${i})`);
      assert.equal((wc['child.rekey.collision.won'] ?? 0) + (ec['child.rekey.collision.won'] ?? 0), 1, `exactly one side wins (run ${i})`);
      outcomes.add(wLost === 1 ? 'west lost' : 'east lost');
    } else {
      outcomes.add('sequential');
    }
    await finish(pair);
  }
  assert.ok(outcomes.has('west lost') && outcomes.has('east lost'), `both orders of nonces were exercised: ${[...outcomes].join(', ')}`);
});

test('simultaneous IKE SA rekeys: one new IKE SA survives, CHILD SAs follow it', async () => {
  const outcomes = new Set<string>();
  for (let i = 0; i < RUNS; i++) {
    const pair = await setup(`irk-${i}`);
    const { wIke, eIke } = await ids(pair);
    await Promise.all([pair.west.engine.rekeyIke(wIke), pair.east.engine.rekeyIke(eIke)]);
    const gaps: string[] = [];
    await shuffleDeliver(pair, new SeededRng(`iorder-${i}`), gaps);
    await runUntil(pair, pair.clock.nowMs() + 60_000);
    assert.deepEqual(gaps, [], `run ${i}`);
    await assertMirror(pair, 1);
    const [w] = await pair.west.engine.listSas();
    assert.equal(w?.generation, 1, `run ${i}`);
    const wLost = pair.west.engine.counters().counters['ike.rekey.collision.lost'] ?? 0;
    const eLost = pair.east.engine.counters().counters['ike.rekey.collision.lost'] ?? 0;
    outcomes.add(wLost + eLost === 0 ? 'sequential' : wLost === 1 ? 'west lost' : 'east lost');
    assert.ok(wLost + eLost <= 1, `run ${i}`);
    await finish(pair);
  }
  assert.ok(outcomes.has('west lost') && outcomes.has('east lost'), `both orders of nonces were exercised: ${[...outcomes].join(', ')}`);
});

test('CHILD rekey crossing a delete of that CHILD SA: it ends deleted on both sides, IKE SA intact', async () => {
  for (let i = 0; i < RUNS; i++) {
    const pair = await setup(`rxd-${i}`);
    const { wChild, eChild } = await ids(pair);
    await pair.west.engine.rekeyChild(wChild);
    const del = pair.east.engine.terminateChild(eChild);
    await shuffleDeliver(pair, new SeededRng(`rxd-order-${i}`), []);
    await del;
    await runUntil(pair, pair.clock.nowMs() + 60_000);
    const [w] = await pair.west.engine.listSas();
    const [e] = await pair.east.engine.listSas();
    assert.equal(w?.state, 'established');
    assert.equal(e?.state, 'established');
    // the peer asked to delete: either the rekey was refused (no CHILD SA) or it completed first
    assert.equal(w?.children.length, e?.children.length, `run ${i}: both sides agree`);
    assert.equal(pair.west.dataplane.sas.size, pair.east.dataplane.sas.size);
    await finish(pair);
  }
});

test('CHILD rekey crossing a delete of the IKE SA: everything is gone on both sides', async () => {
  for (let i = 0; i < RUNS; i++) {
    const pair = await setup(`rxi-${i}`);
    const { wChild, eIke } = await ids(pair);
    await pair.west.engine.rekeyChild(wChild);
    const del = pair.east.engine.terminateIke(eIke);
    await shuffleDeliver(pair, new SeededRng(`rxi-order-${i}`), []);
    await del;
    await runUntil(pair, pair.clock.nowMs() + 200_000);
    assertEmpty(pair);
  }
});

test('IKE rekey crossing a CHILD rekey: TEMPORARY_FAILURE and retry converge', async () => {
  for (let i = 0; i < RUNS; i++) {
    const pair = await setup(`ixc-${i}`);
    const { wIke, eChild } = await ids(pair);
    await pair.west.engine.rekeyIke(wIke);
    await pair.east.engine.rekeyChild(eChild);
    const gaps: string[] = [];
    await shuffleDeliver(pair, new SeededRng(`ixc-order-${i}`), gaps);
    await runUntil(pair, pair.clock.nowMs() + 120_000, () => gaps.push(...trafficGaps(pair)));
    assert.deepEqual(gaps, [], `run ${i}`);
    await assertMirror(pair, 1);
    await finish(pair);
  }
});

test('IKE rekey crossing a delete of the IKE SA: everything is gone on both sides', async () => {
  for (let i = 0; i < RUNS; i++) {
    const pair = await setup(`ixd-${i}`);
    const { wIke, eIke } = await ids(pair);
    await pair.west.engine.rekeyIke(wIke);
    const del = pair.east.engine.terminateIke(eIke);
    await shuffleDeliver(pair, new SeededRng(`ixd-order-${i}`), []);
    await del;
    await runUntil(pair, pair.clock.nowMs() + 200_000);
    assertEmpty(pair);
  }
});
