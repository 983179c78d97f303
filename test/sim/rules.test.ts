/**
 * The receive-side rules on a live engine, with messages built by hand from
 * the codec and sealed with the SA's real keys (src/message/protect-v2.ts):
 *
 *  - RFC 7296 §2.5: an unknown payload with the critical bit set makes the
 *    request fail with UNSUPPORTED_CRITICAL_PAYLOAD (data = the payload type);
 *    without the critical bit it is skipped and the exchange succeeds.
 *  - §3.14: payloads that belong inside SK but arrive in the clear are not
 *    obeyed: without SK the message is dropped and counted; beside an SK the
 *    request is answered INVALID_SYNTAX (§2.21.2).
 *  - §2.1: a retransmitted request is answered from the cache, byte for byte,
 *    and not processed twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SkCipher } from '../../src/crypto/protect.js';
import { ExchangeType, NotifyType, PayloadType, ProtocolId } from '../../src/iana/ikev2.js';
import type { IkeSa } from '../../src/ike/ike-sa.js';
import type { Datagram } from '../../src/ike/ports.js';
import { findSk, openMessage, sealMessage, type HeaderFields } from '../../src/message/protect-v2.js';
import { encodePayloadBody } from '../../src/wire/ikev2/body.js';
import { encodeGenericHeader, encodePayloadChain } from '../../src/wire/ikev2/chain.js';
import { IKE_HEADER_LENGTH, encodeHeader } from '../../src/wire/ikev2/header.js';
import { decodeMessage, encodeMessage } from '../../src/wire/ikev2/message.js';
import type { DeletePayload, Payload } from '../../src/wire/ikev2/types.js';
import { settle } from './fake-net.js';
import { Pair } from './harness.js';

const UNKNOWN_TYPE = 99; // unassigned in the IKEv2 payload type registry
const deleteIke: DeletePayload = { type: PayloadType.DELETE, critical: false, protocolId: ProtocolId.IKE, spiSize: 0, spis: [] };

function openWith(bytes: Uint8Array, cipher: SkCipher | undefined): Payload[] {
  const msg = decodeMessage(bytes);
  const sk = findSk(msg);
  assert.ok(sk && cipher, 'an SK payload and keys to open it');
  return openMessage(bytes, msg, sk, cipher);
}

function notifyTypes(payloads: readonly Payload[]): number[] {
  return payloads.flatMap((p) => (p.type === PayloadType.NOTIFY ? [p.notifyType] : []));
}

/** Hands `bytes` to east as if west sent them; returns what east sent back (still queued). */
async function toEast(pair: Pair, bytes: Uint8Array): Promise<Datagram[]> {
  const before = pair.net.queue.length;
  const from = { address: pair.west.address, port: 500 };
  pair.east.engine.receive({ local: { address: pair.east.address, port: 500 }, remote: from, bytes });
  await settle();
  return pair.net.queue.slice(before);
}

/**
 * Runs IKE_SA_INIT and drops west's IKE_AUTH request, so a test can send its
 * own variant of it. Returns both SAs, the request's header and inner payloads.
 */
async function pausedBeforeAuth(seed: string): Promise<{ pair: Pair; w: IkeSa; e: IkeSa; header: HeaderFields; inner: Payload[]; result: ReturnType<Pair['west']['engine']['initiate']> }> {
  const pair = new Pair({ seed });
  pair.net.filter = (d) => (decodeMessage(d.bytes).header.exchangeType === ExchangeType.IKE_AUTH ? 'drop' : 'deliver');
  const result = pair.west.engine.initiate('net');
  await pair.run();
  pair.net.filter = () => 'deliver';
  const dropped = pair.net.log.find((x) => x.verdict === 'drop');
  const [w] = pair.west.engine.context.table.all();
  const [e] = pair.east.engine.context.table.all();
  assert.ok(dropped && w && e);
  assert.equal(e.state, 'authenticating');
  const { header } = decodeMessage(dropped.d.bytes);
  const { length: _l, nextPayload: _n, ...fields } = header;
  return { pair, w, e, header: fields, inner: openWith(dropped.d.bytes, e.inCipher), result };
}

/** West's own IKE_AUTH request plus an unknown payload; returns east's decrypted answer. */
async function authWithUnknownPayload(seed: string, critical: boolean): Promise<Awaited<ReturnType<typeof pausedBeforeAuth>> & { payloads: Payload[] }> {
  const paused = await pausedBeforeAuth(seed);
  const { pair, w, header, inner } = paused;
  assert.ok(w.outCipher);
  const bytes = sealMessage(header, [...inner, { type: 'unknown', rawType: UNKNOWN_TYPE, critical, data: new Uint8Array([1, 2, 3]) }], w.outCipher);
  const [reply] = await toEast(pair, bytes);
  assert.ok(reply, 'east answered');
  return { ...paused, payloads: openWith(reply.bytes, w.inCipher) };
}

test('§2.5: an unknown CRITICAL payload in IKE_AUTH gets UNSUPPORTED_CRITICAL_PAYLOAD', async () => {
  const { pair, e, result, payloads } = await authWithUnknownPayload('rules-critical', true);
  const n = payloads.find((p) => p.type === PayloadType.NOTIFY);
  assert.ok(n && n.type === PayloadType.NOTIFY);
  assert.equal(n.notifyType, NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD);
  assert.deepEqual([...n.data], [UNKNOWN_TYPE]);
  assert.equal(payloads.some((p) => p.type === PayloadType.AUTH), false, 'no AUTH: the request was not processed');
  assert.equal(pair.east.engine.counters().counters['msg.rx.drop.rules'], 1);
  assert.notEqual(e.state, 'established');
  // west takes the error notify as the answer to its IKE_AUTH and says why
  await pair.run();
  const r = await result;
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /UNSUPPORTED_CRITICAL_PAYLOAD/);
  await pair.advance(60_000, 5_000); // east's half-open SA times out
  assert.equal(pair.east.engine.context.table.size(), 0);
  assert.equal(pair.west.engine.context.table.size(), 0);
  assert.equal(pair.clock.pending, 0);
});

