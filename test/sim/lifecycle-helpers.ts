/**
 * Helpers for long simulated runs: jump the fake clock from timer to timer,
 * and check after every delivered message that traffic could flow (make-
 * before-break: every sender's current outbound SA is installed inbound at
 * the receiver with the same key).
 */
import assert from 'node:assert/strict';
import type { SaSpec } from '../../src/ike/dataplane.js';
import { settle } from './fake-net.js';
import type { Pair, Peer } from './harness.js';

async function drain(pair: Pair, onStep?: () => void): Promise<void> {
  await settle();
  for (let i = 0; i < 100_000; i++) {
    if (!pair.net.deliverOne()) {
      await settle();
      if (pair.net.queue.length === 0) return;
      continue;
    }
    await settle();
    onStep?.();
  }
  throw new Error('network did not quiesce');
}

/** Runs timers and the network until the fake clock reaches `targetMs`. */
export async function runUntil(pair: Pair, targetMs: number, onStep?: () => void): Promise<void> {
  let stuck = 0;
  let lastNow = -1;
  for (;;) {
    // a timer that keeps re-arming itself at the same instant is a livelock bug
    stuck = pair.clock.nowMs() === lastNow ? stuck + 1 : 0;
    lastNow = pair.clock.nowMs();
    if (stuck > 10_000) throw new Error(`livelock: timers keep firing at t=${lastNow} ms`);
    await drain(pair, onStep);
    const now = pair.clock.nowMs();
    const next = pair.clock.nextAt();
    if (next === undefined || next > targetMs) {
      if (targetMs > now) pair.clock.advance(targetMs - now);
      await drain(pair, onStep);
      return;
    }
    pair.clock.advance(Math.max(0, next - now));
  }
}

function selKey(s: SaSpec): string {
  const f = (x: SaSpec['localTs']): string => x.map((t) => `${t.startAddress}-${t.endAddress}`).join(',');
  return `${f(s.localTs)}|${f(s.remoteTs)}`;
}

/**
 * For each direction and each pair of selectors: the newest outbound SA of
 * the sender must exist inbound at the receiver with the same encryption key.
 * Returns descriptions of violations (empty = traffic flows).
 */
export function trafficGaps(pair: Pair): string[] {
  const gaps: string[] = [];
  const check = (from: Peer, to: Peer): void => {
    const newest = new Map<string, SaSpec>();
    for (const sa of from.dataplane.sas.values()) if (sa.direction === 'out') newest.set(selKey(sa), sa);
    const inbound = new Map<number, SaSpec>();
    for (const sa of to.dataplane.sas.values()) if (sa.direction === 'in') inbound.set(sa.spi, sa);
    for (const [k, out] of newest) {
      const peerIn = inbound.get(out.spi);
      if (peerIn === undefined) gaps.push(`${from.name} sends on SPI ${out.spi.toString(16)} (${k}) which ${to.name} has not installed`);
      else if (Buffer.compare(Buffer.from(peerIn.keys.encrKey), Buffer.from(out.keys.encrKey)) !== 0) gaps.push(`key mismatch on SPI ${out.spi.toString(16)}`);
    }
  };
  check(pair.west, pair.east);
  check(pair.east, pair.west);
  return gaps;
}

/** Both sides hold exactly `children` CHILD SAs on one IKE SA, mirror images of each other. */
export async function assertMirror(pair: Pair, children: number): Promise<void> {
  const w = await pair.west.engine.listSas();
  const e = await pair.east.engine.listSas();
  assert.equal(w.length, 1, `west has ${w.length} IKE SAs: ${w.map((s) => `${s.uniqueId}:${s.state}`).join(' ')}`);
  assert.equal(e.length, 1, `east has ${e.length} IKE SAs: ${e.map((s) => `${s.uniqueId}:${s.state}`).join(' ')}`);
  const [ws] = w;
  const [es] = e;
  assert.ok(ws && es);
  assert.equal(ws.state, 'established');
  assert.equal(es.state, 'established');
  assert.equal(ws.spiI, es.spiI);
  assert.equal(ws.spiR, es.spiR);
  assert.equal(ws.children.length, children, `west children: ${ws.children.map((c) => `${c.uniqueId}:${c.state}`).join(' ')}`);
  assert.equal(es.children.length, children, `east children: ${es.children.map((c) => `${c.uniqueId}:${c.state}`).join(' ')}`);
  const eByIn = new Map(es.children.map((c) => [c.spiIn, c]));
  for (const c of ws.children) {
    const m = eByIn.get(c.spiOut);
    assert.ok(m, `east has no CHILD SA with inbound SPI ${c.spiOut}`);
    assert.equal(m.spiOut, c.spiIn);
    assert.equal(c.state, 'installed');
    assert.equal(m.state, 'installed');
  }
  // exactly the installed CHILD SAs are in the dataplanes (in + out each)
  assert.equal(pair.west.dataplane.sas.size, 2 * children, 'west dataplane SA count');
  assert.equal(pair.east.dataplane.sas.size, 2 * children, 'east dataplane SA count');
}

/** After terminating: nothing left anywhere. */
export function assertEmpty(pair: Pair): void {
  for (const p of [pair.west, pair.east]) {
    assert.equal(p.engine.context.table.size(), 0, `${p.name} still has IKE SAs`);
    assert.equal(p.dataplane.sas.size, 0, `${p.name} dataplane still has SAs`);
    assert.equal(p.dataplane.reservedSpis.size, 0, `${p.name} still has reserved SPIs`);
  }
}
