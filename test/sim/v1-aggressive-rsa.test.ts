/**
 * IKEv1 Aggressive Mode with RSA signatures (RFC 2409 §5.1) in the
 * two-engine simulator:
 *   HDR, SA, KE, Ni, IDii  -->   <--  HDR, SA, KE, Nr, IDir, SIG_R   -->  HDR*, SIG_I
 * SKEYID = prf(Ni_b | Nr_b, g^xy). Both roles on each side, a wrong peer key
 * on either side, PSK/pubkey mismatch, and loss of each phase 1 message.
 * Raw RSA keys are generated per run into a 0700 temp folder.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { V1Exchange, V1Notify, V1Payload } from '../../src/iana/ikev1.js';
import { findV1 } from '../../src/wire/ikev1/chain.js';
import { decodeIsakmp } from '../../src/wire/ikev1/message.js';
import type { Datagram, Signer } from '../../src/ike/ports.js';
import { CryptoError } from '../../src/util/errors.js';
import { rsaAuth, rsaKeyDir, type RsaKeyFiles } from './rsa-keys.js';
import { V1Pair, type V1PairOptions } from './v1-harness.js';
import type { Peer } from './harness.js';

const keys = rsaKeyDir('kw-v1-am-rsa-');
after(() => keys.remove());
const keyPair = (name: string): RsaKeyFiles => keys.keyPair(name);

const west = keyPair('west');
const east = keyPair('east');
const other = keyPair('other');

const rsa = rsaAuth;
const AGGR = 'aggressive = yes';
const both = (o: V1PairOptions = {}): V1PairOptions => ({ westConn: AGGR, eastConn: AGGR, westAuth: rsa(west, east), eastAuth: rsa(east, west), ...o });

function aggressiveMessages(pair: V1Pair): ReturnType<typeof decodeIsakmp>[] {
  return pair.net.log.filter((x) => x.verdict !== 'drop').map((x) => decodeIsakmp(x.d.bytes)).filter((m) => m.header.exchangeType === V1Exchange.AGGRESSIVE);
}

async function assertAgree(pair: V1Pair, initiator: Peer, responder: Peer): Promise<void> {
  const [i] = await initiator.engine.listSas();
  const [r] = await responder.engine.listSas();
  assert.ok(i && r);
  assert.equal(i.mode, 'aggressive');
  assert.equal(r.mode, 'aggressive');
  assert.equal(i.state, 'established');
  assert.equal(r.state, 'established');
  assert.equal(i.localAuth, 'pubkey');
  assert.equal(r.remoteAuth, 'pubkey');
  assert.equal(i.spiI, r.spiI);
  assert.equal(i.spiR, r.spiR);
  assert.equal(r.remote.id, `${initiator.name}@example.org`);
  assert.equal(i.remote.id, `${responder.name}@example.org`);
  const [ic] = i.children;
  const [rc] = r.children;
  assert.ok(ic && rc);
  assert.equal(ic.state, 'installed');
  assert.equal(ic.spiIn, rc.spiOut);
  assert.equal(ic.spiOut, rc.spiIn);
  const out = [...initiator.dataplane.sas.values()].find((s) => s.direction === 'out');
  const inb = [...responder.dataplane.sas.values()].find((s) => s.direction === 'in');
  assert.ok(out && inb);
  assert.deepEqual(out.keys.encrKey, inb.keys.encrKey, 'KEYMAT agrees (SKEYID for signatures on both sides)');
  assert.equal(pair.net.log.filter((x) => decodeIsakmp(x.d.bytes).header.exchangeType === V1Exchange.IDENTITY_PROTECTION).length, 0, 'no Main Mode');
}

test('Aggressive Mode + Quick Mode with RSA signatures, west initiates: SIG_R in clear AM2, SIG_I in encrypted AM3', async () => {
  const pair = new V1Pair(both({ seed: 'am-rsa-w' }));
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  await assertAgree(pair, pair.west, pair.east);
  const am = aggressiveMessages(pair);
  assert.equal(am.length, 3);
  const [am1, am2, am3] = am;
  assert.ok(am1 && am2 && am3);
  assert.equal(am1.header.encrypted, false);
  assert.ok(am1.entries.some((e) => e.payload.type === V1Payload.ID));
  assert.equal(am2.header.encrypted, false);
  const am2Types = am2.entries.map((e) => e.payload.type);
  assert.ok(am2Types.includes(V1Payload.SIG), 'AM2 carries SIG_R');
  assert.ok(!am2Types.includes(V1Payload.HASH), 'and no HASH_R (nothing keyed by a PSK in the clear)');
  assert.equal(am3.header.encrypted, true, 'AM3 encrypted, as strongSwan sends it');
});

test('Aggressive Mode + Quick Mode with RSA signatures, east initiates', async () => {
  const pair = new V1Pair(both({ seed: 'am-rsa-e' }));
  const r = await pair.initiate(pair.east);
  assert.equal(r.ok, true, r.error);
  await assertAgree(pair, pair.east, pair.west);
});

test('AM RSA: the responder trusts another key for the initiator -> SIG_I rejected, failure record on the responder', async () => {
  const pair = new V1Pair(both({ eastAuth: rsa(east, other), seed: 'am-rsa-bad-i' }));
  // AM3 is not acknowledged: the initiator believes phase 1 is up and learns otherwise when Quick Mode times out
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const f = pair.east.engine.failures().find((x) => x.kind === 'auth');
  assert.ok(f, JSON.stringify(pair.east.engine.failures()));
  assert.match(f.exchange, /Aggressive Mode/);
  assert.match(f.message, /SIG_I from west@example\.org does not verify with the public key\(s\) of connection net/);
  assert.equal((await pair.east.engine.listSas()).filter((s) => s.state === 'established').length, 0);
  assert.equal(pair.east.dataplane.sas.size, 0, 'nothing installed on the responder');
});

test('AM RSA: the initiator trusts another key for the responder -> SIG_R rejected, no AM3', async () => {
  const pair = new V1Pair(both({ westAuth: rsa(west, other), seed: 'am-rsa-bad-r' }));
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const f = pair.west.engine.failures().find((x) => x.kind === 'auth');
  assert.ok(f, JSON.stringify(pair.west.engine.failures()));
  assert.match(f.exchange, /Aggressive Mode/);
  assert.match(f.message, /SIG_R from east@example\.org does not verify/);
  assert.equal(pair.west.engine.counters().ikeSas, 0);
  assert.equal(aggressiveMessages(pair).filter((m) => m.header.encrypted).length, 0, 'no AM3 was sent');
});

for (const [name, o] of [
  ['initiator RSA, responder PSK', { westAuth: rsa(west, east), eastAuth: undefined }],
  ['initiator PSK, responder RSA', { westAuth: undefined, eastAuth: rsa(east, west) }],
] as const) {
  test(`AM auth method mismatch (${name}): NO_PROPOSAL_CHOSEN at once, failure records on both sides`, async () => {
    const opts: V1PairOptions = { westConn: AGGR, eastConn: AGGR, seed: `am-mix-${name}`, ...(o.westAuth === undefined ? {} : { westAuth: o.westAuth }), ...(o.eastAuth === undefined ? {} : { eastAuth: o.eastAuth }) };
    const pair = new V1Pair(opts);
    const t0 = pair.clock.nowMs();
    const r = await pair.initiate(pair.west);
    assert.equal(r.ok, false);
    assert.ok(pair.clock.nowMs() - t0 < 1000, 'no retransmission timeout needed');
    const f = pair.east.engine.failures().find((x) => x.kind === 'proposal');
    assert.ok(f, JSON.stringify(pair.east.engine.failures()));
    assert.match(f.message, new RegExp(`offers auth method ${o.westAuth === undefined ? 'psk' : 'pubkey'}, no connection with aggressive = yes accepts it`));
    assert.deepEqual(f.detail['accepted'], [o.eastAuth === undefined ? 'psk' : 'pubkey']);
    const w = pair.west.engine.failures().find((x) => x.kind === 'peer-notify');
    assert.ok(w, JSON.stringify(pair.west.engine.failures()));
    assert.match(w.message, /NO_PROPOSAL_CHOSEN/);
    // east answered with the notification only: no AM2, so nothing keyed (hash or signature) left east
    const fromEast = pair.net.log.filter((x) => x.d.local.address === pair.east.address).map((x) => decodeIsakmp(x.d.bytes));
    assert.deepEqual(fromEast.map((m) => m.header.exchangeType), [V1Exchange.INFORMATIONAL]);
    assert.equal(fromEast[0] === undefined ? undefined : findV1(fromEast[0].entries, V1Payload.N)?.notifyType, V1Notify.NO_PROPOSAL_CHOSEN);
    assert.equal(pair.west.engine.counters().ikeSas, 0);
    assert.equal(pair.east.engine.counters().ikeSas, 0);
  });
}

test('AM RSA: a responder whose pubkey connection lacks aggressive = yes does not answer', async () => {
  const pair = new V1Pair(both({ eastConn: '', seed: 'am-rsa-off' }));
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.ok((pair.east.engine.counters().counters['v1.rx.drop.aggressive'] ?? 0) >= 1);
  assert.equal(pair.net.log.filter((x) => x.d.local.address === pair.east.address).length, 0, 'east sent nothing');
  assert.ok(pair.west.engine.failures().some((f) => f.kind === 'timeout'));
});

test('AM RSA under loss: AM1, AM2 and AM3 each dropped once -> retransmissions, SAs agree', async () => {
  const pair = new V1Pair(both({ seed: 'am-rsa-loss' }));
  const dropped: string[] = [];
  const kind = (d: Datagram): string | undefined => {
    const m = decodeIsakmp(d.bytes);
    if (m.header.exchangeType !== V1Exchange.AGGRESSIVE) return undefined;
    if (m.header.encrypted) return 'AM3';
    return m.entries.some((e) => e.payload.type === V1Payload.SIG) ? 'AM2' : 'AM1';
  };
  pair.net.filter = (d) => {
    const k = kind(d);
    if (k === undefined || dropped.includes(k)) return 'deliver';
    dropped.push(k);
    return 'drop';
  };
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  // the lost AM3 is resent when the responder repeats AM2, and Quick Mode then completes
  await pair.advance(20_000);
  assert.deepEqual(dropped, ['AM1', 'AM2', 'AM3']);
  assert.ok((pair.west.engine.counters().counters['v1.tx.retransmit'] ?? 0) >= 1, 'initiator retransmitted AM1');
  assert.ok((pair.east.engine.counters().counters['v1.tx.retransmit'] ?? 0) >= 1, 'responder retransmitted AM2');
  await assertAgree(pair, pair.west, pair.east);
  // each retransmission repeats the same signed bytes: one SIG_R value on the wire
  const sigs = new Set(aggressiveMessages(pair).filter((m) => !m.header.encrypted).flatMap((m) => m.entries.map((e) => e.payload)).flatMap((p) => (p.type === V1Payload.SIG ? [Buffer.from(p.data).toString('hex')] : [])));
  assert.equal(sigs.size, 1);
});

/** A Signer that always fails, as a key that cannot sign (or a signing service that is down) does. */
function failingSigner(p: Peer, why: string): void {
  const signer: Signer = { sign: () => Promise.reject(new CryptoError('IKE_ERR_SIGN', why)) };
  Object.assign(p.engine.context, { signer });
}

