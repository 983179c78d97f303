/**
 * IKE SA rekeying without reauthentication (RFC 7296 §1.3.2, §2.18, §2.8.2):
 *
 *   HDR, SK {SA, Ni, KEi}  -->      (SA: protocol IKE, SPI = the new SPIi)
 *                    <--  HDR, SK {SA, Nr, KEr}   (SPI = the new SPIr)
 *
 *   SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
 *
 * The new IKE SA inherits the CHILD SAs; the exchange initiator becomes its
 * original initiator and deletes the old IKE SA. Simultaneous rekeys: the new
 * IKE SA created with the lowest nonce is deleted by its creator, and the other
 * peer deletes the old IKE SA (§2.8.2).
 */
import { createKeyExchange, type KeyExchange } from '../../crypto/ke/index.js';
import { ExchangeType, KeId, NotifyType, PayloadType, nameOf } from '../../iana/ikev2.js';
import { proposalsToWire, selectProposal, validateResponseProposal, type SelectedAlgorithms } from '../../policy/proposals.js';
import { CryptoError } from '../../util/errors.js';
import type { Payload, Proposal } from '../../wire/ikev2/types.js';
import { IkeSa, type RequestExchange, type ResponseOutcome } from '../ike-sa.js';
import { scheduleIkeLifetime } from '../lifecycle.js';
import { losesCollision } from './child-rekey.js';
import { establishIkeKeys } from './ike-keys.js';
import { DeleteIkeInitiator } from './informational.js';
import { describeNotify } from './notify-text.js';
import { findNotify, findPayload, firstErrorNotify, notify } from './payloads.js';

const NONCE_LENGTH = 32;
const RETRY_MIN_MS = 10_000;

function newSpi(sa: IkeSa): Uint8Array {
  let spi = sa.ctx.rng.bytes(8);
  while (spi.every((b) => b === 0) || sa.ctx.table.get(spi) !== undefined) spi = sa.ctx.rng.bytes(8);
  return spi;
}

/** Creates the successor IKE SA object with the rekeyed keys (§2.18). */
function createSuccessor(old: IkeSa, weInitiated: boolean, spiI: Uint8Array, spiR: Uint8Array, ni: Uint8Array, nr: Uint8Array, sel: SelectedAlgorithms, shared: Uint8Array): IkeSa {
  const ctx = old.ctx;
  const next = new IkeSa(ctx, {
    initiator: weInitiated,
    spiI,
    spiR,
    local: old.local,
    remote: old.remote,
    ...(old.conn ? { conn: old.conn } : {}),
  });
  if (old.prf === undefined || old.keys === undefined) throw new Error('old IKE SA has no keys');
  next.candidates = old.candidates;
  next.ni = ni;
  next.nr = nr;
  next.natLocal = old.natLocal;
  next.natRemote = old.natRemote;
  next.localId = old.localId;
  next.remoteId = old.remoteId;
  next.localIdText = old.localIdText;
  next.remoteIdText = old.remoteIdText;
  next.generation = old.generation + 1;
  establishIkeKeys(next, sel, shared, { prf: old.prf, skD: old.keys.skD });
  next.transition('established');
  next.establishedAtMs = ctx.clock.nowMs();
  next.establishedAtWall = ctx.wallClock.nowEpochMs();
  ctx.table.add(next);
  ctx.counters.inc('ike.rekeyed');
  // by role, for metrics (keyway_ike_rekeys_total{role}): who sent the CREATE_CHILD_SA that won
  ctx.counters.inc(weInitiated ? 'ike.rekeyed.initiator' : 'ike.rekeyed.responder');
  ctx.log('info', 'ike.rekeyed', { ...next.logFields, from: old.uniqueId, generation: next.generation, alg: next.algorithms });
  return next;
}

/** §2.18: "the CHILD SAs ... are moved to the new IKE SA". */
export function moveChildren(from: IkeSa, to: IkeSa): void {
  for (const child of [...from.children.values()]) {
    from.children.delete(child.uniqueId);
    child.ikeSa = to;
    to.children.set(child.uniqueId, child);
  }
  to.armNatKeepalive();
  scheduleIkeLifetime(to);
}

