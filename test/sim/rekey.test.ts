/**
 * Rekeying (RFC 7296 §1.3.2, §1.3.3, §2.8, §2.18) in the simulator:
 * by time, by dataplane events, forced from the API; make-before-break
 * checked after every message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pair } from './harness.js';
import { assertEmpty, assertMirror, runUntil, trafficGaps } from './lifecycle-helpers.js';

async function established(pair: Pair): Promise<void> {
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
}

async function teardown(pair: Pair): Promise<void> {
  for (const sa of await pair.west.engine.listSas()) {
    const p = pair.west.engine.terminateIke(sa.uniqueId);
    await runUntil(pair, pair.clock.nowMs() + 1000);
    await p;
  }
  assertEmpty(pair);
}

test('CHILD SA rekey by time: new SPIs, generation 1, old SA gone, no traffic gap', async () => {
  const pair = new Pair({ seed: 'child-rekey', westChild: 'rekey_time = 10m\n rand_time = 0', eastChild: 'rekey_time = 1h' });
  await established(pair);
  const [before] = await pair.west.engine.listSas();
  const oldSpi = before?.children[0]?.spiIn;
  const gaps: string[] = [];
  await runUntil(pair, 11 * 60_000, () => gaps.push(...trafficGaps(pair)));
  assert.deepEqual(gaps, []);
  await assertMirror(pair, 1);
  const [after] = await pair.west.engine.listSas();
  const c = after?.children[0];
  assert.ok(c);
  assert.notEqual(c.spiIn, oldSpi);
  assert.equal(c.generation, 1);
  assert.equal(pair.west.engine.counters().counters['child.rekeyed'], 1);
  assert.ok(pair.west.engine.history().some((h) => h.kind === 'child' && /rekeyed into/.test(h.reason)));
  await teardown(pair);
});

test('CHILD SA rekey with PFS (KE in CREATE_CHILD_SA)', async () => {
  const pair = new Pair({
    seed: 'child-rekey-pfs',
    westChild: 'esp_proposals = aes128gcm16-x25519\n rekey_time = 10m\n rand_time = 0',
    eastChild: 'esp_proposals = aes128gcm16-x25519\n rekey_time = 1h',
  });
  await established(pair);
  await runUntil(pair, 11 * 60_000);
  await assertMirror(pair, 1);
  const [w] = await pair.west.engine.listSas();
  assert.equal(w?.children[0]?.algorithms.keyExchange, 'CURVE_25519');
  assert.equal(w?.children[0]?.generation, 1);
  await teardown(pair);
});

test('IKE SA rekey by time: new IKE SPIs, CHILD SAs move over, old IKE SA deleted on both sides', async () => {
  const pair = new Pair({ seed: 'ike-rekey', westConn: 'rekey_time = 20m\n rand_time = 0', eastConn: 'rekey_time = 2h' });
  await established(pair);
  const [before] = await pair.west.engine.listSas();
  const gaps: string[] = [];
  await runUntil(pair, 21 * 60_000, () => gaps.push(...trafficGaps(pair)));
  assert.deepEqual(gaps, []);
  await assertMirror(pair, 1);
  const [after] = await pair.west.engine.listSas();
  assert.ok(before && after);
  assert.notEqual(after.spiI, before.spiI);
  assert.equal(after.generation, 1);
  assert.equal(after.children[0]?.spiIn, before.children[0]?.spiIn, 'the CHILD SA itself is unchanged');
  assert.equal(pair.west.engine.counters().counters['ike.rekeyed'], 1);
  assert.equal(pair.east.engine.counters().counters['ike.rekeyed'], 1);
  // west's timer fired: it initiated, east responded (keyway_ike_rekeys_total{role})
  assert.equal(pair.west.engine.counters().counters['ike.rekeyed.initiator'], 1);
  assert.equal(pair.east.engine.counters().counters['ike.rekeyed.responder'], 1);
  assert.equal(pair.west.engine.counters().counters['ike.rekeyed.responder'] ?? 0, 0);
  await teardown(pair);
});

test('dataplane soft expiry (bytes) triggers a CHILD rekey; hard expiry deletes', async () => {
  const pair = new Pair({ seed: 'bytes', westChild: 'rekey_bytes = 1M\n life_bytes = 2M', eastChild: '' });
  await established(pair);
  const [w] = await pair.west.engine.listSas();
  const child = w?.children[0];
  assert.ok(child);
  const spi = parseInt(child.spiIn, 16);
  pair.west.dataplane.emit({ kind: 'expire', hard: false, sa: { protocol: 'esp', spi, dst: pair.west.address }, reqid: 0 });
  await runUntil(pair, pair.clock.nowMs() + 1000);
  await assertMirror(pair, 1);
  const [w2] = await pair.west.engine.listSas();
  assert.equal(w2?.children[0]?.generation, 1);
  const spi2 = parseInt(w2?.children[0]?.spiIn ?? '0', 16);
  pair.west.dataplane.emit({ kind: 'expire', hard: true, sa: { protocol: 'esp', spi: spi2, dst: pair.west.address }, reqid: 0 });
  await runUntil(pair, pair.clock.nowMs() + 1000);
  const [w3] = await pair.west.engine.listSas();
  const [e3] = await pair.east.engine.listSas();
  assert.equal(w3?.children.length, 0);
  assert.equal(e3?.children.length, 0);
  await teardown(pair);
});

test('rekey and reauth on demand through the API', async () => {
  const pair = new Pair({ seed: 'api' });
  await established(pair);
  const [w] = await pair.west.engine.listSas();
  assert.ok(w);
  const childId = w.children[0]?.uniqueId ?? -1;
  assert.equal(await pair.west.engine.rekeyChild(childId), true);
  await runUntil(pair, pair.clock.nowMs() + 1000);
  await assertMirror(pair, 1);
  assert.equal(await pair.east.engine.rekeyIke((await pair.east.engine.listSas())[0]?.uniqueId ?? -1), true);
  await runUntil(pair, pair.clock.nowMs() + 1000);
  await assertMirror(pair, 1);
  const [w2] = await pair.west.engine.listSas();
  assert.equal(w2?.generation, 1);
  assert.equal(w2?.initiator, false, 'east initiated the rekey, so west is the responder of the new IKE SA');
  const gaps: string[] = [];
  assert.equal(await pair.west.engine.reauthIke(w2?.uniqueId ?? -1), true);
  await runUntil(pair, pair.clock.nowMs() + 5000, () => gaps.push(...trafficGaps(pair)));
  assert.deepEqual(gaps, []);
  await assertMirror(pair, 1);
  const [w3] = await pair.west.engine.listSas();
  assert.equal(w3?.generation, 0, 'a reauthenticated IKE SA is a new SA');
  assert.notEqual(w3?.uniqueId, w2?.uniqueId);
  await teardown(pair);
});
