/**
 * Engine receive-path fuzzing (ARCHITECTURE B5.1/B5.4; issue 3 "a received
 * message that fails to decode or to authenticate is counted and dropped and
 * the daemon keeps serving"). Two engines of a sim Pair run real exchanges
 * (IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL, from both sides)
 * and the datagrams are captured; then, time-boxed with fast-check:
 *
 *  1. random bytes, the public capture corpus (test/fixtures/wire/udp-payloads.hex,
 *     provenance in test/vectors/PROVENANCE.md) and MUTATIONS of the datagrams
 *     the pair really exchanged (bit flips, truncation, insertion, header
 *     field changes, payload length changes, optionally re-targeted at the
 *     live SA's SPIs and expected message ID) are fed to engine.receive;
 *  2. mutated PLAINTEXT of the captured encrypted requests is re-sealed with
 *     the live IKE SA's keys and the expected message ID, so hostile content
 *     passes the integrity check and reaches the exchange handlers.
 *
 * Invariants: receive() never throws, no `bug.*` counter moves, the network
 * quiesces (no message ping-pong), and afterwards the engines still establish
 * a fresh IKE SA + CHILD SA, then shut down with nothing leaked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExchangeType, PayloadType } from '../../src/iana/ikev2.js';
import { findSk, openMessage } from '../../src/message/protect-v2.js';
import type { SkCipher } from '../../src/crypto/protect.js';
import type { IkeSa } from '../../src/ike/ike-sa.js';
import type { Datagram } from '../../src/ike/ports.js';
import { encodeGenericHeader, encodePayloadChain } from '../../src/wire/ikev2/chain.js';
import { IKE_HEADER_LENGTH, decodeHeader, encodeHeader } from '../../src/wire/ikev2/header.js';
import { decodeMessage } from '../../src/wire/ikev2/message.js';
import { corpusPayloads } from '../unit/wire/load-fixtures.js';
import { Pair, type Peer } from '../sim/harness.js';

const TIME_BOX_MS = 3500;
const runOpts = { numRuns: 1_000_000, interruptAfterTimeLimit: TIME_BOX_MS, markInterruptAsFailure: false, includeErrorInReport: true } as const;

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'header'; field: 'next' | 'version' | 'exchange' | 'flags' | 'mid' | 'length'; value: number }
  | { kind: 'payloadLength'; index: number; delta: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 2, 4, 0x7f, 0x80, 0xff, 33, 34, 41, 46, 53) }),
  fc.record({
    kind: fc.constant('header' as const),
    field: fc.constantFrom('next' as const, 'version' as const, 'exchange' as const, 'flags' as const, 'mid' as const, 'length' as const),
    value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x20, 0x10, 34, 35, 36, 37, 43, 0xffffffff)),
  }),
  fc.record({ kind: fc.constant('payloadLength' as const), index: fc.nat(8), delta: fc.integer({ min: -8, max: 8 }) }),
);

/** Offsets of the generic payload headers of a chain starting at `start` whose first type is `first`. */
function payloadHeaderOffsets(b: Uint8Array, start: number, first: number): number[] {
  const out: number[] = [];
  let at = start;
  let type = first;
  while (type !== PayloadType.NONE && at + 4 <= b.length && out.length < 64) {
    out.push(at);
    const len = ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0);
    if (type === PayloadType.SK || type === PayloadType.SKF || len < 4) break;
    type = b[at] ?? 0;
    at += len;
  }
  return out;
}

/** Applies the mutations; `chainStart` is where the payload chain begins (28 for a message, 0 for SK plaintext). */
function mutate(seed: Uint8Array, ms: readonly Mutation[], chainStart: number, firstType: number): Uint8Array {
  let b = seed.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (m.kind === 'flip') b[m.at % b.length] = (b[m.at % b.length] ?? 0) ^ (1 << m.bit);
    else if (m.kind === 'set') b[m.at % b.length] = m.value;
    else if (m.kind === 'truncate') b = b.slice(0, m.at % b.length);
    else if (m.kind === 'insert') {
      const at = m.at % b.length;
      b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    } else if (m.kind === 'header') {
      if (chainStart === 0 || b.length < IKE_HEADER_LENGTH) continue;
      const at = { next: 16, version: 17, exchange: 18, flags: 19, mid: 20, length: 24 }[m.field];
      if (m.field === 'mid' || m.field === 'length') view.setUint32(at, m.value >>> 0);
      else b[at] = m.value & 0xff;
    } else {
      const first = chainStart === 0 ? firstType : (b[16] ?? 0);
      const offs = payloadHeaderOffsets(b, chainStart, first);
      const at = offs[m.index % Math.max(1, offs.length)];
      if (at !== undefined && at + 4 <= b.length) view.setUint16(at + 2, (view.getUint16(at + 2) + m.delta) & 0xffff);
    }
  }
  return b;
}

