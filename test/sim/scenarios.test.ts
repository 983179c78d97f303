/**
 * Deterministic two-engine scenarios (ARCHITECTURE B7.3): negotiation
 * outcomes, retransmission, deletes, and leak checks at the end of each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExchangeType, NotifyType, PayloadType } from '../../src/iana/ikev2.js';
import { decodeMessage } from '../../src/wire/ikev2/message.js';
import { Pair, type Peer } from './harness.js';

/** After everything is torn down: no SAs, no dataplane state, no timers. */
function assertNoLeaks(pair: Pair): void {
  for (const p of [pair.west, pair.east]) {
    assert.equal(p.engine.context.table.size(), 0, `${p.name} still has IKE SAs`);
    assert.equal(p.dataplane.sas.size, 0, `${p.name} dataplane still has SAs`);
    assert.equal(p.dataplane.policies.size, 0, `${p.name} dataplane still has policies`);
    assert.equal(p.dataplane.reservedSpis.size, 0, `${p.name} still has reserved SPIs`);
  }
  assert.equal(pair.clock.pending, 0, 'timers still armed');
}

function initNotifies(pair: Pair): number[] {
  const out: number[] = [];
  for (const { d } of pair.net.log) {
    const m = decodeMessage(d.bytes);
    if (m.header.exchangeType !== ExchangeType.IKE_SA_INIT || !m.header.response) continue;
    for (const p of m.payloads) if (p.type === PayloadType.NOTIFY) out.push(p.notifyType);
  }
  return out;
}

async function teardown(pair: Pair, from: Peer): Promise<void> {
  for (const sa of await from.engine.listSas()) {
    const p = from.engine.terminateIke(sa.uniqueId);
    await pair.run();
    assert.equal(await p, true);
  }
}

test('INVALID_KE_PAYLOAD: the initiator retries with the group the responder asks for', async () => {
  const pair = new Pair({
    westConn: 'proposals = aes128gcm16-prfsha256-x25519-ecp256',
    eastConn: 'proposals = aes128gcm16-prfsha256-ecp256',
  });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  assert.ok(initNotifies(pair).includes(NotifyType.INVALID_KE_PAYLOAD));
  const [w] = await pair.west.engine.listSas();
  assert.equal(w?.algorithms.keyExchange, 'ECP_256');
  assert.equal(pair.west.engine.counters().counters['ike.init.invalid_ke.received'], 1);
  await teardown(pair, pair.west);
  assertNoLeaks(pair);
});

