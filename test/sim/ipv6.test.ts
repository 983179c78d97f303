/**
 * IKEv2 over IPv6 (RFC 7296 §2.23 NAT-D hashes over 16-byte addresses;
 * §3.13.1 TS_IPV6_ADDR_RANGE selectors): two engines on the documentation
 * prefix 2001:db8::/32 (RFC 3849) establish, add a CHILD SA, and delete
 * cleanly; IPv4 selectors inside an IPv6 tunnel work too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExchangeType, TsType } from '../../src/iana/ikev2.js';
import { findSk, openMessage } from '../../src/message/protect-v2.js';
import { decodeMessage } from '../../src/wire/ikev2/message.js';
import { Pair, assertNoLeaks, terminateAll } from './harness.js';

const V6 = { west: '2001:db8::1', east: '2001:db8::2', westNet: '2001:db8:1::/64', eastNet: '2001:db8:2::/64' };

test('IPv6: IKE SA and CHILD SA between 2001:db8::1 and 2001:db8::2 with IPv6 selectors', async () => {
  const pair = new Pair({ seed: 'ipv6', sites: V6 });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.ok(w && e);
  assert.equal(w.state, 'established');
  assert.equal(e.state, 'established');
  assert.deepEqual([w.local.address, w.remote.address], [V6.west, V6.east]);
  assert.deepEqual([e.local.address, e.remote.address], [V6.east, V6.west]);
  // NAT-D over IPv6 addresses agrees on both sides: no NAT seen
  assert.deepEqual([w.natLocal, w.natRemote, e.natLocal, e.natRemote], [false, false, false, false]);
  const [wc] = w.children;
  const [ec] = e.children;
  assert.ok(wc && ec);
  assert.deepEqual(wc.localTs, [V6.westNet]);
  assert.deepEqual(wc.remoteTs, [V6.eastNet]);
  assert.deepEqual(ec.localTs, [V6.eastNet]);
  assert.equal(wc.spiIn, ec.spiOut);
  assert.equal(wc.spiOut, ec.spiIn);

  // every datagram travelled between the two IPv6 endpoints
  assert.ok(pair.net.log.length >= 4);
  for (const { d } of pair.net.log) {
    assert.ok([V6.west, V6.east].includes(d.local.address) && [V6.west, V6.east].includes(d.remote.address));
  }
  // and the IKE_AUTH request carried TS_IPV6_ADDR_RANGE selectors (checked on the wire, decrypted with east's keys)
  const auth = pair.net.log.map(({ d }) => d.bytes).find((b) => decodeMessage(b).header.exchangeType === ExchangeType.IKE_AUTH);
  const eastSa = pair.east.engine.context.table.all()[0];
  assert.ok(auth && eastSa?.inCipher);
  const msg = decodeMessage(auth);
  const sk = findSk(msg);
  assert.ok(sk);
  const inner = openMessage(auth, msg, sk, eastSa.inCipher);
  const tsTypes = inner.flatMap((p) => (p.type === 44 || p.type === 45 ? p.selectors.map((s) => s.tsType) : []));
  assert.ok(tsTypes.length >= 2);
  assert.ok(tsTypes.every((t) => t === TsType.TS_IPV6_ADDR_RANGE), `TS types ${tsTypes.join(',')}`);

  // the dataplane got IPv6 outer addresses
  for (const p of [pair.west, pair.east]) {
    assert.equal(p.dataplane.sas.size, 2);
    for (const sa of p.dataplane.sas.values()) {
      assert.ok(sa.src.includes(':') && sa.dst.includes(':'), `${p.name}: ${sa.src} -> ${sa.dst}`);
    }
  }

  // a second CHILD SA through CREATE_CHILD_SA, then delete it, then the IKE SA
  const second = await pair.initiate(pair.west, 'net', 'net');
  assert.equal(second.ok, true, second.error);
  assert.equal(second.ikeSaId, r.ikeSaId);
  assert.equal(pair.east.dataplane.sas.size, 4);
  const delChild = pair.east.engine.terminateChild((await pair.east.engine.listSas())[0]?.children[1]?.uniqueId ?? -1);
  await pair.run();
  assert.equal(await delChild, true);
  assert.equal(pair.west.dataplane.sas.size, 2);
  await terminateAll(pair, pair.east);
  assertNoLeaks(pair);
});

test('IPv6: IPv4 selectors inside an IPv6 tunnel, initiated by east', async () => {
  const pair = new Pair({ seed: 'ipv6-4in6', sites: { west: V6.west, east: V6.east, westNet: '10.1.0.0/24', eastNet: '10.2.0.0/24' } });
  const r = await pair.initiate(pair.east);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  assert.equal(w?.initiator, false);
  assert.equal(w?.remote.address, V6.east);
  assert.deepEqual(w?.children[0]?.localTs, ['10.1.0.0/24']);
  assert.deepEqual(w?.children[0]?.remoteTs, ['10.2.0.0/24']);
  await terminateAll(pair, pair.west);
  assertNoLeaks(pair);
});