/** Makes a message reach the live SA's processing: its SPIs and (optionally) the expected message ID. */
function retarget(b: Uint8Array, sa: IkeSa, mid: number | undefined): Uint8Array {
  if (b.length < IKE_HEADER_LENGTH) return b;
  const out = b.slice();
  out.set(sa.spiI, 0);
  out.set(sa.spiR, 8);
  if (mid !== undefined) new DataView(out.buffer).setUint32(20, mid);
  return out;
}

/** HDR | SK{plain}: like sealMessage, but over raw (possibly malformed) inner chain bytes (RFC 7296 §3.14). */
function sealRaw(sa: IkeSa, cipher: SkCipher, exchangeType: number, mid: number, first: number, plain: Uint8Array): Uint8Array {
  const skLength = 4 + cipher.bodyLength(plain.length);
  const header = { spiI: sa.spiI, spiR: sa.spiR, majorVersion: 2, minorVersion: 0, exchangeType, initiator: true, response: false, version: false, messageId: mid };
  const aad = Uint8Array.from([...encodeHeader(header, PayloadType.SK, IKE_HEADER_LENGTH + skLength), ...encodeGenericHeader(first, false, skLength)]);
  return Uint8Array.from([...aad, ...cipher.seal(aad, plain)]);
}

function bugCounters(p: Peer): Record<string, number> {
  return Object.fromEntries(Object.entries(p.engine.counters().counters).filter(([k]) => k.startsWith('bug.')));
}

function receiveNeverThrows(p: Peer, d: Datagram): void {
  assert.doesNotThrow(() => p.engine.receive(d));
}

/** The established SA that west initiated, mirrored on east (initiator = west, responder = east). */
function liveSa(pair: Pair): { w: IkeSa; e: IkeSa } | undefined {
  for (const w of pair.west.engine.context.table.all()) {
    if (!w.isOriginalInitiator || w.state !== 'established') continue;
    const e = pair.east.engine.context.table.get(w.spiR);
    if (e !== undefined && e.state === 'established') return { w, e };
  }
  return undefined;
}