export class IkeRekeyInitiator implements RequestExchange {
  readonly name = 'CREATE_CHILD_SA(rekey IKE)';
  readonly exchangeType = ExchangeType.CREATE_CHILD_SA;
  private ke: KeyExchange | undefined;
  private ni: Uint8Array = new Uint8Array(0);
  private spi: Uint8Array = new Uint8Array(0);
  private sent: Proposal[] = [];

  constructor(
    private readonly sa: IkeSa,
    private readonly group: number = sa.conn?.proposals[0]?.ke[0] ?? KeId.CURVE25519,
  ) {}

  build(): Promise<Payload[]> {
    const sa = this.sa;
    const conn = sa.conn;
    if (conn === undefined || sa.state !== 'established') throw new Error(`IKE SA ${sa.uniqueId} cannot be rekeyed in state ${sa.state}`);
    sa.ikeRekeying = true;
    sa.peerRekey = undefined;
    this.spi = newSpi(sa);
    this.ni = sa.ctx.rng.bytes(NONCE_LENGTH);
    this.ke = createKeyExchange(this.group, sa.ctx.rng, { modpExponent: sa.ctx.config.daemon.modpExponent });
    this.sent = proposalsToWire(conn.proposals, 'ike', this.spi);
    return Promise.resolve([
      { type: PayloadType.SA, critical: false, proposals: this.sent },
      { type: PayloadType.NONCE, critical: false, data: this.ni },
      { type: PayloadType.KE, critical: false, group: this.group, data: this.ke.publicValue },
    ]);
  }

  private retryLater(why: string, group = this.group): void {
    const sa = this.sa;
    sa.ikeRekeying = false;
    const delay = RETRY_MIN_MS + (sa.ctx.rng.bytes(1)[0] ?? 0) * 40;
    sa.ctx.log('info', 'ike.rekey.retry', { ...sa.logFields, why, inMs: delay });
    if (sa.lifetimeTimers.rekey) sa.ctx.scheduler.cancel(sa.lifetimeTimers.rekey);
    sa.lifetimeTimers.rekey = sa.ctx.scheduler.at(sa.ctx.clock.nowMs() + delay, () => {
      sa.lifetimeTimers.rekey = undefined;
      void sa.run('ike rekey retry', async () => {
        if (sa.state !== 'established' || sa.ikeRekeying) return;
        sa.enqueue(new IkeRekeyInitiator(sa, group));
        await sa.kick();
      });
    });
  }