test('§2.5: the same unknown payload WITHOUT the critical bit is skipped and IKE_AUTH succeeds', async () => {
  const { pair, w, e, result, payloads } = await authWithUnknownPayload('rules-noncritical', false);
  assert.ok(payloads.some((p) => p.type === PayloadType.AUTH));
  assert.equal(notifyTypes(payloads).some((t) => t < 16384), false, 'no error notify');
  assert.equal(pair.east.engine.counters().counters['msg.rx.drop.rules'], undefined);
  assert.equal(e.state, 'established');
  await pair.run();
  const r = await result;
  assert.equal(r.ok, true, r.error);
  assert.equal(w.state, 'established');
  assert.equal(pair.west.dataplane.sas.size, 2);
});

test('§3.14: encrypted-only payloads in the clear are not obeyed', async () => {
  const pair = new Pair({ seed: 'rules-clear' });
  assert.equal((await pair.initiate(pair.west)).ok, true);
  const [w] = pair.west.engine.context.table.all();
  const [e] = pair.east.engine.context.table.all();
  assert.ok(w?.outCipher && e);
  const mid = e.expectedPeerRequestId;

  // (a) a Delete of the IKE SA with no SK at all: dropped silently and counted
  const clear = encodeMessage(w.header(ExchangeType.INFORMATIONAL, mid, false), [deleteIke]);
  assert.deepEqual(await toEast(pair, clear), []);
  assert.equal(pair.east.engine.counters().counters['msg.rx.drop.unprotected'], 1);
  assert.equal(e.state, 'established');
  assert.equal(e.expectedPeerRequestId, mid, 'the message ID window did not move');

  // (b) the Delete in the clear in front of a genuine (empty) SK payload: authenticated, but malformed
  const del = encodePayloadBody(deleteIke);
  const delHdr = encodeGenericHeader(PayloadType.SK, false, 4 + del.length);
  const skLength = 4 + w.outCipher.bodyLength(0);
  const total = IKE_HEADER_LENGTH + delHdr.length + del.length + skLength;
  const aad = Uint8Array.from([...encodeHeader(w.header(ExchangeType.INFORMATIONAL, mid, false), PayloadType.DELETE, total), ...delHdr, ...del, ...encodeGenericHeader(PayloadType.NONE, false, skLength)]);
  const mixed = Uint8Array.from([...aad, ...w.outCipher.seal(aad, encodePayloadChain([]).bytes)]);
  const [reply] = await toEast(pair, mixed);
  assert.ok(reply);
  assert.deepEqual(notifyTypes(openWith(reply.bytes, w.inCipher)), [NotifyType.INVALID_SYNTAX]);
  assert.equal(pair.east.engine.counters().counters['msg.rx.drop.rules'], 1);
  assert.equal(e.state, 'established', 'the cleartext Delete was not obeyed');
  assert.equal(pair.east.dataplane.sas.size, 2);

  // the SA still works: east deletes it properly
  const done = pair.east.engine.terminateIke(e.uniqueId);
  await pair.run();
  assert.equal(await done, true);
  assert.equal(pair.west.engine.context.table.size(), 0);
  assert.equal(pair.east.engine.context.table.size(), 0);
});

test('§2.1: a retransmitted request is answered from the cache with identical bytes', async () => {
  const pair = new Pair({ seed: 'rules-retransmit' });
  assert.equal((await pair.initiate(pair.west)).ok, true);
  const isAuth = (d: Datagram, response: boolean): boolean => {
    const h = decodeMessage(d.bytes).header;
    return h.exchangeType === ExchangeType.IKE_AUTH && h.response === response;
  };
  const request = pair.net.log.find(({ d }) => isAuth(d, false))?.d;
  const response = pair.net.log.find(({ d }) => isAuth(d, true))?.d;
  assert.ok(request && response);
  const [again] = await toEast(pair, request.bytes);
  assert.ok(again);
  assert.deepEqual(again.bytes, response.bytes);
  const c = pair.east.engine.counters().counters;
  assert.equal(c['msg.tx.response.retransmit'], 1);
  assert.equal(c['child.installed'], 1, 'the CHILD SA was not negotiated twice');
  assert.equal(pair.east.dataplane.sas.size, 2);
  await pair.run(); // west drops the stale response
  assert.equal(pair.west.engine.counters().counters['msg.rx.drop.unexpected_response'], 1);

  // a duplicated INFORMATIONAL (CHILD delete) is processed once and answered twice, identically
  const childId = (await pair.west.engine.listSas())[0]?.children[0]?.uniqueId ?? -1;
  pair.net.filter = (d) => (d.local.address === pair.west.address ? 'duplicate' : 'deliver');
  const done = pair.west.engine.terminateChild(childId);
  await pair.run();
  assert.equal(await done, true);
  const replies = pair.net.log.filter(({ d }) => d.local.address === pair.east.address && decodeMessage(d.bytes).header.exchangeType === ExchangeType.INFORMATIONAL);
  assert.equal(replies.length, 2);
  assert.deepEqual(replies[0]?.d.bytes, replies[1]?.d.bytes);
  assert.equal(pair.east.engine.counters().counters['child.removed'], 1);
  assert.equal(pair.east.engine.counters().counters['msg.tx.response.retransmit'], 2);
  assert.equal(pair.east.dataplane.sas.size, 0);
});
