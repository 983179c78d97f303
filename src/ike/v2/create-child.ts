/**
 * CREATE_CHILD_SA for additional CHILD SAs (RFC 7296 §1.3.1):
 *
 *   HDR, SK {[N(USE_TRANSPORT_MODE)], SA, Ni, [KEi], TSi, TSr}  -->
 *                 <--  HDR, SK {[N(USE_TRANSPORT_MODE)], SA, Nr, [KEr], TSi, TSr}
 *
 * KEi/KEr are present when the child's ESP proposals ask for PFS. An
 * INVALID_KE_PAYLOAD answer ends the exchange; we start a new one with the
 * group the responder asked for (§1.3: a new exchange, a new message ID).
 */
import type { ChildConfig } from '../../config/model.js';
import { createKeyExchange, type KeyExchange } from '../../crypto/ke/index.js';
import { ExchangeType, KeId, NotifyType, PayloadType, ProtocolId, nameOf } from '../../iana/ikev2.js';
import { CryptoError } from '../../util/errors.js';
import type { Payload } from '../../wire/ikev2/types.js';
import type { IkeSa, RequestExchange, ResponseOutcome } from '../ike-sa.js';
import { completeChildAsInitiator, prepareChildRequest, respondChild, withNonceAndKe, type ChildOutcome, type ChildRequest } from './child-negotiation.js';
import { findNotify, findPayload, notify } from './payloads.js';
import { handleChildRekeyRequest } from './child-rekey.js';
import { handleIkeRekeyRequest } from './ike-rekey.js';

const NONCE_LENGTH = 32;

export class CreateChildInitiator implements RequestExchange {
  readonly name = 'CREATE_CHILD_SA';
  readonly exchangeType = ExchangeType.CREATE_CHILD_SA;
  private req: ChildRequest | undefined;
  private ke: KeyExchange | undefined;
  private ni: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly sa: IkeSa,
    private readonly cfg: ChildConfig,
    private readonly onDone: (r: ChildOutcome) => void,
    private readonly group: number = cfg.espProposals[0]?.ke[0] ?? 0,
    private readonly triedGroups: ReadonlySet<number> = new Set(),
  ) {}

  async build(): Promise<Payload[]> {
    const sa = this.sa;
    const pfs = this.group !== 0;
    this.req = await prepareChildRequest(sa, this.cfg, pfs);
    this.ni = sa.ctx.rng.bytes(NONCE_LENGTH);
    if (pfs) this.ke = createKeyExchange(this.group, sa.ctx.rng, { modpExponent: sa.ctx.config.daemon.modpExponent });
    const ke: Payload | undefined = this.ke ? { type: PayloadType.KE, critical: false, group: this.group, data: this.ke.publicValue } : undefined;
    return withNonceAndKe(this.req.payloads, this.ni, ke);
  }

  async onResponse(payloads: readonly Payload[]): Promise<ResponseOutcome> {
    const sa = this.sa;
    const req = this.req;
    if (req === undefined) return 'done';
    const invalidKe = findNotify(payloads, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe !== undefined && invalidKe.data.length === 2) {
      const wanted = ((invalidKe.data[0] ?? 0) << 8) | (invalidKe.data[1] ?? 0);
      const allowed = this.cfg.espProposals.some((p) => p.ke.includes(wanted));
      req.child.remove('INVALID_KE_PAYLOAD');
      const tried = new Set([...this.triedGroups, this.group]);
      if (allowed && !tried.has(wanted)) {
        sa.ctx.log('info', 'child.invalid_ke', { ...sa.logFields, from: nameOf(KeId, this.group), to: nameOf(KeId, wanted) });
        sa.enqueue(new CreateChildInitiator(sa, this.cfg, this.onDone, wanted, tried));
        return 'done';
      }
      this.onDone({ ok: false, reason: `peer requested key exchange ${nameOf(KeId, wanted)}, which ${this.cfg.name} does not allow` });
      return 'done';
    }
    const nonce = findPayload(payloads, PayloadType.NONCE);
    let shared: Uint8Array | undefined;
    if (this.ke !== undefined && findPayload(payloads, PayloadType.SA) !== undefined) {
      const keP = findPayload(payloads, PayloadType.KE);
      if (keP === undefined || keP.group !== this.group) {
        req.child.remove('missing KE');
        this.onDone({ ok: false, reason: 'responder did not return a KE payload of our group' });
        return 'done';
      }
      try {
        shared = this.ke.computeSharedSecret(keP.data);
      } catch (e) {
        if (!(e instanceof CryptoError)) throw e;
        req.child.remove('invalid KE');
        this.onDone({ ok: false, reason: `invalid KE value from responder: ${e.message}` });
        return 'done';
      }
    }
    const r = await completeChildAsInitiator(sa, req, payloads, 'CREATE_CHILD_SA', {
      ni: this.ni,
      nr: nonce?.data ?? new Uint8Array(0),
      ...(shared ? { shared } : {}),
    });
    this.onDone(r);
    return 'done';
  }

  onAbort(reason: string): void {
    this.req?.child.remove(reason);
    this.onDone({ ok: false, reason });
  }
}

/** Responder side of CREATE_CHILD_SA. */
export async function handleCreateChildRequest(sa: IkeSa, payloads: readonly Payload[], messageId: number): Promise<void> {
  const saP = findPayload(payloads, PayloadType.SA);
  const nonce = findPayload(payloads, PayloadType.NONCE);
  if (saP === undefined || nonce === undefined || nonce.data.length < 16 || nonce.data.length > 256) {
    sa.sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, [notify(NotifyType.INVALID_SYNTAX)]);
    return;
  }
  if (saP.proposals.some((p) => p.protocolId === ProtocolId.IKE)) {
    await handleIkeRekeyRequest(sa, payloads, messageId, nonce.data);
    return;
  }
  if (findNotify(payloads, NotifyType.REKEY_SA) !== undefined) {
    await handleChildRekeyRequest(sa, payloads, messageId, nonce.data);
    return;
  }
  // §2.25.2: no new CHILD SAs while the IKE SA is being rekeyed or closed.
  if (sa.state !== 'established' || sa.ikeRekeying) {
    sa.ctx.counters.inc('child.create.temporary_failure.sent');
    sa.sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, [notify(NotifyType.TEMPORARY_FAILURE)]);
    return;
  }
  const ke = findPayload(payloads, PayloadType.KE);
  const nr = sa.ctx.rng.bytes(NONCE_LENGTH);
  const r = await respondChild(sa, payloads, 'CREATE_CHILD_SA', {
    ni: nonce.data,
    nr,
    inAuth: false,
    ...(ke ? { ke: { group: ke.group, data: ke.data } } : {}),
  });
  if (r.child === undefined) {
    sa.sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, r.payloads);
    return;
  }
  sa.sendResponse(ExchangeType.CREATE_CHILD_SA, messageId, withNonceAndKe(r.payloads, nr, r.keResponse));
}