/** The Informational messages `p` sent, with their notify type and whether they were protected. */
function notifiesFrom(pair: V1Pair, p: Peer): { encrypted: boolean; type: number | undefined }[] {
  return pair.net.log
    .filter((x) => x.d.local.address === p.address)
    .map((x) => decodeIsakmp(x.d.bytes))
    .filter((m) => m.header.exchangeType === V1Exchange.INFORMATIONAL)
    .map((m) => ({ encrypted: m.header.encrypted, type: m.header.encrypted ? undefined : findV1(m.entries, V1Payload.N)?.notifyType }));
}

test('AM RSA: the responder cannot sign SIG_R -> config failure naming the key, one AUTHENTICATION_FAILED in the clear (the initiator has no keys before AM2), the initiator ends at once', async () => {
  const pair = new V1Pair(both({ seed: 'am-rsa-nosign-r' }));
  failingSigner(pair.east, 'the key is on a token that is not present');
  const t0 = pair.clock.nowMs();
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.ok(pair.clock.nowMs() - t0 < 2000, 'no retransmission timeout needed');
  const ef = pair.east.engine.failures();
  assert.equal(ef.length, 1, JSON.stringify(ef));
  assert.equal(ef[0]?.kind, 'config');
  assert.match(ef[0]?.message ?? '', /cannot sign with .*east\.key\.pem: the key is on a token that is not present/);
  assert.deepEqual(notifiesFrom(pair, pair.east), [{ encrypted: false, type: V1Notify.AUTHENTICATION_FAILED }], 'exactly one notification, in the clear');
  assert.equal(aggressiveMessages(pair).length, 1, 'no AM2');
  const wf = pair.west.engine.failures().find((f) => f.kind === 'peer-notify');
  assert.ok(wf, JSON.stringify(pair.west.engine.failures()));
  assert.match(wf.message, /AUTHENTICATION_FAILED/);
  await pair.advance(60_000);
  assert.deepEqual(notifiesFrom(pair, pair.east).length, 1, 'never repeated');
  assert.equal(pair.west.engine.counters().ikeSas, 0);
  assert.equal(pair.east.engine.counters().ikeSas, 0);
});

