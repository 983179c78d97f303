/**
 * IKEv1 scenarios in the two-engine simulator: PFS, lifetime negotiation,
 * NO_PROPOSAL_CHOSEN, PSK mismatch, loss and duplicates, Delete in both
 * directions, several Quick Modes over one ISAKMP SA.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V1Pair } from './v1-harness.js';
import { decodeIsakmp } from '../../src/wire/ikev1/message.js';

test('Quick Mode with PFS: KE in Quick Mode, group shown on the child', async () => {
  const pfs = 'esp_proposals = aes128-sha256-modp2048';
  const pair = new V1Pair({ westChild: pfs, eastChild: pfs });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.equal(w?.children[0]?.algorithms.keyExchange, 'MODP_2048');
  assert.equal(w?.children[0]?.spiIn, e?.children[0]?.spiOut);
  const wOut = [...pair.west.dataplane.sas.values()].find((s) => s.direction === 'out');
  const eIn = [...pair.east.dataplane.sas.values()].find((s) => s.direction === 'in');
  assert.deepEqual(wOut?.keys.encrKey, eIn?.keys.encrKey);
});

test('PFS mismatch: responder without PFS answers NO_PROPOSAL_CHOSEN, both record it', async () => {
  const pair = new V1Pair({ westChild: 'esp_proposals = aes128-sha256-modp2048' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const ef = pair.east.engine.failures().find((f) => f.kind === 'proposal');
  assert.ok(ef, 'responder failure record');
  assert.match(ef.exchange, /Quick Mode/);
  const wf = pair.west.engine.failures().find((f) => f.kind === 'peer-notify');
  assert.equal(wf?.detail['notify'], 'NO_PROPOSAL_CHOSEN');
  // the ISAKMP SA itself stays up
  assert.equal((await pair.west.engine.listSas())[0]?.state, 'established');
});

test('phase 1 mismatch: NO_PROPOSAL_CHOSEN with a structured failure record', async () => {
  const pair = new V1Pair({ eastConn: 'proposals = aes256-sha512-ecp384' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const ef = pair.east.engine.failures().find((f) => f.kind === 'proposal');
  assert.ok(ef);
  assert.ok(Array.isArray(ef.detail['offered']) && Array.isArray(ef.detail['configured']));
  assert.match(pair.west.engine.failures().find((f) => f.kind === 'peer-notify')?.message ?? '', /NO_PROPOSAL_CHOSEN/);
  assert.equal((await pair.west.engine.listSas()).length, 0);
  assert.equal((await pair.east.engine.listSas()).length, 0);
});

test('PSK mismatch fails authentication on the responder', async () => {
  const pair = new V1Pair({ eastPsk: '"a different secret altogether"' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.ok(pair.east.engine.failures().some((f) => f.kind === 'auth'));
});

test('lifetimes: the shorter one wins, RESPONDER-LIFETIME tells the initiator', async () => {
  const pair = new V1Pair({ eastConn: 'rekey_time = 1h\nover_time = 0', westConn: 'rekey_time = 4h', eastChild: 'rekey_time = 10m\nlife_time = 20m', westChild: 'rekey_time = 1h' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.equal(e?.lifetime, 3600);
  assert.equal(w?.children[0]?.expiresIn, 1200);
  assert.equal(e?.children[0]?.expiresIn, 1200);
  // the responder's phase 1 expires first: it deletes, the initiator follows
  await pair.advance(3600 * 1000 + 1000, 60_000);
  assert.equal((await pair.east.engine.listSas()).length, 0);
  assert.equal((await pair.west.engine.listSas()).length, 0);
  assert.equal(pair.west.dataplane.sas.size, 0);
});

test('loss: every first transmission dropped, retransmissions complete the exchange', async () => {
  const pair = new V1Pair();
  const seen = new Set<string>();
  pair.net.filter = (d) => {
    const k = Buffer.from(d.bytes).toString('hex');
    if (seen.has(k)) return 'deliver';
    seen.add(k);
    return 'drop';
  };
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  // QM3 is the last message: its loss is repaired when the responder's QM2 retransmission arrives
  await pair.advance(10_000);
  assert.ok((pair.west.engine.counters().counters['v1.tx.retransmit'] ?? 0) > 0);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.equal(w?.children[0]?.spiIn, e?.children[0]?.spiOut);
});

test('duplicates: a repeated message makes the peer resend its last one, nothing is processed twice', async () => {
  const pair = new V1Pair();
  pair.net.filter = () => 'duplicate';
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  assert.ok((pair.east.engine.counters().counters['v1.rx.duplicate'] ?? 0) >= 3);
  assert.equal((await pair.east.engine.listSas())[0]?.children.length, 1);
});

test('peer never answers: 5 retransmissions, then a timeout failure record', async () => {
  const pair = new V1Pair();
  pair.net.filter = (d) => (d.local.address === pair.west.address ? 'deliver' : 'drop');
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const f = pair.west.engine.failures().find((x) => x.kind === 'timeout');
  assert.ok(f);
  const mm1 = pair.net.log.filter((x) => x.d.local.address === pair.west.address && decodeIsakmp(x.d.bytes).header.exchangeType === 2);
  assert.equal(mm1.length, 6);
  assert.equal(pair.clock.pending, 0);
});

test('several Quick Modes over one ISAKMP SA; Delete of one child and of the ISAKMP SA, both directions', async () => {
  const extraW = 'web {\n local_ts = 10.1.1.0/24\n remote_ts = 10.2.1.0/24\n esp_proposals = aes128-sha256\n }';
  const extraE = 'web {\n local_ts = 10.2.1.0/24\n remote_ts = 10.1.1.0/24\n esp_proposals = aes128-sha256\n }';
  const pair = new V1Pair({ westExtraChildren: extraW, eastExtraChildren: extraE });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  let [w] = await pair.west.engine.listSas();
  assert.equal(w?.children.length, 2);
  assert.equal(pair.east.dataplane.sas.size, 4);
  // east deletes one child: west removes its pair
  const ec = (await pair.east.engine.listSas())[0]?.children.find((c) => c.name === 'web');
  assert.ok(ec);
  await pair.settle(pair.east.engine.terminateChild(ec.uniqueId));
  [w] = await pair.west.engine.listSas();
  assert.deepEqual(w?.children.map((c) => c.name), ['net']);
  assert.equal(pair.west.dataplane.sas.size, 2);
  // west deletes the ISAKMP SA: east drops everything
  await pair.settle(pair.west.engine.terminateIke(w?.uniqueId ?? -1));
  assert.equal((await pair.east.engine.listSas()).length, 0);
  assert.equal(pair.east.dataplane.sas.size, 0);
  assert.equal(pair.west.dataplane.sas.size, 0);
  // and the other way round, on a new pair
  const p2 = new V1Pair({ seed: 'other' });
  assert.equal((await p2.initiate(p2.west)).ok, true);
  const e2 = (await p2.east.engine.listSas())[0];
  await p2.settle(p2.east.engine.terminateIke(e2?.uniqueId ?? -1));
  assert.equal((await p2.west.engine.listSas()).length, 0);
  assert.equal(p2.west.dataplane.sas.size, 0);
  assert.equal(p2.west.dataplane.policies.size, 0);
});