test('COOKIE: above the half-open threshold the responder demands a cookie, and the initiator echoes it', async () => {
  const pair = new Pair({ eastDaemon: 'cookie_threshold = 0' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  assert.ok(initNotifies(pair).includes(NotifyType.COOKIE));
  const c = pair.east.engine.counters().counters;
  assert.equal(c['ike.init.cookie.sent'], 1);
  assert.equal(c['ike.init.cookie.accepted'], 1);
  await teardown(pair, pair.east);
  assertNoLeaks(pair);
});

test('NO_PROPOSAL_CHOSEN: both sides record why, per transform type', async () => {
  const pair = new Pair({
    westConn: 'proposals = aes256-sha256-modp2048',
    eastConn: 'proposals = aes128gcm16-prfsha256-x25519',
  });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /NO_PROPOSAL_CHOSEN/);
  const [ef] = pair.east.engine.failures();
  assert.equal(ef?.kind, 'proposal');
  assert.match(ef?.message ?? '', /no acceptable IKE proposal/);
  const per = (ef?.detail as { perTransformType?: { type: string; offered: string[]; configured: string[] }[] }).perTransformType;
  assert.ok(per?.some((t) => t.type === 'ENCR' && t.offered.some((o) => o.includes('AES_CBC'))));
  const [wf] = pair.west.engine.failures();
  assert.equal(wf?.kind, 'peer-notify');
  assertNoLeaks(pair);
});

test('TS narrowing: the responder narrows a wide proposal to its configured subnet', async () => {
  const pair = new Pair({
    westChild: '',
    eastChild: '',
  });
  // west proposes 10.0.0.0/8 <-> 10.2.0.0/16, east allows only 10.1.0.0/24 <-> 10.2.0.0/24
  const wide = new Pair({ seed: 'narrow' });
  void pair;
  const westCfg = wide.west.engine.context.config;
  const conn = westCfg.connections[0];
  assert.ok(conn);
  const child = conn.children[0];
  assert.ok(child);
  const { parseTs } = await import('../../src/config/ts.js');
  const where = { file: 't', line: 1, column: 1 };
  wide.west.engine.loadConfig({
    ...westCfg,
    connections: [{ ...conn, children: [{ ...child, localTs: [parseTs('10.0.0.0/8', where)], remoteTs: [parseTs('10.2.0.0/16', where)] }] }],
  });
  const r = await wide.initiate(wide.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await wide.west.engine.listSas();
  assert.deepEqual(w?.children[0]?.localTs, ['10.1.0.0/24']);
  assert.deepEqual(w?.children[0]?.remoteTs, ['10.2.0.0/24']);
  await teardown(wide, wide.west);
  assertNoLeaks(wide);
});

test('TS_UNACCEPTABLE: disjoint selectors fail the CHILD SA, the IKE SA stays up', async () => {
  const pair = new Pair({ seed: 'ts-bad' });
  const eastCfg = pair.east.engine.context.config;
  const conn = eastCfg.connections[0];
  const child = conn?.children[0];
  assert.ok(conn && child);
  const { parseTs } = await import('../../src/config/ts.js');
  const where = { file: 't', line: 1, column: 1 };
  pair.east.engine.loadConfig({
    ...eastCfg,
    connections: [{ ...conn, children: [{ ...child, remoteTs: [parseTs('172.16.0.0/24', where)] }] }],
  });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /TS_UNACCEPTABLE/);
  const ef = pair.east.engine.failures().find((f) => f.kind === 'ts');
  assert.ok(ef, 'east records a ts failure');
  assert.match(ef.message, /does not overlap remote_ts 172\.16\.0\.0\/24/);
  const [w] = await pair.west.engine.listSas();
  assert.equal(w?.state, 'established');
  assert.equal(w?.children.length, 0);
  await teardown(pair, pair.west);
  assertNoLeaks(pair);
});

test('authentication failure with different PSKs: both sides say so, nothing is left', async () => {
  const pair = new Pair({ westPsk: '"first secret, quite long"', eastPsk: '"second secret, also long"' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const ef = pair.east.engine.failures()[0];
  assert.equal(ef?.kind, 'auth');
  assert.match(ef?.message ?? '', /pre-shared keys differ/);
  assert.match(r.error ?? '', /AUTHENTICATION_FAILED/);
  await pair.advance(60_000);
  assertNoLeaks(pair);
});

test('retransmission under loss: dropped requests and responses are recovered', async () => {
  const pair = new Pair({ seed: 'loss' });
  // drop the first copy of every message: each exchange needs one retransmission
  const seen = new Set<string>();
  pair.net.filter = (d) => {
    const key = Buffer.from(d.bytes).toString('hex');
    if (seen.has(key)) return 'deliver';
    seen.add(key);
    return 'drop';
  };
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const wc = pair.west.engine.counters().counters;
  assert.ok((wc['msg.tx.retransmit'] ?? 0) >= 2);
  const ec = pair.east.engine.counters().counters;
  assert.ok((ec['msg.tx.response.retransmit'] ?? 0) >= 1, 'east answered a retransmitted request from its cache');
  pair.net.filter = () => 'deliver';
  await teardown(pair, pair.west);
  assertNoLeaks(pair);
});

test('timeout after the last retransmission closes the SA with a reason', async () => {
  const pair = new Pair({ seed: 'dead' });
  pair.net.filter = () => 'drop';
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /did not respond to IKE_SA_INIT/);
  const f = pair.west.engine.failures()[0];
  assert.equal(f?.kind, 'timeout');
  assert.equal(pair.west.engine.counters().counters['msg.tx.retransmit'], 5);
  // 4 s x 1.8^n for n = 0..5: about 165 s in total
  assert.ok(pair.clock.nowMs() >= 160_000 && pair.clock.nowMs() <= 170_000, `gave up at ${pair.clock.nowMs()} ms`);
  assertNoLeaks(pair);
});

test('CREATE_CHILD_SA with PFS adds a second CHILD SA; deleting it leaves the first', async () => {
  const pair = new Pair({ seed: 'child2' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const cfgW = pair.west.engine.context.config;
  const cfgE = pair.east.engine.context.config;
  const { parseTs } = await import('../../src/config/ts.js');
  const { parseProposals } = await import('../../src/config/proposals.js');
  const where = { file: 't', line: 1, column: 1 };
  const add = (cfg: typeof cfgW, l: string, rr: string): typeof cfgW => {
    const conn = cfg.connections[0];
    const base = conn?.children[0];
    assert.ok(conn && base);
    return {
      ...cfg,
      connections: [{
        ...conn,
        children: [...conn.children, { ...base, name: 'pfs', localTs: [parseTs(l, where)], remoteTs: [parseTs(rr, where)], espProposals: parseProposals('aes256gcm16-modp2048', 'esp', where) }],
      }],
    };
  };
  pair.west.engine.loadConfig(add(cfgW, '10.1.1.0/24', '10.2.1.0/24'));
  pair.east.engine.loadConfig(add(cfgE, '10.2.1.0/24', '10.1.1.0/24'));
  const p = pair.west.engine.initiate('net', 'pfs');
  await pair.run();
  const r2 = await p;
  assert.equal(r2.ok, true, r2.error);
  const [w] = await pair.west.engine.listSas();
  assert.equal(w?.children.length, 2);
  const pfs = w?.children.find((c) => c.name === 'pfs');
  assert.equal(pfs?.algorithms.keyExchange, 'MODP_2048');
  assert.equal(pfs?.algorithms.encryption, 'AES_GCM_16');
  // delete the new child from the responder side
  const [e] = await pair.east.engine.listSas();
  const ePfs = e?.children.find((c) => c.name === 'pfs');
  assert.ok(ePfs);
  const d = pair.east.engine.terminateChild(ePfs.uniqueId);
  await pair.run();
  assert.equal(await d, true);
  const [w2] = await pair.west.engine.listSas();
  const [e2] = await pair.east.engine.listSas();
  assert.deepEqual(w2?.children.map((c) => c.name), ['net']);
  assert.deepEqual(e2?.children.map((c) => c.name), ['net']);
  assert.equal(pair.west.dataplane.sas.size, 2);
  await teardown(pair, pair.east);
  assertNoLeaks(pair);
  // delete counters (keyway_deletes_total in docs/metrics.md): one CHILD and one IKE delete, each seen by both sides
  const ec = pair.east.engine.counters().counters;
  const wc = pair.west.engine.counters().counters;
  assert.deepEqual([ec['child.delete.sent'], wc['child.delete.received'], ec['ike.delete.sent'], wc['ike.delete.received']], [1, 1, 1, 1]);
  assert.equal(wc['child.delete.sent'] ?? 0, 0);
  assert.equal(wc['ike.delete.sent'] ?? 0, 0);
});

test('delete of the IKE SA from the responder removes everything on both sides', async () => {
  const pair = new Pair({ seed: 'del' });
  assert.equal((await pair.initiate(pair.west)).ok, true);
  await teardown(pair, pair.east);
  assertNoLeaks(pair);
});

test('transport mode is negotiated with USE_TRANSPORT_MODE', async () => {
  const pair = new Pair({ seed: 'transport', westChild: 'mode = transport', eastChild: 'mode = transport' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.equal(w?.children[0]?.mode, 'transport');
  assert.equal(e?.children[0]?.mode, 'transport');
  await teardown(pair, pair.west);
  assertNoLeaks(pair);
});
