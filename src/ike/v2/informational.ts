/**
 * INFORMATIONAL exchanges (RFC 7296 §1.4): deletes of IKE and CHILD SAs,
 * liveness checks (empty requests, §1.4 / §2.4) and error notifies.
 *
 *   HDR, SK {[N,] [D,] [CP,] ...}  -->
 *                  <--  HDR, SK {[N,] [D,] [CP], ...}
 */
import { ExchangeType, NotifyType, PayloadType, ProtocolId, nameOf } from '../../iana/ikev2.js';
import type { DeletePayload, Payload } from '../../wire/ikev2/types.js';
import type { ChildSa } from '../child-sa.js';
import type { IkeSa, RequestExchange, ResponseOutcome } from '../ike-sa.js';
import { describeNotify } from './notify-text.js';
import { moveChildren } from './ike-rekey.js';
import { bytesToSpi, spiToBytes } from './payloads.js';

/** Deletes the whole IKE SA, telling the peer first (§1.4.1). */
export class DeleteIkeInitiator implements RequestExchange {
  readonly name = 'INFORMATIONAL(delete IKE)';
  readonly exchangeType = ExchangeType.INFORMATIONAL;

  constructor(
    private readonly sa: IkeSa,
    private readonly reason: string,
    private readonly onDone: () => void,
  ) {}

  build(): Promise<Payload[]> {
    this.sa.transition('deleting', this.reason);
    this.sa.ctx.counters.inc('ike.delete.sent');
    const d: DeletePayload = { type: PayloadType.DELETE, critical: false, protocolId: ProtocolId.IKE, spiSize: 0, spis: [] };
    return Promise.resolve([d]);
  }

  onResponse(): Promise<ResponseOutcome> {
    this.sa.destroy(this.reason);
    this.onDone();
    return Promise.resolve('done');
  }

  onAbort(): void {
    // No answer: the IKE SA is gone anyway (§1.4.1 "MAY ... delete after a timeout").
    this.sa.destroy(this.reason);
    this.onDone();
  }
}

/** Deletes one CHILD SA: we name our inbound SPI, the peer answers with its own (§1.4.1). */
export class DeleteChildInitiator implements RequestExchange {
  readonly name = 'INFORMATIONAL(delete CHILD)';
  readonly exchangeType = ExchangeType.INFORMATIONAL;

  constructor(
    private readonly child: ChildSa,
    private readonly reason: string,
    private readonly onDone: () => void,
  ) {}

  build(): Promise<Payload[]> {
    this.child.state = 'deleting';
    this.child.ikeSa.ctx.counters.inc('child.delete.sent');
    const d: DeletePayload = {
      type: PayloadType.DELETE,
      critical: false,
      protocolId: ProtocolId.ESP,
      spiSize: 4,
      spis: [spiToBytes(this.child.spiIn)],
    };
    return Promise.resolve([d]);
  }

  onResponse(): Promise<ResponseOutcome> {
    this.child.remove(this.reason);
    this.onDone();
    return Promise.resolve('done');
  }

  onAbort(reason: string): void {
    this.child.remove(reason);
    this.onDone();
  }
}

/** An empty INFORMATIONAL request: "are you alive?" (§1.4). */
export class LivenessInitiator implements RequestExchange {
  readonly name: string;
  readonly exchangeType = ExchangeType.INFORMATIONAL;
  constructor(
    private readonly onDone: (alive: boolean) => void,
    dpd = false,
  ) {
    this.name = dpd ? 'INFORMATIONAL(DPD)' : 'INFORMATIONAL(liveness)';
  }
  build(): Promise<Payload[]> {
    return Promise.resolve([]);
  }
  onResponse(): Promise<ResponseOutcome> {
    this.onDone(true);
    return Promise.resolve('done');
  }
  onAbort(): void {
    this.onDone(false);
  }
}