  async onResponse(payloads: readonly Payload[]): Promise<ResponseOutcome> {
    await Promise.resolve();
    const sa = this.sa;
    const ctx = sa.ctx;
    if (sa.peerDeleted) return this.afterPeerDeleted(payloads);
    if (sa.state !== 'established') {
      sa.ikeRekeying = false;
      return 'done';
    }
    if (findNotify(payloads, NotifyType.TEMPORARY_FAILURE) !== undefined) {
      ctx.counters.inc('ike.rekey.temporary_failure');
      const theirs = sa.peerRekey;
      if (theirs !== undefined && theirs.sa.state === 'established') {
        // The peer completed its own rekey first (we answered it): its new IKE SA stands.
        sa.ikeRekeying = false;
        moveChildren(sa, theirs.sa);
        sa.transition('rekeyed');
        return 'done';
      }
      this.retryLater('peer answered TEMPORARY_FAILURE');
      return 'done';
    }
    const invalidKe = findNotify(payloads, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe !== undefined && invalidKe.data.length === 2) {
      const wanted = ((invalidKe.data[0] ?? 0) << 8) | (invalidKe.data[1] ?? 0);
      sa.ikeRekeying = false;
      if (wanted !== this.group && sa.conn?.proposals.some((p) => p.ke.includes(wanted))) {
        ctx.log('info', 'ike.rekey.invalid_ke', { ...sa.logFields, to: nameOf(KeId, wanted) });
        sa.enqueue(new IkeRekeyInitiator(sa, wanted));
        return 'done';
      }
      this.retryLater(`peer wants ${nameOf(KeId, wanted)}`);
      return 'done';
    }
    const err = firstErrorNotify(payloads);
    const saP = findPayload(payloads, PayloadType.SA);
    const keP = findPayload(payloads, PayloadType.KE);
    const nonce = findPayload(payloads, PayloadType.NONCE);
    const proposal = saP?.proposals[0];
    if (err !== undefined || proposal === undefined || keP === undefined || nonce === undefined || this.ke === undefined) {
      const why = err !== undefined ? `peer refused the IKE rekey: ${describeNotify(err.notifyType)}` : 'IKE rekey response lacks SA, KE or Nonce';
      ctx.fail({ connection: sa.connectionName, ikeSaId: sa.uniqueId, peer: `${sa.remote.address}[${sa.remote.port}]`, kind: err ? 'peer-notify' : 'internal', exchange: 'CREATE_CHILD_SA(rekey IKE)', message: why, detail: {} });
      this.retryLater(why);
      return 'done';
    }
    const sel = validateResponseProposal(this.sent, proposal);
    if ('error' in sel || proposal.spi.length !== 8 || keP.group !== this.group) {
      this.retryLater('responder chose an invalid IKE proposal');
      return 'done';
    }
    let shared: Uint8Array;
    try {
      shared = this.ke.computeSharedSecret(keP.data);
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      this.retryLater(`invalid KE value: ${e.message}`);
      return 'done';
    }
    const ours = createSuccessor(sa, true, this.spi, proposal.spi, this.ni, nonce.data, sel, shared);
    sa.ikeRekeying = false;
    const theirs = sa.peerRekey;
    if (theirs !== undefined && theirs.sa.state === 'established' && losesCollision({ ni: this.ni, nr: nonce.data }, theirs)) {
      // §2.8.2: our new IKE SA is redundant; the peer deletes the old one.
      ctx.counters.inc('ike.rekey.collision.lost');
      ctx.log('info', 'ike.rekey.collision', { ...sa.logFields, outcome: 'lost: deleting our redundant IKE SA', ours: ours.uniqueId, theirs: theirs.sa.uniqueId });
      moveChildren(sa, theirs.sa);
      sa.transition('rekeyed');
      ours.enqueue(new DeleteIkeInitiator(ours, 'redundant IKE SA after a rekey collision (§2.8.2)', () => undefined));
      await ours.kick();
      return 'done';
    }
    if (theirs !== undefined) {
      ctx.counters.inc('ike.rekey.collision.won');
      ctx.log('info', 'ike.rekey.collision', { ...sa.logFields, outcome: 'won: deleting the old IKE SA', ours: ours.uniqueId, theirs: theirs.sa.uniqueId });
    }
    moveChildren(sa, ours);
    sa.transition('rekeyed');
    sa.enqueue(new DeleteIkeInitiator(sa, `rekeyed into IKE SA #${ours.uniqueId}`, () => undefined));
    return 'done';
  }

  /**
   * The peer deleted the old IKE SA while our rekey was in flight. If it
   * answered our rekey, the new IKE SA exists on its side: with a collision we
   * lost (the peer deletes the old SA only as winner) and delete ours;
   * without one, ours carries the CHILD SAs on.
   */
  private async afterPeerDeleted(payloads: readonly Payload[]): Promise<ResponseOutcome> {
    const sa = this.sa;
    sa.ikeRekeying = false;
    const saP = findPayload(payloads, PayloadType.SA);
    const keP = findPayload(payloads, PayloadType.KE);
    const nonce = findPayload(payloads, PayloadType.NONCE);
    const proposal = saP?.proposals[0];
    if (proposal !== undefined && keP !== undefined && nonce !== undefined && this.ke !== undefined && proposal.spi.length === 8) {
      const sel = validateResponseProposal(this.sent, proposal);
      let shared: Uint8Array | undefined;
      try {
        shared = this.ke.computeSharedSecret(keP.data);
      } catch (e) {
        if (!(e instanceof CryptoError)) throw e;
      }
      if (!('error' in sel) && shared !== undefined) {
        const ours = createSuccessor(sa, true, this.spi, proposal.spi, this.ni, nonce.data, sel, shared);
        if (sa.peerRekey !== undefined) {
          ours.enqueue(new DeleteIkeInitiator(ours, 'redundant IKE SA after a rekey collision (§2.8.2)', () => undefined));
          await ours.kick();
        } else {
          moveChildren(sa, ours);
        }
      }
    }
    sa.destroy('deleted by peer');
    return 'done';
  }

