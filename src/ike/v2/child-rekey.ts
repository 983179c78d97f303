/**
 * CHILD SA rekeying (RFC 7296 §1.3.3, §2.8, §2.8.1, §2.25.1):
 *
 *   HDR, SK {N(REKEY_SA), [N(USE_TRANSPORT_MODE)], SA, Ni, [KEi], TSi, TSr}  -->
 *                         <--  HDR, SK {[N(USE_TRANSPORT_MODE)], SA, Nr, [KEr], TSi, TSr}
 *   then the rekey initiator deletes the old CHILD SA (INFORMATIONAL, D).
 *
 * Simultaneous rekeys of one CHILD SA: both exchanges complete; the new SA
 * created with the lowest of the four nonces is redundant and is deleted by
 * the peer that created it, the other peer deletes the old SA (§2.8.1).
 */
import { createKeyExchange, type KeyExchange } from '../../crypto/ke/index.js';
import { ExchangeType, KeId, NotifyType, PayloadType, ProtocolId, nameOf } from '../../iana/ikev2.js';
import { CryptoError } from '../../util/errors.js';
import type { Payload } from '../../wire/ikev2/types.js';
import type { ChildSa, CreationNonces } from '../child-sa.js';
import type { IkeSa, RequestExchange, ResponseOutcome } from '../ike-sa.js';
import { completeChildAsInitiator, prepareChildRequest, respondChild, withNonceAndKe, type ChildRequest } from './child-negotiation.js';
import { CreateChildInitiator } from './create-child.js';
import { DeleteChildInitiator } from './informational.js';
import { bytesToSpi, findNotify, findPayload, notify, spiToBytes } from './payloads.js';

const NONCE_LENGTH = 32;
/** §2.25: after TEMPORARY_FAILURE "MUST NOT immediately retry"; we wait 10-20 s */
const RETRY_MIN_MS = 10_000;

/** The smaller of two nonces, compared as unsigned big-endian numbers (§2.8.1). */
function lowest(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareNonces(a, b) <= 0 ? a : b;
}

export function compareNonces(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    // shorter nonces are padded with leading zeros for the comparison
    const x = a[i - (n - a.length)] ?? 0;
    const y = b[i - (n - b.length)] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}

/** True if the SA created with `ours` nonces loses against `theirs` (it has the lowest nonce). */
export function losesCollision(ours: CreationNonces, theirs: CreationNonces): boolean {
  return compareNonces(lowest(ours.ni, ours.nr), lowest(theirs.ni, theirs.nr)) < 0;
}

