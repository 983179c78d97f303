/**
 * Two engines establish an IKE SA and a CHILD SA with a PSK (RFC 7296 §1.2):
 *
 *   west (initiator)                                   east (responder)
 *   HDR, SAi1, KEi, Ni, N(NAT_D)*            -->
 *                                            <--  HDR, SAr1, KEr, Nr, N(NAT_D)*
 *   HDR, SK {IDi, IDr, AUTH, SAi2, TSi, TSr} -->
 *                                            <--  HDR, SK {IDr, AUTH, SAr2, TSi, TSr}
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pair } from './harness.js';

test('PSK establishment: IKE SA and CHILD SA are mirror images', async () => {
  const pair = new Pair();
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.ok(w && e);
  assert.equal(w.state, 'established');
  assert.equal(e.state, 'established');
  assert.equal(w.spiI, e.spiI);
  assert.equal(w.spiR, e.spiR);
  assert.equal(w.initiator, true);
  assert.equal(e.initiator, false);
  assert.equal(w.remote.id, 'east@example.org');
  assert.equal(e.remote.id, 'west@example.org');
  assert.deepEqual(w.algorithms, e.algorithms);
  const [wc] = w.children;
  const [ec] = e.children;
  assert.ok(wc && ec);
  assert.equal(wc.state, 'installed');
  assert.equal(wc.spiIn, ec.spiOut);
  assert.equal(wc.spiOut, ec.spiIn);
  assert.deepEqual(wc.localTs, ec.remoteTs);
  assert.deepEqual(wc.localTs, ['10.1.0.0/24']);
  assert.deepEqual(ec.localTs, ['10.2.0.0/24']);
  // both dataplanes hold an inbound and an outbound SA with crossed keys
  assert.equal(pair.west.dataplane.sas.size, 2);
  assert.equal(pair.east.dataplane.sas.size, 2);
  const wOut = [...pair.west.dataplane.sas.values()].find((s) => s.direction === 'out');
  const eIn = [...pair.east.dataplane.sas.values()].find((s) => s.direction === 'in');
  assert.ok(wOut && eIn);
  assert.equal(wOut.spi, eIn.spi);
  assert.deepEqual(wOut.keys.encrKey, eIn.keys.encrKey);
});
