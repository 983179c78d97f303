/**
 * IKEv1 CHILD SAs and dataplane expiry (issue 6 "IKEv1 parts"): a soft byte
 * or packet limit reported by the dataplane starts a new Quick Mode and the
 * old IPsec SAs are deleted afterwards (make-before-break); a hard limit
 * deletes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V1Pair } from './v1-harness.js';

test('IKEv1: a soft expiry rekeys the CHILD SA with a new Quick Mode; a hard expiry deletes it', async () => {
  const pair = new V1Pair({});
  assert.equal((await pair.initiate(pair.west)).ok, true);
  const [before] = await pair.west.engine.listSas();
  const old = before?.children[0];
  assert.ok(old);
  const spi = parseInt(old.spiIn, 16);
  pair.west.dataplane.emit({ kind: 'expire', hard: false, sa: { protocol: 'esp', spi, dst: pair.west.address }, reqid: 0 });
  await pair.advance(5_000, 500);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.equal(w?.children.length, 1, 'one CHILD SA on west');
  assert.equal(e?.children.length, 1, 'one CHILD SA on east');
  assert.notEqual(w?.children[0]?.spiIn, old.spiIn, 'new SPIs');
  assert.equal(w?.children[0]?.spiIn, e?.children[0]?.spiOut);
  assert.equal(pair.west.dataplane.sas.size, 2);
  assert.equal(pair.east.dataplane.sas.size, 2);
  assert.equal(pair.west.engine.counters().counters['kernel.expire.soft'], 1);
  const spi2 = parseInt(w?.children[0]?.spiIn ?? '0', 16);
  pair.west.dataplane.emit({ kind: 'expire', hard: true, sa: { protocol: 'esp', spi: spi2, dst: pair.west.address }, reqid: 0 });
  await pair.advance(5_000, 500);
  assert.equal((await pair.west.engine.listSas())[0]?.children.length, 0);
  assert.equal((await pair.east.engine.listSas())[0]?.children.length, 0);
  assert.equal(pair.west.dataplane.sas.size, 0);
});

test('IKEv1: the Quick Mode initiator rekeys its IPsec SAs by time (new Quick Mode, same reqid), no traffic gap', async () => {
  const { trafficGaps } = await import('./lifecycle-helpers.js');
  const pair = new V1Pair({ westChild: 'rekey_time = 10m\nlife_time = 20m\nrand_time = 0', eastChild: 'rekey_time = 10m\nlife_time = 20m\nrand_time = 0' });
  assert.equal((await pair.initiate(pair.west)).ok, true);
  const [before] = await pair.west.engine.listSas();
  const gaps: string[] = [];
  for (let t = 0; t < 45 * 60_000; t += 30_000) {
    await pair.advance(30_000, 1000);
    gaps.push(...trafficGaps(pair as unknown as Parameters<typeof trafficGaps>[0]));
  }
  assert.deepEqual(gaps, []);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.equal(w?.children.length, 1, JSON.stringify(w?.children));
  assert.equal(e?.children.length, 1, JSON.stringify(e?.children));
  assert.ok((w?.children[0]?.generation ?? 0) >= 4, `generation ${w?.children[0]?.generation}`);
  assert.notEqual(w?.children[0]?.spiIn, before?.children[0]?.spiIn);
  assert.equal(w?.children[0]?.spiIn, e?.children[0]?.spiOut);
  assert.equal(pair.west.dataplane.sas.size, 2);
  assert.equal(pair.east.dataplane.sas.size, 2);
  assert.equal(pair.east.engine.counters().counters['v1.child.rekeyed'] ?? 0, 0, 'only the Quick Mode initiator rekeys');
});