export class ChildRekeyInitiator implements RequestExchange {
  readonly name = 'CREATE_CHILD_SA(rekey CHILD)';
  readonly exchangeType = ExchangeType.CREATE_CHILD_SA;
  private req: ChildRequest | undefined;
  private ke: KeyExchange | undefined;
  private ni: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly sa: IkeSa,
    private readonly old: ChildSa,
    private readonly group: number = old.cfg.espProposals[0]?.ke[0] ?? 0,
  ) {}

  async build(): Promise<Payload[]> {
    const sa = this.sa;
    const old = this.old;
    if (old.state !== 'installed' || old.ikeSa !== sa) throw new Error(`CHILD SA ${old.uniqueId} is no longer installed (${old.state})`);
    old.state = 'rekeying';
    const pfs = this.group !== 0;
    this.req = await prepareChildRequest(sa, old.cfg, pfs, { old });
    this.ni = sa.ctx.rng.bytes(NONCE_LENGTH);
    // §1.3.3: N(REKEY_SA) names the SA being rekeyed by the SPI we receive on.
    if (pfs) this.ke = createKeyExchange(this.group, sa.ctx.rng, { modpExponent: sa.ctx.config.daemon.modpExponent });
    const ke: Payload | undefined = this.ke ? { type: PayloadType.KE, critical: false, group: this.group, data: this.ke.publicValue } : undefined;
    return [notify(NotifyType.REKEY_SA, new Uint8Array(0), ProtocolId.ESP, spiToBytes(old.spiIn)), ...withNonceAndKe(this.req.payloads, this.ni, ke)];
  }

  private retryLater(why: string): void {
    const sa = this.sa;
    const old = this.old;
    if (old.state === 'rekeying') old.state = 'installed';
    const delay = RETRY_MIN_MS + (sa.ctx.rng.bytes(1)[0] ?? 0) * 40;
    sa.ctx.log('info', 'child.rekey.retry', { ...old.logFields, why, inMs: delay });
    old.rekeyTimer = sa.ctx.scheduler.at(sa.ctx.clock.nowMs() + delay, () => {
      old.rekeyTimer = undefined;
      void old.ikeSa.run('child rekey retry', async () => {
        if (old.state !== 'installed' || old.ikeSa.state !== 'established') return;
        old.ikeSa.enqueue(new ChildRekeyInitiator(old.ikeSa, old));
        await old.ikeSa.kick();
      });
    });
  }

  async onResponse(payloads: readonly Payload[]): Promise<ResponseOutcome> {
    const sa = this.sa;
    const old = this.old;
    const req = this.req;
    if (req === undefined) return 'done';
    const fail = (why: string): ResponseOutcome => {
      req.child.remove(why);
      return 'done';
    };
    if (findNotify(payloads, NotifyType.TEMPORARY_FAILURE) !== undefined) {
      sa.ctx.counters.inc('child.rekey.temporary_failure');
      fail('peer answered TEMPORARY_FAILURE');
      if (old.state === 'rekeying' && old.peerRekey !== undefined && old.peerRekey.child.isLive) {
        // The peer completed its own rekey of this SA first (we answered it): its SA
        // takes over when the peer deletes the old one.
        old.state = 'rekeyed';
        old.successor = old.peerRekey.child;
        return 'done';
      }
      if (old.state === 'rekeying') this.retryLater('peer answered TEMPORARY_FAILURE');
      return 'done';
    }
    // The peer rekeyed and deleted this CHILD SA while our request was in flight:
    // its successor carries the traffic, ours would be redundant.
    const superseded = old.state === 'removed' && old.successor !== undefined && old.successor.isLive;
    if (findNotify(payloads, NotifyType.CHILD_SA_NOT_FOUND) !== undefined) {
      sa.ctx.counters.inc('child.rekey.not_found');
      fail('peer does not know the CHILD SA');
      if (superseded) return 'done';
      // §2.25: delete our copy silently and create the CHILD SA from scratch.
      old.remove('peer answered CHILD_SA_NOT_FOUND');
      sa.enqueue(new CreateChildInitiator(sa, old.cfg, () => undefined));
      return 'done';
    }
    const invalidKe = findNotify(payloads, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe !== undefined && invalidKe.data.length === 2) {
      const wanted = ((invalidKe.data[0] ?? 0) << 8) | (invalidKe.data[1] ?? 0);
      fail('INVALID_KE_PAYLOAD');
      if (old.state === 'rekeying') old.state = 'installed';
      if (wanted !== this.group && old.cfg.espProposals.some((p) => p.ke.includes(wanted))) {
        sa.ctx.log('info', 'child.rekey.invalid_ke', { ...old.logFields, to: nameOf(KeId, wanted) });
        sa.enqueue(new ChildRekeyInitiator(sa, old, wanted));
      }
      return 'done';
    }
    let shared: Uint8Array | undefined;
    if (this.ke !== undefined && findPayload(payloads, PayloadType.SA) !== undefined) {
      const keP = findPayload(payloads, PayloadType.KE);
      if (keP === undefined || keP.group !== this.group) return this.failAndRetry(req, 'responder did not return our KE group');
      try {
        shared = this.ke.computeSharedSecret(keP.data);
      } catch (e) {
        if (!(e instanceof CryptoError)) throw e;
        return this.failAndRetry(req, `invalid KE value: ${e.message}`);
      }
    }
    const nonce = findPayload(payloads, PayloadType.NONCE);
    const nr = nonce?.data ?? new Uint8Array(0);
    // If the peer's rekey of the same SA already won (§2.8.1), never send on ours.
    const theirs = old.peerRekey;
    const losing = superseded || (theirs !== undefined && theirs.child.isLive && losesCollision({ ni: this.ni, nr }, theirs.nonces));
    const r = await completeChildAsInitiator(sa, req, payloads, 'CREATE_CHILD_SA(rekey)', { ni: this.ni, nr, ...(shared ? { shared } : {}) }, losing);
    if (!r.ok) {
      if (old.state === 'rekeying') this.retryLater(r.reason);
      return 'done';
    }
    if (superseded) {
      sa.ctx.counters.inc('child.rekey.superseded');
      sa.enqueue(new DeleteChildInitiator(r.child, 'redundant: the peer had already rekeyed the CHILD SA', () => undefined));
      return 'done';
    }
    sa.ctx.counters.inc('child.rekeyed');
    resolveChildRekey(sa, old, r.child);
    await Promise.resolve();
    return 'done';
  }

  private failAndRetry(req: ChildRequest, why: string): ResponseOutcome {
    req.child.remove(why);
    this.retryLater(why);
    return 'done';
  }

  onAbort(reason: string): void {
    this.req?.child.remove(reason);
    if (this.old.state === 'rekeying') this.old.state = 'installed';
  }
}