test('engine receive: random, corpus and mutated datagrams are dropped or answered; the engines keep serving', async () => {
  const pair = new Pair({ seed: 'engine-fuzz', eastDaemon: 'cookie_threshold = 1000' });
  // Real exchanges to learn from: IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA and a CHILD delete from west, then east initiates too.
  assert.equal((await pair.initiate(pair.west)).ok, true);
  const extra = await pair.initiate(pair.west, 'net', 'net');
  assert.equal(extra.ok, true, extra.error);
  const del = pair.west.engine.terminateChild(extra.childSaId ?? -1);
  await pair.run();
  assert.equal(await del, true);
  assert.equal((await pair.initiate(pair.east)).ok, true);
  const captured = pair.net.log.map(({ d }) => d);
  assert.ok(captured.length >= 10, `${captured.length} datagrams captured`);
  const byAddress = (a: string): Peer => (a === pair.west.address ? pair.west : pair.east);
  const deliver = async (to: Datagram, bytes: Uint8Array): Promise<void> => {
    receiveNeverThrows(byAddress(to.remote.address), { local: to.remote, remote: to.local, bytes });
    await pair.run();
  };

  // The public corpus, once, to both engines.
  const first = captured[0];
  assert.ok(first);
  for (const { bytes } of corpusPayloads()) await deliver(first, bytes);

  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.record({ random: fc.uint8Array({ maxLength: 700 }) }),
        fc.record({ i: fc.nat(), ms: fc.array(mutationArb, { minLength: 1, maxLength: 4 }), retarget: fc.constantFrom('no', 'spi', 'spi+mid') }),
      ),
      async (c) => {
        const seed = captured[('i' in c ? c.i : 0) % captured.length] ?? first;
        if ('random' in c) return deliver(seed, c.random);
        let b = mutate(seed.bytes, c.ms, IKE_HEADER_LENGTH, 0);
        const live = liveSa(pair);
        if (c.retarget !== 'no' && live !== undefined) {
          const toEast = seed.remote.address === pair.east.address;
          b = retarget(b, live.w, c.retarget === 'spi' ? undefined : toEast ? live.e.expectedPeerRequestId : live.w.activeMessageId);
        }
        await deliver(seed, b);
      },
    ),
    runOpts,
  );

  // Authenticated garbage: mutated inner payloads of the captured encrypted requests, sealed with live keys.
  const inner: { exchangeType: number; first: number; plain: Uint8Array }[] = [];
  for (const d of captured) {
    const msg = decodeMessage(d.bytes);
    const sk = findSk(msg);
    const sa = byAddress(d.remote.address).engine.context.table.get(msg.header.initiator ? msg.header.spiR : msg.header.spiI);
    if (sk === undefined || sa?.inCipher === undefined || msg.header.response) continue;
    const plain = openMessage(d.bytes, msg, sk, sa.inCipher);
    inner.push({ exchangeType: msg.header.exchangeType, first: sk.nextPayload, plain: encodePayloadChain(plain).bytes });
  }
  assert.ok(inner.some((x) => x.exchangeType === ExchangeType.CREATE_CHILD_SA) && inner.some((x) => x.exchangeType === ExchangeType.INFORMATIONAL));

  const answeredBefore = pair.east.engine.counters().counters['msg.tx.response'] ?? 0;
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.array(mutationArb, { minLength: 0, maxLength: 3 }), fc.boolean(), async (i, ms, wrongType) => {
      let live = liveSa(pair);
      if (live === undefined) {
        // A mutated request deleted or rekeyed east's side of the SA. West would notice
        // by DPD; here it forgets its stale SAs at once and starts over.
        for (const w of pair.west.engine.context.table.all()) {
          const e = pair.east.engine.context.table.get(w.isOriginalInitiator ? w.spiR : w.spiI);
          if (e?.state !== 'established') await w.run('fuzz resync', () => w.destroy('fuzz: the peer no longer has this SA'));
        }
        assert.equal((await pair.initiate(pair.west)).ok, true, 'west could not re-establish');
        live = liveSa(pair);
      }
      assert.ok(live && live.w.outCipher);
      const src = inner[i % inner.length];
      assert.ok(src);
      const plain = mutate(src.plain, ms, 0, src.first);
      const ex = wrongType ? [ExchangeType.IKE_AUTH, ExchangeType.CREATE_CHILD_SA, ExchangeType.INFORMATIONAL][i % 3] ?? 37 : src.exchangeType;
      const bytes = sealRaw(live.w, live.w.outCipher, ex, live.e.expectedPeerRequestId, src.first, plain);
      decodeHeader(bytes); // well-formed outside, hostile inside
      receiveNeverThrows(pair.east, { local: live.e.local, remote: live.e.remote, bytes });
      await pair.run();
    }),
    { ...runOpts, interruptAfterTimeLimit: TIME_BOX_MS },
  );

  // the re-sealed messages passed the integrity check and were answered, not just dropped
  assert.ok((pair.east.engine.counters().counters['msg.tx.response'] ?? 0) > answeredBefore + 100, 'authenticated garbage reached the handlers');
  for (const p of [pair.west, pair.east]) {
    assert.deepEqual(bugCounters(p), {}, `${p.name} hit a bug path`);
    assert.equal(p.logger.records.filter((r) => r.level === 'error').length, 0, `${p.name} logged errors`);
  }
  const c = pair.east.engine.counters().counters;
  assert.ok((c['msg.rx.drop.decode'] ?? 0) + (c['msg.rx.drop.header'] ?? 0) > 0, 'some input was dropped as undecodable');

  // Still serving. The injected requests (sealed with west's keys but not sent by west)
  // left the old SAs' message IDs out of step, so both sides forget them locally; the
  // same engines must then negotiate a fresh IKE SA + CHILD SA, and a CHILD SA from east.
  for (const p of [pair.west, pair.east]) {
    for (const sa of p.engine.context.table.all()) await sa.run('fuzz reset', () => sa.destroy('fuzz: forget desynchronised SA'));
  }
  await pair.run();
  const fresh = await pair.initiate(pair.west);
  assert.equal(fresh.ok, true, `west: ${fresh.error ?? ''}`);
  assert.ok(fresh.childSaId !== undefined);
  const fromEast = await pair.initiate(pair.east);
  assert.equal(fromEast.ok, true, `east: ${fromEast.error ?? ''}`);
  assert.ok(fromEast.childSaId !== undefined);
  // Shut down cleanly (anything still pending times out). Nothing may be left.
  const down = Promise.all([pair.west.engine.shutdown(), pair.east.engine.shutdown()]);
  await pair.advance(400_000, 5_000);
  await down;
  for (const p of [pair.west, pair.east]) {
    assert.equal(p.engine.context.table.size(), 0, `${p.name} still has IKE SAs`);
    assert.equal(p.dataplane.sas.size, 0, `${p.name} dataplane still has SAs`);
    assert.deepEqual(bugCounters(p), {});
  }
  assert.equal(pair.clock.pending, 0, 'timers still armed');
});
