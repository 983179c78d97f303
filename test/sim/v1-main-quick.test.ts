/**
 * IKEv1 Main Mode + Quick Mode with pre-shared keys between two engines
 * (RFC 2409 §5, §5.5):
 *
 *   west (initiator)                         east (responder)
 *   HDR, SA, VID                  -->
 *                                 <--   HDR, SA, VID
 *   HDR, KE, Ni, NAT-D, NAT-D     -->
 *                                 <--   HDR, KE, Nr, NAT-D, NAT-D
 *   HDR*, IDii, HASH_I            -->
 *                                 <--   HDR*, IDir, HASH_R
 *   HDR*, HASH(1), SA, Ni, IDci, IDcr  -->
 *                                 <--   HDR*, HASH(2), SA, Nr, IDci, IDcr
 *   HDR*, HASH(3)                 -->
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V1Pair } from './v1-harness.js';

test('IKEv1 PSK: Main Mode + Quick Mode, mirror-image SAs on both sides', async () => {
  const pair = new V1Pair();
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.ok(w && e);
  assert.equal(w.version, 1);
  assert.equal(w.mode, 'main');
  assert.equal(w.state, 'established');
  assert.equal(e.state, 'established');
  assert.equal(w.spiI, e.spiI);
  assert.equal(w.spiR, e.spiR);
  assert.equal(w.initiator, true);
  assert.equal(e.initiator, false);
  assert.equal(w.remote.id, 'east@example.org');
  assert.equal(e.remote.id, 'west@example.org');
  assert.deepEqual(w.algorithms, e.algorithms);
  assert.equal(w.algorithms.encryption, 'AES_CBC');
  assert.equal(w.algorithms.keyExchange, 'MODP_2048');
  const [wc] = w.children;
  const [ec] = e.children;
  assert.ok(wc && ec);
  assert.equal(wc.state, 'installed');
  assert.equal(ec.state, 'installed');
  assert.equal(wc.spiIn, ec.spiOut);
  assert.equal(wc.spiOut, ec.spiIn);
  assert.deepEqual(wc.localTs, ['10.1.0.0/24']);
  assert.deepEqual(ec.localTs, ['10.2.0.0/24']);
  assert.deepEqual(wc.algorithms, ec.algorithms);
  const wOut = [...pair.west.dataplane.sas.values()].find((s) => s.direction === 'out');
  const eIn = [...pair.east.dataplane.sas.values()].find((s) => s.direction === 'in');
  assert.ok(wOut && eIn);
  assert.equal(wOut.spi, eIn.spi);
  assert.deepEqual(wOut.keys.encrKey, eIn.keys.encrKey);
  assert.deepEqual(wOut.keys.integKey, eIn.keys.integKey);
  const eOut = [...pair.east.dataplane.sas.values()].find((s) => s.direction === 'out');
  assert.notDeepEqual(eOut?.keys.encrKey, wOut.keys.encrKey);
  assert.equal(pair.west.engine.counters().ikeSas, 1);
});

test('IKEv1 half_open_limit: a responder SA counts until it is established; a second MM1 meanwhile is dropped', async () => {
  const pair = new V1Pair({ seed: 'v1-halfopen', eastDaemon: 'half_open_limit = 1' });
  // east's answers are lost at first: its SA stays half-open
  pair.net.filter = (d) => (d.local.address === pair.east.address ? 'drop' : 'deliver');
  const first = pair.west.engine.initiate('net');
  await pair.run();
  assert.equal(pair.east.engine.counters().halfOpen, 1);
  const mm1 = pair.net.log.find((x) => x.d.local.address === pair.west.address)?.d;
  assert.ok(mm1 !== undefined);
  // the same MM1 from another initiator cookie (RFC 2408 §2.5.3): a new SA, over the limit
  const other = mm1.bytes.slice();
  other[0] = (other[0] ?? 0) ^ 0xff;
  pair.east.engine.receive({ local: mm1.remote, remote: mm1.local, bytes: other });
  await pair.run();
  assert.equal(pair.east.engine.counters().counters['v1.rx.drop.halfopen_limit'], 1);
  assert.equal(pair.east.engine.counters().halfOpen, 1);
  // the network heals: the first negotiation completes on a retransmission and leaves the count
  pair.net.filter = () => 'deliver';
  await pair.advance(30_000);
  assert.equal((await first).ok, true);
  assert.equal(pair.east.engine.counters().halfOpen, 0);
  assert.equal((await pair.east.engine.listSas()).filter((s) => s.state === 'established').length, 1);
});
