/**
 * Dead-peer detection, actions on close, traps and keying tries
 * (RFC 7296 §1.4, §2.4; strongSwan's dpd_action / close_action /
 * start_action / keyingtries semantics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../src/crypto/rng.js';
import { createEngine } from '../../src/ike/engine.js';
import { MemoryDataplane } from '../../src/kernel/memory/memory-dataplane.js';
import { Pair, RecordingLogger } from './harness.js';
import { assertEmpty, assertMirror, runUntil } from './lifecycle-helpers.js';

async function up(pair: Pair): Promise<void> {
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
}

test('DPD: a silent peer is detected within dpd_delay plus the retransmission schedule; dpd_action = clear', async () => {
  const pair = new Pair({ seed: 'dpd-clear', westConn: 'dpd_delay = 30s', westChild: 'dpd_action = clear' });
  await up(pair);
  const t0 = pair.clock.nowMs();
  pair.net.filter = (d) => (d.local.address === pair.east.address ? 'drop' : 'deliver');
  await runUntil(pair, t0 + 30_000 + 170_000);
  assert.equal((await pair.west.engine.listSas()).length, 0, 'west gave up on the dead peer');
  assert.equal(pair.west.dataplane.sas.size, 0);
  assert.equal(pair.west.engine.counters().counters['dpd.check.sent'], 1);
  assert.equal(pair.west.engine.counters().counters['dpd.peer.dead'], 1);
  const h = pair.west.engine.history().find((r) => r.kind === 'ike');
  assert.match(h?.reason ?? '', /did not respond to INFORMATIONAL\(DPD\)/);
  assert.equal(pair.west.engine.counters().counters['ike.initiated'], 1, 'clear: no new attempt');
});

test('DPD with dpd_action = restart: the tunnel comes back once the peer answers again', async () => {
  const pair = new Pair({ seed: 'dpd-restart', westConn: 'dpd_delay = 30s\n keyingtries = 0', westChild: 'dpd_action = restart' });
  await up(pair);
  const t0 = pair.clock.nowMs();
  pair.net.filter = (d) => (d.local.address === pair.east.address ? 'drop' : 'deliver');
  await runUntil(pair, t0 + 30_000 + 170_000);
  assert.equal((await pair.west.engine.listSas()).filter((s) => s.state === 'established').length, 0);
  pair.net.filter = () => 'deliver';
  await runUntil(pair, pair.clock.nowMs() + 400_000);
  // east still holds its stale IKE SA until INITIAL_CONTACT clears it
  await assertMirror(pair, 1);
  assert.ok((pair.west.engine.counters().counters['child.dpd.restart'] ?? 0) >= 1);
  assert.ok((pair.east.engine.counters().counters['ike.initial_contact.cleared'] ?? 0) >= 1, 'INITIAL_CONTACT removed the stale SA on east');
});

test('peer reboot: the rebooted side starts again and INITIAL_CONTACT clears the stale SAs', async () => {
  // east brings the tunnel up by itself (start_action = start) and keeps trying
  const pair = new Pair({ seed: 'reboot', eastChild: 'start_action = start', eastConn: 'keyingtries = 0' });
  await runUntil(pair, pair.clock.nowMs() + 5000);
  await assertMirror(pair, 1);
  // east "reboots": a fresh engine with the same config and no state
  const cfg = pair.east.engine.context.config;
  const dataplane = new MemoryDataplane(new SeededRng('reboot-east-spi'));
  const engine = createEngine(
    { rng: new SeededRng('reboot-east-2'), clock: pair.clock, wallClock: pair.clock, scheduler: pair.clock, transport: pair.net.transport(), dataplane, logger: new RecordingLogger() },
    cfg,
  );
  pair.net.attach(pair.east.address, engine);
  Object.assign(pair.east, { engine, dataplane });
  await runUntil(pair, pair.clock.nowMs() + 60_000);
  await assertMirror(pair, 1);
  assert.equal(pair.west.engine.counters().counters['ike.initial_contact.cleared'], 1);
});

test('start_action = trap: traffic (ACQUIRE) starts the negotiation; the trap stays after a delete', async () => {
  const pair = new Pair({ seed: 'trap', westChild: 'start_action = trap' });
  await runUntil(pair, 1000);
  assert.equal(pair.west.engine.context.table.size(), 0, 'nothing negotiated before traffic');
  const traps = [...pair.west.dataplane.policies.values()];
  assert.equal(traps.length, 1, 'one outbound trap policy');
  const trap = traps[0];
  assert.ok(trap);
  pair.west.dataplane.emit({ kind: 'acquire', reqid: trap.reqid, local: trap.local, remote: trap.remote });
  pair.west.dataplane.emit({ kind: 'acquire', reqid: trap.reqid, local: trap.local, remote: trap.remote });
  await runUntil(pair, pair.clock.nowMs() + 5000);
  await assertMirror(pair, 1);
  const wOut = [...pair.west.dataplane.sas.values()].find((s) => s.direction === 'out');
  assert.equal(wOut?.reqid, trap.reqid, 'the CHILD SA uses the trap reqid so the kernel policy finds it');
  const [w] = await pair.west.engine.listSas();
  const del = pair.west.engine.terminateIke(w?.uniqueId ?? -1);
  await runUntil(pair, pair.clock.nowMs() + 1000);
  await del;
  assert.ok([...pair.west.dataplane.policies.values()].some((p) => p.reqid === trap.reqid), 'trap policy still installed');
  assert.equal(pair.west.dataplane.sas.size, 0);
});

test('keyingtries: a dead responder is tried exactly keyingtries times with back-off', async () => {
  const pair = new Pair({ seed: 'tries', westConn: 'keyingtries = 3' });
  pair.net.filter = () => 'drop';
  const r = pair.west.engine.initiate('net');
  await runUntil(pair, 3 * 200_000);
  assert.equal((await r).ok, false);
  assert.equal(pair.west.engine.counters().counters['ike.initiated'], 3);
  assert.equal(pair.west.engine.counters().counters['ike.keyingtry.retry'], 2);
  assertEmpty(pair);
  assert.equal(pair.clock.pending, 0, 'no timers left');
});

test('keyway flush stops keyingtries: neither a waiting retry nor the attempt under way comes back', async () => {
  const pair = new Pair({ seed: 'tries-flush', westConn: 'keyingtries = 0' });
  pair.net.filter = () => 'drop';
  void pair.west.engine.initiate('net');
  // the first attempt gives up after its retransmissions, then back-off; stop while the second is under way
  await runUntil(pair, 200_000);
  const before = pair.west.engine.counters().counters['ike.initiated'] ?? 0;
  assert.ok(before >= 2, `a retry ran before the flush (${before} attempts)`);
  const f = pair.west.engine.flush(1000);
  await runUntil(pair, pair.clock.nowMs() + 2000);
  await f;
  await runUntil(pair, pair.clock.nowMs() + 1_000_000);
  assert.equal(pair.west.engine.counters().counters['ike.initiated'], before, 'no attempt after the flush');
  assertEmpty(pair);
  assert.equal(pair.clock.pending, 0, 'no timers left');
});

test('close_action = start: a CHILD SA deleted by the peer is brought back', async () => {
  const pair = new Pair({ seed: 'close', westChild: 'close_action = start' });
  await up(pair);
  const [e] = await pair.east.engine.listSas();
  const d = pair.east.engine.terminateChild(e?.children[0]?.uniqueId ?? -1);
  await runUntil(pair, pair.clock.nowMs() + 5000);
  await d;
  await assertMirror(pair, 1);
  assert.equal(pair.west.engine.counters().counters['child.peer.restart'], 1);
});