test('AM RSA: the initiator cannot sign SIG_I -> config failure, no AM3, one protected AUTHENTICATION_FAILED the responder acts on at once', async () => {
  const pair = new V1Pair(both({ seed: 'am-rsa-nosign-i' }));
  failingSigner(pair.west, 'signing service down');
  const t0 = pair.clock.nowMs();
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const wf = pair.west.engine.failures();
  assert.equal(wf.length, 1, JSON.stringify(wf));
  assert.equal(wf[0]?.kind, 'config');
  assert.match(wf[0]?.message ?? '', /cannot sign with .*west\.key\.pem: signing service down/);
  assert.equal(aggressiveMessages(pair).filter((m) => m.header.encrypted).length, 0, 'no AM3');
  assert.deepEqual(notifiesFrom(pair, pair.west), [{ encrypted: true, type: undefined }], 'exactly one notification, protected (both sides have the keys after AM2)');
  await pair.run();
  const ef = pair.east.engine.failures().find((f) => f.kind === 'peer-notify');
  assert.ok(ef, JSON.stringify(pair.east.engine.failures()));
  assert.match(ef.message, /peer sent AUTHENTICATION_FAILED:/);
  assert.equal(ef.detail['protected'], true);
  assert.ok(pair.clock.nowMs() - t0 < 1000, 'the responder did not wait for a timeout');
  assert.equal(pair.east.engine.counters().ikeSas, 0);
  await pair.advance(60_000);
  assert.equal(notifiesFrom(pair, pair.west).length, 1, 'never repeated');
});
