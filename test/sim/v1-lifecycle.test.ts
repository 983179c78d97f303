/**
 * IKEv1 lifecycle in the two-engine simulator: DPD initiation (RFC 3706)
 * with timeout and dpd_action, a Quick Mode timing out on an established
 * ISAKMP SA (phase 1 re-negotiation), phase 1 rekeying by lifetime
 * (make-before-break), PFS required by the responder, and the responder's
 * connection choice by the identity in MM5.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V1Exchange } from '../../src/iana/ikev1.js';
import { toHex } from '../../src/util/bytes.js';
import { decodeIsakmp } from '../../src/wire/ikev1/message.js';
import { V1Pair } from './v1-harness.js';

const DPD = 'dpd_delay = 10s\ndpd_timeout = 30s';

test('DPD: an idle SA sends R-U-THERE and the ACK keeps it up', async () => {
  const pair = new V1Pair({ westConn: DPD });
  assert.equal((await pair.initiate(pair.west)).ok, true);
  await pair.advance(35_000, 1000);
  const c = pair.west.engine.counters().counters;
  assert.ok((c['v1.dpd.sent'] ?? 0) >= 2, JSON.stringify(c));
  assert.equal(c['v1.dpd.ack'], c['v1.dpd.sent']);
  assert.ok((pair.east.engine.counters().counters['v1.dpd.answered'] ?? 0) >= 2);
  assert.equal((await pair.west.engine.listSas())[0]?.state, 'established');
});

test('DPD timeout: the peer goes silent, the SA and its IPsec SAs go (dpd_action = clear)', async () => {
  const pair = new V1Pair({ westConn: DPD });
  assert.equal((await pair.initiate(pair.west)).ok, true);
  pair.net.filter = (d) => (d.local.address === pair.east.address ? 'drop' : 'deliver');
  await pair.advance(60_000, 1000);
  const f = pair.west.engine.failures().find((x) => x.exchange === 'IKEv1 DPD');
  assert.ok(f, 'a DPD failure record');
  assert.equal(f.kind, 'timeout');
  assert.match(f.message, /R-U-THERE/);
  assert.ok((pair.west.engine.counters().counters['v1.dpd.sent'] ?? 0) >= 3);
  assert.equal((await pair.west.engine.listSas()).length, 0);
  assert.equal(pair.west.dataplane.sas.size, 0);
  assert.equal(pair.west.dataplane.policies.size, 0);
});

test('DPD timeout with dpd_action = restart: a new ISAKMP SA and Quick Mode once the peer is back', async () => {
  const pair = new V1Pair({ westConn: DPD, westChild: 'dpd_action = restart' });
  const first = await pair.initiate(pair.west);
  assert.equal(first.ok, true);
  const before = (await pair.west.engine.listSas())[0]?.spiI;
  let silent = true;
  pair.net.filter = (d) => (silent && d.local.address === pair.east.address ? 'drop' : 'deliver');
  // dead after 30 s of silence; the restart's MM1 retransmissions reach east once it is back
  await pair.advance(40_000, 1000);
  assert.equal(pair.west.engine.counters().counters['v1.dpd.restart'], 1);
  silent = false;
  await pair.advance(60_000, 1000);
  const sas = await pair.west.engine.listSas();
  assert.equal(sas.length, 1, JSON.stringify(sas));
  assert.notEqual(sas[0]?.spiI, before);
  assert.equal(sas[0]?.state, 'established');
  assert.equal(sas[0]?.children[0]?.state, 'installed');
});

test('a Quick Mode that times out on an established ISAKMP SA re-negotiates phase 1 (once)', async () => {
  const web = (l: string, r: string): string => `web {\n local_ts = ${l}\n remote_ts = ${r}\n esp_proposals = aes128-sha256\n }`;
  const pair = new V1Pair({ westExtraChildren: web('10.1.1.0/24', '10.2.1.0/24'), eastExtraChildren: web('10.2.1.0/24', '10.1.1.0/24') });
  assert.equal((await pair.initiate(pair.west, 'net', 'net')).ok, true);
  const old = (await pair.west.engine.listSas())[0]?.spiI ?? '';
  // the peer no longer answers Quick Modes on the old ISAKMP SA
  pair.net.filter = (d) => {
    const h = decodeIsakmp(d.bytes).header;
    return h.exchangeType === V1Exchange.QUICK_MODE && toHex(h.spiI) === old ? 'drop' : 'deliver';
  };
  const r = await pair.initiate(pair.west, 'net', 'web');
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /did not answer/);
  await pair.advance(30_000, 1000);
  assert.equal(pair.west.engine.counters().counters['v1.qm.timeout.renegotiate'], 1);
  const sas = await pair.west.engine.listSas();
  assert.equal(sas.length, 1);
  assert.notEqual(sas[0]?.spiI, old);
  assert.deepEqual(sas[0]?.children.map((c) => c.name).sort(), ['net', 'web']);
  const east = await pair.east.engine.listSas();
  assert.equal(east.length, 1, 'the old ISAKMP SA was deleted on the peer too');
  assert.equal(east[0]?.children.length, 2);
});

test('phase 1 rekey by lifetime: a new ISAKMP SA with new IPsec SAs before expiry, then the old one is deleted', async () => {
  const pair = new V1Pair({ westConn: 'rekey_time = 1h\nrand_time = 0\nover_time = 10m', eastConn: 'rekey_time = 2h' });
  assert.equal((await pair.initiate(pair.west)).ok, true);
  const [old] = await pair.west.engine.listSas();
  assert.equal(old?.lifetime, 4200);
  await pair.advance(3600_000 + 30_000, 10_000);
  const w = await pair.west.engine.listSas();
  const e = await pair.east.engine.listSas();
  assert.equal(w.length, 1, JSON.stringify(w.map((s) => s.spiI)));
  assert.equal(e.length, 1);
  assert.notEqual(w[0]?.spiI, old?.spiI);
  assert.equal(w[0]?.spiI, e[0]?.spiI);
  assert.equal(w[0]?.children.length, 1);
  assert.notEqual(w[0]?.children[0]?.spiIn, old?.children[0]?.spiIn);
  assert.equal(w[0]?.children[0]?.spiIn, e[0]?.children[0]?.spiOut);
  assert.equal(pair.west.engine.counters().counters['v1.ike.rekey'], 1);
  assert.equal(pair.west.dataplane.sas.size, 2, 'old IPsec SAs removed');
});

test('PFS required by the responder: a Quick Mode without KE is refused at once (no timeout)', async () => {
  const pair = new V1Pair({ eastChild: 'esp_proposals = aes128-sha256-modp2048' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /NO_PROPOSAL_CHOSEN/);
  const ef = pair.east.engine.failures().find((f) => f.kind === 'proposal');
  assert.match(ef?.message ?? '', /PFS is required/);
  assert.equal(pair.west.engine.failures().some((f) => f.kind === 'timeout'), false);
  assert.equal(pair.west.engine.counters().counters['v1.qm.timeout.renegotiate'], undefined);
});

const OTHER = `other {
    version = 1
    proposals = aes128-sha256-modp2048
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    local {
      auth = psk
      id = east@example.org
    }
    remote {
      auth = psk
      id = someone-else@example.org
    }
    children {
      other {
        local_ts = 10.9.0.0/24
        remote_ts = 10.8.0.0/24
        esp_proposals = aes128-sha256
      }
    }
  }`;

test('Main Mode: the responder re-selects its connection by the identity in MM5', async () => {
  const pair = new V1Pair({ eastConnsBefore: OTHER });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [e] = await pair.east.engine.listSas();
  assert.equal(e?.connection, 'net');
  assert.equal(e?.children[0]?.name, 'net');
  assert.equal(pair.east.engine.counters().counters['v1.peer.reselected'], 1);
});

test('Main Mode: no connection accepts the identity in MM5 -> auth failure with the candidates considered', async () => {
  const pair = new V1Pair({ eastConnsBefore: OTHER, eastName: 'net', seed: 'mm5' });
  const cfg = pair.east.engine.context.config;
  const net = cfg.connections.find((c) => c.name === 'net');
  const remote = net?.remote[0];
  assert.ok(net !== undefined && remote?.id !== undefined);
  const nobody = { ...remote.id, text: 'nobody@example.org', data: new TextEncoder().encode('nobody@example.org') };
  pair.east.engine.loadConfig({ ...cfg, connections: cfg.connections.map((c) => (c === net ? { ...net, remote: [{ ...remote, id: nobody }] } : c)) });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const f = pair.east.engine.failures().find((x) => x.kind === 'auth');
  assert.ok(f);
  assert.match(f.exchange, /Main Mode/);
  assert.match(f.message, /no connection accepts identity west@example.org/);
  const considered = f.detail['considered'] as { connection: string }[];
  assert.deepEqual(considered.map((c) => c.connection).sort(), ['net', 'other']);
  assert.equal((await pair.east.engine.listSas()).length, 0);
});

test('the configured PSK survives a destroyed SA: terminate, then initiate again in the same daemons', async () => {
  const pair = new V1Pair({ seed: 'again' });
  assert.equal((await pair.initiate(pair.west)).ok, true);
  const [w] = await pair.west.engine.listSas();
  await pair.settle(pair.west.engine.terminateIke(w?.uniqueId ?? -1));
  assert.equal((await pair.east.engine.listSas()).length, 0);
  const again = await pair.initiate(pair.west);
  assert.equal(again.ok, true, again.error);
  assert.equal(pair.east.engine.failures().length, 0);
});
