/**
 * IKEv1 phase 1 failures reported by notifications, both roles (two Keyway
 * engines on the fake network): the side that refuses tells the peer why
 * (clear before keys exist, protected after), the initiator ends at once on
 * a protected notification that verifies and after a short grace period on
 * unauthenticated evidence, far below the first retransmission timeout
 * (4 s); forged or garbled notifications do not end a negotiation that the
 * genuine peer completes, nor an established SA.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Doi, V1Exchange, V1Notify, V1Payload, V1Protocol } from '../../src/iana/ikev1.js';
import type { FailureRecord } from '../../src/ike/info.js';
import type { Datagram } from '../../src/ike/ports.js';
import { PHASE1_DOUBT_MS } from '../../src/ike/v1/phase1-doubt.js';
import { concatBytes } from '../../src/util/bytes.js';
import { findV1 } from '../../src/wire/ikev1/chain.js';
import { encodeIsakmpHeader } from '../../src/wire/ikev1/header.js';
import { decodeIsakmp, encodeIsakmp, type IsakmpMessage } from '../../src/wire/ikev1/message.js';
import type { Peer } from './harness.js';
import { V1Pair, type V1PairOptions } from './v1-harness.js';

const FIRST_RETRANSMIT_MS = 4000;
const AGGR = 'aggressive = yes';
const OTHER_PSK = '"not the secret the other side has"';

const dir = mkdtempSync(join(tmpdir(), 'kw-v1-fail-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function rsaFiles(name: string): { key: string; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const f = { key: join(dir, `${name}.key.pem`), pub: join(dir, `${name}.pub.pem`) };
  writeFileSync(f.key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(f.pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return f;
}
const rsa = (mine: { key: string }, trusted: { pub: string }): { local: string; remote: string } => ({
  local: `auth = pubkey\n      private_key = ${mine.key}`,
  remote: `auth = pubkey\n      pubkeys = ${trusted.pub}`,
});

/** Every datagram `from` sent, decoded. */
function sentBy(pair: V1Pair, from: Peer): IsakmpMessage[] {
  return pair.net.log.filter((x) => x.d.local.address === from.address).map((x) => decodeIsakmp(x.d.bytes));
}

function informationals(pair: V1Pair, from: Peer): IsakmpMessage[] {
  return sentBy(pair, from).filter((m) => m.header.exchangeType === V1Exchange.INFORMATIONAL);
}

function counter(p: Peer, name: string): number {
  return p.engine.counters().counters[name] ?? 0;
}

/** Replaces `side`'s connection `net` by `change(net)`. */
function reconfigure(p: Peer, change: (c: Peer['engine']['context']['config']['connections'][number]) => Peer['engine']['context']['config']['connections'][number]): void {
  const cfg = p.engine.context.config;
  const conn = cfg.connections[0];
  assert.ok(conn !== undefined);
  p.engine.loadConfig({ ...cfg, connections: [change(conn)] });
}

function expectRemoteId(p: Peer, id: string): void {
  reconfigure(p, (c) => {
    const remote = c.remote[0];
    assert.ok(remote?.id !== undefined);
    return { ...c, remote: [{ ...remote, id: { ...remote.id, text: id, data: new TextEncoder().encode(id) } }] };
  });
}

/** West initiates; resolves with the result, the fake time it took, and the failure records. */
async function attempt(pair: V1Pair): Promise<{ ok: boolean; ms: number; west: readonly FailureRecord[]; east: readonly FailureRecord[] }> {
  const t0 = pair.clock.nowMs();
  const r = await pair.initiate(pair.west);
  return { ok: r.ok, ms: pair.clock.nowMs() - t0, west: pair.west.engine.failures(), east: pair.east.engine.failures() };
}

