/**
 * IKEv1 Aggressive Mode (RFC 2409 §5.4) in the two-engine simulator: three
 * phase 1 messages, PFS, refusal unless `aggressive = yes`, PSK mismatch,
 * loss of AM3, and the responder's choice of connection by the identity in
 * AM1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { V1Exchange } from '../../src/iana/ikev1.js';
import { decodeIsakmp } from '../../src/wire/ikev1/message.js';
import { V1Pair } from './v1-harness.js';

const AGGR = 'aggressive = yes';

function phase1Messages(pair: V1Pair, type: number): number {
  return pair.net.log.filter((x) => decodeIsakmp(x.d.bytes).header.exchangeType === type).length;
}

test('Aggressive Mode + Quick Mode: three phase 1 messages, SAs agree', async () => {
  const pair = new V1Pair({ westConn: AGGR, eastConn: AGGR });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.equal(w?.mode, 'aggressive');
  assert.equal(e?.mode, 'aggressive');
  assert.equal(w?.state, 'established');
  assert.equal(e?.state, 'established');
  assert.equal(w?.spiR, e?.spiR);
  assert.equal(e?.remote.id, 'west@example.org');
  assert.equal(w?.remote.id, 'east@example.org');
  assert.equal(phase1Messages(pair, V1Exchange.AGGRESSIVE), 3);
  assert.equal(phase1Messages(pair, V1Exchange.IDENTITY_PROTECTION), 0);
  assert.equal(w?.children[0]?.spiIn, e?.children[0]?.spiOut);
  assert.equal(w?.children[0]?.spiOut, e?.children[0]?.spiIn);
  const wOut = [...pair.west.dataplane.sas.values()].find((s) => s.direction === 'out');
  const eIn = [...pair.east.dataplane.sas.values()].find((s) => s.direction === 'in');
  assert.deepEqual(wOut?.keys.encrKey, eIn?.keys.encrKey);
});

test('Aggressive Mode with PFS in Quick Mode', async () => {
  const pfs = 'esp_proposals = aes128-sha256-ecp256';
  const pair = new V1Pair({ westConn: AGGR, eastConn: AGGR, westChild: pfs, eastChild: pfs });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  assert.equal(w?.children[0]?.algorithms.keyExchange, 'ECP_256');
});

test('a responder without aggressive = yes refuses Aggressive Mode without answering', async () => {
  const pair = new V1Pair({ westConn: AGGR });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.ok((pair.east.engine.counters().counters['v1.rx.drop.aggressive'] ?? 0) >= 1);
  assert.equal(pair.net.log.filter((x) => x.d.local.address === pair.east.address).length, 0, 'east sent nothing (no PSK-keyed hash leaks)');
  assert.ok(pair.west.engine.failures().some((f) => f.kind === 'timeout'));
  assert.equal((await pair.east.engine.listSas()).length, 0);
});

test('Aggressive Mode PSK mismatch: the initiator rejects HASH_R', async () => {
  const pair = new V1Pair({ westConn: AGGR, eastConn: AGGR, eastPsk: '"not the same secret at all"' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const f = pair.west.engine.failures().find((x) => x.kind === 'auth');
  assert.ok(f);
  assert.match(f.exchange, /Aggressive Mode/);
  assert.match(f.message, /HASH_R/);
  assert.equal((await pair.west.engine.listSas()).length, 0);
});

test('lost AM3: the responder repeats AM2 and the initiator resends AM3', async () => {
  const pair = new V1Pair({ westConn: AGGR, eastConn: AGGR });
  let dropped = 0;
  pair.net.filter = (d) => {
    const m = decodeIsakmp(d.bytes);
    if (dropped === 0 && m.header.exchangeType === V1Exchange.AGGRESSIVE && m.header.encrypted) {
      dropped++;
      return 'drop';
    }
    return 'deliver';
  };
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  await pair.advance(20_000);
  assert.equal(dropped, 1);
  const [e] = await pair.east.engine.listSas();
  assert.equal(e?.state, 'established');
  assert.ok((pair.east.engine.counters().counters['v1.tx.retransmit'] ?? 0) >= 1);
  assert.equal(e?.children.length, 1);
});

test('Aggressive Mode: the responder picks its connection (and PSK) by the identity in AM1', async () => {
  const other = `other {
    version = 1
    aggressive = yes
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = aes128-sha256-modp2048
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
  const secret = `ike-other {
    id-a = someone-else@example.org
    secret = "a secret for someone else entirely"
  }`;
  const pair = new V1Pair({ westConn: AGGR, eastConn: AGGR, eastConnsBefore: other, eastSecrets: secret });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [e] = await pair.east.engine.listSas();
  assert.equal(e?.connection, 'net');
  assert.equal(e?.children[0]?.name, 'net');
});

test('Aggressive Mode: no connection accepts the identity -> structured failure record, a clear INVALID_ID_INFORMATION, no AM2', async () => {
  const p2 = new V1Pair({ westConn: AGGR, eastConn: AGGR, seed: 'ids' });
  // east expects a different peer identity
  const east = p2.east.engine.context.config;
  const conn = east.connections[0];
  assert.ok(conn !== undefined);
  const remote = conn.remote[0];
  assert.ok(remote?.id !== undefined);
  p2.east.engine.loadConfig({ ...east, connections: [{ ...conn, remote: [{ ...remote, id: { ...remote.id, text: 'nobody@example.org', data: new TextEncoder().encode('nobody@example.org') } }] }] });
  const r = await p2.initiate(p2.west);
  assert.equal(r.ok, false);
  const f = p2.east.engine.failures().find((x) => x.kind === 'auth');
  assert.ok(f, 'auth failure record on the responder');
  assert.match(f.message, /no connection accepts identity west@example.org/);
  const considered = f.detail['considered'];
  assert.ok(Array.isArray(considered) && considered.length === 1, JSON.stringify(f.detail));
  const fromEast = p2.net.log.filter((x) => x.d.local.address === p2.east.address).map((x) => decodeIsakmp(x.d.bytes).header);
  assert.equal(fromEast.filter((h) => h.exchangeType !== V1Exchange.INFORMATIONAL).length, 0, 'no AM2 (no hash leaks to an unknown identity)');
  // RFC 2408 §3.14.1: the refusal is named, in the clear (no keys were computed for an unknown peer)
  assert.ok(fromEast.length === 1 && fromEast.every((h) => h.exchangeType === V1Exchange.INFORMATIONAL && !h.encrypted), 'one clear Informational');
});