/**
 * After our rekey of `old` produced `ours`: decide what to delete (§2.8.1).
 * Without a collision we delete the old SA. With one, the new SA with the
 * lowest nonce is redundant: if it is ours we delete it and the peer deletes
 * the old SA; otherwise we delete the old SA and the peer deletes its own.
 */
function resolveChildRekey(sa: IkeSa, old: ChildSa, ours: ChildSa): void {
  const theirs = old.peerRekey;
  const oursNonces = ours.nonces;
  if (theirs !== undefined && theirs.child.state !== 'removed' && oursNonces !== undefined && losesCollision(oursNonces, theirs.nonces)) {
    sa.ctx.counters.inc('child.rekey.collision.lost');
    sa.ctx.log('info', 'child.rekey.collision', { ...old.logFields, outcome: 'lost: deleting our redundant CHILD SA', ours: ours.uniqueId, theirs: theirs.child.uniqueId });
    old.state = 'rekeyed';
    old.successor = theirs.child;
    sa.enqueue(new DeleteChildInitiator(ours, 'redundant CHILD SA after a rekey collision (§2.8.1)', () => undefined));
    return;
  }
  if (theirs !== undefined) {
    sa.ctx.counters.inc('child.rekey.collision.won');
    sa.ctx.log('info', 'child.rekey.collision', { ...old.logFields, outcome: 'won: deleting the old CHILD SA', ours: ours.uniqueId, theirs: theirs.child.uniqueId });
  }
  old.successor = ours;
  if (old.state === 'removed') return; // the peer deleted it meanwhile (rekey crossing a delete)
  old.state = 'rekeyed';
  sa.enqueue(new DeleteChildInitiator(old, `rekeyed into CHILD SA #${ours.uniqueId}`, () => undefined));
}

/**
 * Responder side of a CHILD SA rekey (CREATE_CHILD_SA with N(REKEY_SA)).
 * Returns true if it handled (answered) the request.
 */
export async function handleChildRekeyRequest(sa: IkeSa, payloads: readonly Payload[], messageId: number, ni: Uint8Array): Promise<void> {
  const rekey = findNotify(payloads, NotifyType.REKEY_SA);
  if (rekey === undefined) return;
  const spi = bytesToSpi(rekey.spi);
  // The peer names the SPI it receives on: our outbound SPI.
  const old = [...sa.children.values()].find((c) => c.spiOut === spi);
  if (old === undefined || old.state === 'removed') {
    sa.ctx.counters.inc('child.rekey.not_found.sent');
    sa.sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, [notify(NotifyType.CHILD_SA_NOT_FOUND, new Uint8Array(0), ProtocolId.ESP, rekey.spi)]);
    return;
  }
  // §2.25.1: a CHILD SA we are closing (or already replaced) cannot be rekeyed now.
  if (old.state === 'deleting' || old.state === 'rekeyed' || sa.ikeRekeying || sa.state !== 'established') {
    sa.ctx.counters.inc('child.rekey.temporary_failure.sent');
    sa.sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, [notify(NotifyType.TEMPORARY_FAILURE)]);
    return;
  }
  const ke = findPayload(payloads, PayloadType.KE);
  const nr = sa.ctx.rng.bytes(NONCE_LENGTH);
  const r = await respondChild(sa, payloads, 'CREATE_CHILD_SA(rekey)', {
    ni,
    nr,
    inAuth: false,
    rekey: { old },
    ...(ke ? { ke: { group: ke.group, data: ke.data } } : {}),
  });
  if (r.child === undefined) {
    sa.sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, r.payloads);
    return;
  }
  old.peerRekey = { child: r.child, nonces: { ni, nr } };
  // The peer's SA takes over when the peer deletes the old one. During a
  // collision this is provisional: resolveChildRekey() decides (§2.8.1), and
  // if our own rekey fails (e.g. TEMPORARY_FAILURE) it stands.
  old.successor = r.child;
  if (old.state === 'installed') old.state = 'rekeyed';
  sa.ctx.counters.inc('child.rekey.responded');
  sa.sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, withNonceAndKe(r.payloads, nr, r.keResponse));
}