function assertFast(pair: V1Pair, ms: number, what: string): void {
  assert.ok(ms < FIRST_RETRANSMIT_MS / 2, `${what}: ended after ${ms} ms, well before the first retransmission (${FIRST_RETRANSMIT_MS} ms)`);
  assert.equal(counter(pair.west, 'v1.tx.retransmit'), 0, `${what}: west retransmitted nothing`);
  assert.equal(pair.west.engine.counters().ikeSas, 0, `${what}: no ISAKMP SA left on west`);
}

test('MM, PSK mismatch: the responder answers PAYLOAD_MALFORMED (protected with its keys), the initiator reports the keys differ', async () => {
  const pair = new V1Pair({ eastPsk: OTHER_PSK, seed: 'f-mm-psk' });
  const r = await attempt(pair);
  assert.equal(r.ok, false);
  assertFast(pair, r.ms, 'MM PSK mismatch');
  const e = r.east.find((f) => f.kind === 'auth');
  assert.match(e?.message ?? '', /cannot decrypt the identity message: pre-shared key mismatch\?/);
  const infos = informationals(pair, pair.east);
  assert.equal(infos.length, 1, 'one notification, never retransmitted');
  assert.equal(infos[0]?.header.encrypted, true, 'protected: keys exist at MM5');
  const w = r.west.find((f) => f.kind === 'auth');
  assert.ok(w, JSON.stringify(r.west));
  assert.match(w.message, /peer's keys differ: pre-shared key mismatch\?/);
  assert.equal(w.exchange, 'IKEv1 Main Mode');
  assert.equal(counter(pair.west, 'v1.rx.phase1.notify.unverified'), 1);
  // the grace period is all it waits
  assert.ok(r.ms >= PHASE1_DOUBT_MS);
});

test('AM, PSK mismatch: the initiator rejects HASH_R and says AUTHENTICATION_FAILED; the responder stops waiting for AM3 at once', async () => {
  const pair = new V1Pair({ westConn: AGGR, eastConn: AGGR, eastPsk: OTHER_PSK, seed: 'f-am-psk' });
  const r = await attempt(pair);
  assert.equal(r.ok, false);
  assertFast(pair, r.ms, 'AM PSK mismatch');
  assert.match(r.west.find((f) => f.kind === 'auth')?.message ?? '', /HASH_R .* does not verify/);
  const sent = informationals(pair, pair.west);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.header.encrypted, true);
  await pair.advance(1000);
  assert.equal(pair.east.engine.counters().ikeSas, 0, 'east gave up (half-open timeout is 30 s)');
  assert.match(pair.east.engine.failures().find((f) => f.kind === 'auth')?.message ?? '', /peer's keys differ: pre-shared key mismatch\?/);
});

test('MM, the responder accepts no connection for our identity: INVALID_ID_INFORMATION, protected, verified, ends the attempt at once', async () => {
  const pair = new V1Pair({ seed: 'f-mm-id' });
  expectRemoteId(pair.east, 'nobody@example.org');
  const r = await attempt(pair);
  assert.equal(r.ok, false);
  assertFast(pair, r.ms, 'MM wrong ID');
  assert.ok(r.ms < PHASE1_DOUBT_MS, `a verified notification needs no grace period (${r.ms} ms)`);
  assert.match(r.east.find((f) => f.kind === 'auth')?.message ?? '', /no connection accepts identity west@example.org/);
  const n = informationals(pair, pair.east);
  assert.equal(n.length, 1);
  assert.equal(n[0]?.header.encrypted, true);
  const w = r.west.find((f) => f.kind === 'peer-notify');
  assert.ok(w, JSON.stringify(r.west));
  assert.equal(w.detail['notify'], 'INVALID_ID_INFORMATION');
  assert.equal(w.detail['protected'], true);
  assert.match(w.message, /peer sent INVALID_ID_INFORMATION: the peer has no connection for our identity/);
});

test('AM, the responder accepts no connection for our identity: INVALID_ID_INFORMATION in the clear (no keys yet), no AM2', async () => {
  const pair = new V1Pair({ westConn: AGGR, eastConn: AGGR, seed: 'f-am-id' });
  expectRemoteId(pair.east, 'nobody@example.org');
  const r = await attempt(pair);
  assert.equal(r.ok, false);
  assertFast(pair, r.ms, 'AM wrong ID');
  const fromEast = sentBy(pair, pair.east);
  assert.deepEqual(fromEast.map((m) => [m.header.exchangeType, m.header.encrypted]), [[V1Exchange.INFORMATIONAL, false]], 'only the clear notification, no AM2');
  const w = r.west.find((f) => f.kind === 'peer-notify');
  assert.equal(w?.detail['notify'], 'INVALID_ID_INFORMATION');
  assert.equal(w?.detail['protected'], false);
  assert.match(w?.message ?? '', /\(unprotected\)/);
});

test('MM6 from an identity the initiator does not expect: the initiator deletes the ISAKMP SA the responder already has', async () => {
  const pair = new V1Pair({ seed: 'f-mm6-id' });
  expectRemoteId(pair.west, 'somebody-else@example.org');
  const r = await attempt(pair);
  assert.equal(r.ok, false);
  assertFast(pair, r.ms, 'MM6 identity mismatch');
  assert.match(r.west.find((f) => f.kind === 'auth')?.message ?? '', /peer identity east@example.org is not somebody-else@example.org/);
  const d = informationals(pair, pair.west);
  assert.equal(d.length, 1);
  assert.equal(d[0]?.header.encrypted, true);
  await pair.run();
  assert.equal(pair.east.engine.counters().ikeSas, 0, 'east removed its ISAKMP SA on the Delete');
  assert.equal(counter(pair.east, 'v1.delete.received.ike'), 1);
});

for (const [mode, conn] of [['MM', ''], ['AM', AGGR]] as const) {
  test(`${mode}, no acceptable transform: NO_PROPOSAL_CHOSEN in the clear ends the attempt after the grace period`, async () => {
    const pair = new V1Pair({ westConn: conn, eastConn: `${conn}\nproposals = aes256-sha512-ecp384`, seed: `f-${mode}-prop` });
    const r = await attempt(pair);
    assert.equal(r.ok, false);
    assertFast(pair, r.ms, `${mode} proposal mismatch`);
    const w = r.west.find((f) => f.kind === 'peer-notify');
    assert.equal(w?.detail['notify'], 'NO_PROPOSAL_CHOSEN');
    assert.match(w?.message ?? '', /compare proposals/);
    assert.equal(informationals(pair, pair.east).length, 1, 'exactly one notification');
  });
}

test('no connection for the addresses: a stateless NO_PROPOSAL_CHOSEN, no state on the responder', async () => {
  const pair = new V1Pair({ seed: 'f-noconn' });
  reconfigure(pair.east, (c) => ({ ...c, remoteAddrs: ['198.51.100.9'] }));
  const r = await attempt(pair);
  assert.equal(r.ok, false);
  assertFast(pair, r.ms, 'no connection');
  assert.equal(r.west.find((f) => f.kind === 'peer-notify')?.detail['notify'], 'NO_PROPOSAL_CHOSEN');
  assert.equal(counter(pair.east, 'v1.rx.drop.no_connection'), 1);
  assert.equal(pair.east.engine.counters().ikeSas, 0);
  const [n] = informationals(pair, pair.east);
  const mm1 = sentBy(pair, pair.west)[0];
  assert.ok(n !== undefined && mm1 !== undefined);
  assert.deepEqual(n.header.spiI, mm1.header.spiI, 'answers with the initiator cookie');
});

test('RSA signatures, the responder trusts another key for us: AUTHENTICATION_FAILED, protected, ends the attempt at once', async () => {
  const west = rsaFiles('west');
  const east = rsaFiles('east');
  const stranger = rsaFiles('stranger');
  const pair = new V1Pair({ westAuth: rsa(west, east), eastAuth: rsa(east, stranger), seed: 'f-rsa' });
  const r = await attempt(pair);
  assert.equal(r.ok, false);
  assertFast(pair, r.ms, 'RSA wrong key');
  assert.match(r.east.find((f) => f.kind === 'auth')?.message ?? '', /SIG_I from west@example.org does not verify/);
  const w = r.west.find((f) => f.kind === 'peer-notify');
  assert.equal(w?.detail['notify'], 'AUTHENTICATION_FAILED');
  assert.equal(w?.detail['protected'], true);
});

test('keyingtries: each failed attempt ends fast and the next one follows the usual back-off', async () => {
  const pair = new V1Pair({ eastPsk: OTHER_PSK, westConn: 'keyingtries = 3', westChild: 'start_action = start', seed: 'f-tries' });
  await pair.advance(12_000, 250);
  assert.equal(counter(pair.west, 'v1.ike.initiated'), 3);
  assert.equal(counter(pair.west, 'ike.keyingtry.retry'), 2);
  assert.equal(pair.west.engine.failures().filter((f) => /peer's keys differ/.test(f.message)).length, 3);
  assert.equal(counter(pair.west, 'v1.tx.retransmit'), 0);
});

// ----------------------------------------------------------------- forgeries

function notifyBytes(spiI: Uint8Array, spiR: Uint8Array, notifyType: number, mid: number): Uint8Array {
  const n = { type: V1Payload.N, doi: Doi.IPSEC, protocolId: V1Protocol.ISAKMP, notifyType, spi: new Uint8Array(0), data: new Uint8Array(0) } as const;
  return encodeIsakmp({ spiI, spiR, majorVersion: 1, minorVersion: 0, exchangeType: V1Exchange.INFORMATIONAL, encrypted: false, commit: false, authOnly: false, messageId: mid }, [n]);
}

/** An encrypted message with the right cookies and a body of random blocks (nobody's keys). */
function garbled(spiI: Uint8Array, spiR: Uint8Array, exchangeType: number, mid: number): Uint8Array {
  const body = new Uint8Array(randomBytes(48));
  return concatBytes(encodeIsakmpHeader({ spiI, spiR, majorVersion: 1, minorVersion: 0, exchangeType, encrypted: true, commit: false, authOnly: false, messageId: mid }, V1Payload.HASH, 28 + body.length), body);
}

/** Hands `bytes` to `to` as if `from` had sent them, ahead of the datagram being delivered. */
function inject(to: Peer, from: Peer, bytes: Uint8Array): void {
  const d: Datagram = { local: { address: to.address, port: 500 }, remote: { address: from.address, port: 500 }, bytes };
  to.engine.receive(d);
}

/** Calls `forge` with the cookies just before the `nth` datagram `from` sends (0-based) is delivered. */
function forgeBefore(pair: V1Pair, from: Peer, nth: number, forge: (spiI: Uint8Array, spiR: Uint8Array) => void): void {
  let seen = 0;
  pair.net.filter = (d) => {
    if (d.local.address !== from.address) return 'deliver';
    if (seen++ === nth) {
      const h = decodeIsakmp(d.bytes).header;
      forge(h.spiI, h.spiR);
    }
    return 'deliver';
  };
}

const forgeries: readonly [string, V1PairOptions, (pair: V1Pair) => void][] = [
  ['a clear NO_PROPOSAL_CHOSEN to the initiator ahead of MM2', {}, (pair) =>
    forgeBefore(pair, pair.east, 0, (i, r) => inject(pair.west, pair.east, notifyBytes(i, r, V1Notify.NO_PROPOSAL_CHOSEN, 0)))],
  ['a garbled protected notification to the initiator ahead of MM6', {}, (pair) =>
    forgeBefore(pair, pair.east, 2, (i, r) => inject(pair.west, pair.east, garbled(i, r, V1Exchange.INFORMATIONAL, 0x1234)))],
  ['a clear AUTHENTICATION_FAILED to the initiator ahead of MM6', {}, (pair) =>
    forgeBefore(pair, pair.east, 2, (i, r) => inject(pair.west, pair.east, notifyBytes(i, r, V1Notify.AUTHENTICATION_FAILED, 0x4321)))],
  ['a garbled MM5 to the responder ahead of the genuine one', {}, (pair) =>
    forgeBefore(pair, pair.west, 2, (i, r) => inject(pair.east, pair.west, garbled(i, r, V1Exchange.IDENTITY_PROTECTION, 0)))],
  ['a clear AUTHENTICATION_FAILED to the initiator ahead of AM2', { westConn: AGGR, eastConn: AGGR }, (pair) =>
    forgeBefore(pair, pair.east, 0, (i, r) => inject(pair.west, pair.east, notifyBytes(i, r, V1Notify.AUTHENTICATION_FAILED, 0)))],
  ['a garbled protected notification to the responder ahead of AM3', { westConn: AGGR, eastConn: AGGR }, (pair) =>
    forgeBefore(pair, pair.west, 1, (i, r) => inject(pair.east, pair.west, garbled(i, r, V1Exchange.INFORMATIONAL, 0x777)))],
];

for (const [name, opts, arm] of forgeries) {
  test(`forged: ${name} does not stop a negotiation the genuine peer completes`, async () => {
    const pair = new V1Pair({ ...opts, seed: `forge-${name}` });
    arm(pair);
    const r = await pair.initiate(pair.west);
    assert.equal(r.ok, true, r.error);
    const doubts = counter(pair.west, 'v1.phase1.doubt') + counter(pair.east, 'v1.phase1.doubt');
    assert.ok(doubts >= 1, 'the forgery was seen');
    await pair.advance(2000);
    assert.equal((await pair.west.engine.listSas())[0]?.state, 'established');
    assert.equal((await pair.east.engine.listSas())[0]?.state, 'established');
    assert.equal(counter(pair.west, 'v1.phase1.doubt.concluded') + counter(pair.east, 'v1.phase1.doubt.concluded'), 0);
    assert.equal(pair.west.engine.failures().length + pair.east.engine.failures().length, 0, JSON.stringify([pair.west.engine.failures(), pair.east.engine.failures()]));
  });
}

test('forged: clear and garbled error notifications to an established ISAKMP SA change nothing', async () => {
  const pair = new V1Pair({ seed: 'forge-established' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  assert.ok(w !== undefined);
  const spiI = Buffer.from(w.spiI, 'hex');
  const spiR = Buffer.from(w.spiR, 'hex');
  inject(pair.west, pair.east, notifyBytes(spiI, spiR, V1Notify.AUTHENTICATION_FAILED, 0x99));
  inject(pair.west, pair.east, garbled(spiI, spiR, V1Exchange.INFORMATIONAL, 0x98));
  await pair.advance(2000);
  assert.equal((await pair.west.engine.listSas())[0]?.state, 'established');
  assert.equal(pair.west.engine.failures().length, 0);
  assert.ok(counter(pair.west, 'v1.rx.drop.unprotected') >= 1);
  assert.ok(counter(pair.west, 'v1.rx.drop.decrypt') >= 1);
});

test('a notification is never answered with one (no notification ping-pong)', async () => {
  const pair = new V1Pair({ eastPsk: OTHER_PSK, seed: 'f-no-war' });
  await attempt(pair);
  // east sent one PAYLOAD_MALFORMED; west, which cannot read it, sent nothing back
  assert.equal(informationals(pair, pair.west).length, 0);
  const n = informationals(pair, pair.east)[0];
  assert.equal(n === undefined ? undefined : findV1(n.entries, V1Payload.N), undefined, 'its content is encrypted');
});
