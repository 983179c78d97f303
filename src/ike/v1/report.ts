/**
 * Failure records and notifications for IKEv1 (same record kinds as IKEv2),
 * and the protected Informational exchange (RFC 2409 §5.7):
 *   HDR*, HASH(1), N/D      HASH(1) = prf(SKEYID_a, M-ID | N/D)
 */
import { quickHash1 } from '../../crypto/keymat-v1.js';
import { Doi, V1Exchange, V1Payload, V1Protocol } from '../../iana/ikev1.js';
import { concatBytes } from '../../util/bytes.js';
import { encodeV1Chain } from '../../wire/ikev1/chain.js';
import type { IsakmpPayload } from '../../wire/ikev1/types.js';
import type { FailureRecord } from '../info.js';
import type { V1Sa } from './v1-sa.js';

export function v1Fail(sa: V1Sa, kind: FailureRecord['kind'], exchange: string, message: string, detail: Record<string, unknown>): void {
  sa.ctx.fail({ connection: sa.connectionName || null, ikeSaId: sa.uniqueId, peer: sa.peerText, kind, exchange: `IKEv1 ${exchange}`, message, detail });
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
 * Unprotected notification during phase 1, before keys exist (RFC 2408
 * §5.5: e.g. NO_PROPOSAL_CHOSEN in answer to MM1), in a new Informational exchange.
 */
export function sendPhase1Notify(sa: V1Sa, notifyType: number): void {
  const n: IsakmpPayload = { type: V1Payload.N, doi: Doi.IPSEC, protocolId: V1Protocol.ISAKMP, notifyType, spi: new Uint8Array(0), data: new Uint8Array(0) };
  sa.send(V1Exchange.INFORMATIONAL, 0, [n], { encrypt: false, awaitReply: false });
}

/** Protected Informational exchange carrying one N or D payload. */
export function sendInformational(sa: V1Sa, payload: IsakmpPayload): void {
  if (sa.hash === undefined || sa.keys === undefined || sa.phase1LastBlock === undefined) return;
  const mid = newMessageId(sa);
  const body = encodeV1Chain([payload]);
  const hash = quickHash1(sa.hash, sa.keys.skeyidA, mid, body.bytes);
  const hashPayload = encodeV1Chain([{ type: V1Payload.HASH, data: hash }]).bytes;
  // the HASH payload's Next Payload field names the N/D payload
  hashPayload[0] = payload.type;
  const bytes = sa.seal(V1Exchange.INFORMATIONAL, mid, V1Payload.HASH, concatBytes(hashPayload, body.bytes));
  sa.sendBytes(mid, bytes, false);
}
