/**
 * Failure records and notifications for IKEv1 (same record kinds as IKEv2),
 * and the protected Informational exchange (RFC 2409 §5.7):
 *   HDR*, HASH(1), N/D      HASH(1) = prf(SKEYID_a, M-ID | N/D)
 */
import { quickHash1 } from '../../crypto/keymat-v1.js';
import { Doi, V1Exchange, V1Payload, V1Protocol } from '../../iana/ikev1.js';
import { sealV1 } from '../../message/v1-protect.js';
import { concatBytes } from '../../util/bytes.js';
import { encodeV1Chain } from '../../wire/ikev1/chain.js';
import { encodeIsakmp } from '../../wire/ikev1/message.js';
import type { IsakmpPayload } from '../../wire/ikev1/types.js';
import type { FailureRecord } from '../info.js';
import type { V1Sa } from './v1-sa.js';

/** The last failure recorded for an SA and how many there were (phase1-refusal.ts answers the peer by it). */
export interface V1FailureNote {
  readonly count: number;
  readonly kind: FailureRecord['kind'];
  readonly message: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

const notes = new WeakMap<V1Sa, V1FailureNote>();
/** SAs that already told the peer why phase 1 failed (one notification per SA, never retransmitted). */
const refused = new WeakSet<V1Sa>();

export function v1Fail(sa: V1Sa, kind: FailureRecord['kind'], exchange: string, message: string, detail: Record<string, unknown>): void {
  sa.ctx.fail({ connection: sa.connectionName || null, ikeSaId: sa.uniqueId, peer: sa.peerText, kind, exchange: `IKEv1 ${exchange}`, message, detail });
  notes.set(sa, { count: (notes.get(sa)?.count ?? 0) + 1, kind, message, detail });
}

export function lastV1Failure(sa: V1Sa): V1FailureNote | undefined {
  return notes.get(sa);
}

/** A random message ID not used on this SA yet (RFC 2408 §3.1: unique per exchange). */
export function newMessageId(sa: V1Sa): number {
  for (;;) {
    const b = sa.ctx.rng.bytes(4);
    const mid = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
    if (mid !== 0 && !sa.hasExchange(mid)) return mid;
  }
}

/**
 * One protected Informational message carrying `payload`, in a new exchange
 * (random M-ID, IV = hash(last phase 1 CBC block | M-ID), App. B), or
 * undefined when the SA has no keys yet.
 */
function protectInformational(sa: V1Sa, payload: IsakmpPayload): { mid: number; bytes: Uint8Array } | undefined {
  const mid = newMessageId(sa);
  const iv = sa.informationalIv(mid);
  if (sa.hash === undefined || sa.keys === undefined || sa.cipher === undefined || iv === undefined) return undefined;
  const body = encodeV1Chain([payload]);
  const hash = quickHash1(sa.hash, sa.keys.skeyidA, mid, body.bytes);
  const hashPayload = encodeV1Chain([{ type: V1Payload.HASH, data: hash }]).bytes;
  // the HASH payload's Next Payload field names the N/D payload
  hashPayload[0] = payload.type;
  return { mid, bytes: sealV1(sa.header(V1Exchange.INFORMATIONAL, mid), V1Payload.HASH, concatBytes(hashPayload, body.bytes), sa.cipher, iv).bytes };
}

/** Protected Informational exchange carrying one N or D payload (an established ISAKMP SA). */
export function sendInformational(sa: V1Sa, payload: IsakmpPayload): void {
  if (sa.phase1LastBlock === undefined) return;
  const m = protectInformational(sa, payload);
  if (m !== undefined) sa.sendBytes(m.mid, m.bytes, false);
}

/**
 * Tells the peer why phase 1 failed, at most once per SA and never
 * retransmitted (a reflected packet no larger than what provoked it):
 * protected once keys exist, in the clear before (RFC 2408 §4.8: "prior to
 * the exchange of keying material ... there will be no protection"), e.g.
 * NO_PROPOSAL_CHOSEN in answer to MM1.
 */
export function sendPhase1Notify(sa: V1Sa, notifyType: number, opts: { readonly clear?: boolean } = {}): void {
  sendPhase1Refusal(sa, { type: V1Payload.N, doi: Doi.IPSEC, protocolId: V1Protocol.ISAKMP, notifyType, spi: new Uint8Array(0), data: new Uint8Array(0) }, opts);
}

/**
 * sendPhase1Notify with any N or D payload (a Delete of the ISAKMP SA after
 * a bad MM6). `clear`: even though we have keys, the peer has none yet
 * (an Aggressive Mode responder refusing at AM2) and could not read a
 * protected notification.
 */
export function sendPhase1Refusal(sa: V1Sa, payload: IsakmpPayload, opts: { readonly clear?: boolean } = {}): void {
  if (refused.has(sa)) return;
  refused.add(sa);
  const p = opts.clear === true ? undefined : protectInformational(sa, payload);
  // in the clear with message ID 0, as before phase 1 has keys (strongSwan and Libreswan accept it)
  const bytes = p?.bytes ?? encodeIsakmp(sa.header(V1Exchange.INFORMATIONAL, 0), [payload]);
  sa.ctx.transport.send({ local: sa.local, remote: sa.remote, bytes });
  sa.ctx.counters.inc(p === undefined ? 'v1.tx.phase1.notify.clear' : 'v1.tx.phase1.notify.protected');
}

/** Whether the peer was already told why phase 1 failed. */
export function phase1Refused(sa: V1Sa): boolean {
  return refused.has(sa);
}