  onAbort(): void {
    this.sa.ikeRekeying = false;
    if (this.sa.peerDeleted) this.sa.destroy('deleted by peer');
  }
}

/** Responder side: CREATE_CHILD_SA whose SA payload proposes protocol IKE. */
export async function handleIkeRekeyRequest(sa: IkeSa, payloads: readonly Payload[], messageId: number, ni: Uint8Array): Promise<void> {
  const ctx = sa.ctx;
  const conn = ctx.config.connections.find((c) => c.name === sa.conn?.name) ?? sa.conn;
  const reply = (p: Payload[]): void => sa.sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, p);
  // §2.25.2: an IKE SA we are closing, or busy with a CHILD SA exchange of ours, cannot be rekeyed now.
  const busyWithChild = sa.busy && !sa.ikeRekeying;
  if (conn === undefined || sa.state !== 'established' || busyWithChild) {
    ctx.counters.inc('ike.rekey.temporary_failure.sent');
    reply([notify(NotifyType.TEMPORARY_FAILURE)]);
    return;
  }
  const saP = findPayload(payloads, PayloadType.SA);
  const keP = findPayload(payloads, PayloadType.KE);
  if (saP === undefined || keP === undefined) {
    reply([notify(NotifyType.INVALID_SYNTAX)]);
    return;
  }
  const sel = selectProposal(saP.proposals, conn.proposals, 'ike');
  if (!sel.ok) {
    ctx.fail({ connection: conn.name, ikeSaId: sa.uniqueId, peer: `${sa.remote.address}[${sa.remote.port}]`, kind: 'proposal', exchange: 'CREATE_CHILD_SA(rekey IKE)', message: `no acceptable IKE proposal for the rekey: ${sel.diagnostic.reason}`, detail: { ...sel.diagnostic } });
    reply([notify(NotifyType.NO_PROPOSAL_CHOSEN)]);
    return;
  }
  const group = sel.selected.keId ?? 0;
  if (keP.group !== group) {
    reply([notify(NotifyType.INVALID_KE_PAYLOAD, new Uint8Array([(group >> 8) & 0xff, group & 0xff]))]);
    return;
  }
  if (sel.chosen.spi.length !== 8) {
    reply([notify(NotifyType.INVALID_SYNTAX)]);
    return;
  }
  const ke = createKeyExchange(group, ctx.rng, { modpExponent: ctx.config.daemon.modpExponent });
  let shared: Uint8Array;
  try {
    shared = ke.computeSharedSecret(keP.data);
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    reply([notify(NotifyType.INVALID_SYNTAX)]);
    return;
  }
  const nr = ctx.rng.bytes(NONCE_LENGTH);
  const spiR = newSpi(sa);
  const next = createSuccessor(sa, false, sel.chosen.spi, spiR, ni, nr, sel.selected, shared);
  reply([
    { type: PayloadType.SA, critical: false, proposals: [{ ...sel.chosen, spi: spiR }] },
    { type: PayloadType.NONCE, critical: false, data: nr },
    { type: PayloadType.KE, critical: false, group, data: ke.publicValue },
  ]);
  if (sa.ikeRekeying) {
    // Collision: resolved when our own rekey completes (§2.8.2).
    sa.peerRekey = { sa: next, ni, nr };
    return;
  }
  moveChildren(sa, next);
  sa.transition('rekeyed');
}