/** Responder side of INFORMATIONAL. */
export function handleInformationalRequest(sa: IkeSa, payloads: readonly Payload[], messageId: number): void {
  const ctx = sa.ctx;
  const out: Payload[] = [];
  let deleteIke = false;
  const ourSpis: Uint8Array[] = [];
  for (const p of payloads) {
    if (p.type === PayloadType.NOTIFY && p.notifyType < 16384) {
      ctx.counters.inc('ike.notify.error.received');
      ctx.log('warn', 'ike.notify.received', { ...sa.logFields, notify: nameOf(NotifyType, p.notifyType), meaning: describeNotify(p.notifyType) });
    }
    if (p.type !== PayloadType.DELETE) continue;
    if (p.protocolId === ProtocolId.IKE) {
      if (!deleteIke) ctx.counters.inc('ike.delete.received');
      deleteIke = true;
      continue;
    }
    if (p.protocolId !== ProtocolId.ESP && p.protocolId !== ProtocolId.AH) continue;
    for (const spiBytes of p.spis) {
      const spi = bytesToSpi(spiBytes);
      // The peer names its inbound SPI, which is our outbound one.
      const child = [...sa.children.values()].find((c) => c.spiOut === spi);
      if (child === undefined) {
        ctx.counters.inc('child.delete.unknown_spi');
        continue;
      }
      ctx.counters.inc('child.delete.received');
      ourSpis.push(spiToBytes(child.spiIn));
      // A delete that is not the end of a rekey closes the tunnel: close_action applies.
      const closedForGood = child.isLive && sa.conn !== undefined;
      child.remove(child.state === 'rekeyed' ? 'replaced by rekey, deleted by peer' : 'deleted by peer');
      if (closedForGood && sa.conn !== undefined) ctx.hooks.childClosed(child.cfg, sa.conn, 'peer');
    }
  }
  if (deleteIke && sa.ikeRekeying && sa.state === 'established') {
    // §2.25.2: "reply as usual, and forget about its own rekeying request" - but keep
    // the SA until our rekey request is answered, so a new IKE SA the peer created
    // for it is not orphaned (IkeRekeyInitiator finishes the job).
    const theirs = sa.peerRekey;
    if (theirs !== undefined && theirs.sa.state === 'established') moveChildren(sa, theirs.sa);
    sa.peerDeleted = true;
    sa.transition('deleting', 'deleted by peer during our rekey');
    sa.sendResponse(ExchangeType.INFORMATIONAL, messageId, []);
    // The peer may have dropped our request with the SA: wait one retransmission interval at most.
    const waitMs = ctx.config.daemon.retransmit.timeout * 1000;
    ctx.scheduler.at(ctx.clock.nowMs() + waitMs, () => {
      void sa.run('rekey answer wait', () => sa.destroy('deleted by peer'));
    });
    return;
  }
  if (deleteIke && sa.peerRekey !== undefined && sa.peerRekey.sa.state === 'established' && sa.children.size > 0) {
    // The peer rekeyed this IKE SA (we answered) and now deletes the old one: its CHILD SAs live on.
    moveChildren(sa, sa.peerRekey.sa);
    if (sa.state === 'established') sa.transition('rekeyed');
  }
  if (deleteIke) {
    // §1.4.1: the response to an IKE SA delete is empty; then the SA is gone.
    const live = sa.state === 'established' ? [...new Set([...sa.children.values()].filter((c) => c.isLive).map((c) => c.cfg))] : [];
    sa.transition('deleting', 'deleted by peer');
    sa.sendResponse(ExchangeType.INFORMATIONAL, messageId, []);
    sa.destroy(sa.state === 'rekeyed' ? 'replaced by rekey, deleted by peer' : 'deleted by peer');
    if (sa.conn !== undefined) for (const cfg of live) ctx.hooks.childClosed(cfg, sa.conn, 'peer');
    return;
  }
  if (ourSpis.length > 0) {
    out.push({ type: PayloadType.DELETE, critical: false, protocolId: ProtocolId.ESP, spiSize: 4, spis: ourSpis });
  }
  sa.sendResponse(ExchangeType.INFORMATIONAL, messageId, out);
}
