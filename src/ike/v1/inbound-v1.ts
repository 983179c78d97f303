/**
 * Checks on a received message of a known ISAKMP SA before its handler runs:
 * whether its exchange fits the SA's state, and decryption (RFC 2408 §3.1 E
 * flag, RFC 2409 App. B IVs). A protected message that does not decrypt
 * while phase 1 is under way is evidence that the keys differ
 * (phase1-notify.ts); afterwards it is just dropped.
 */
import { V1Exchange } from '../../iana/ikev1.js';
import { openV1 } from '../../message/v1-protect.js';
import { CryptoError, WireError } from '../../util/errors.js';
import { decodeV1Chain } from '../../wire/ikev1/chain.js';
import type { IsakmpMessage } from '../../wire/ikev1/message.js';
import type { PayloadEntry } from '../../wire/ikev1/types.js';
import { phase1Informational, phase1Undecryptable } from './phase1-notify.js';
import { sendPhase1Notify } from './report.js';
import type { V1Sa } from './v1-sa.js';

/**
 * Whether a message of this exchange can be handled in the SA's state. Checked
 * before decryption: a message we cannot handle yet must neither advance the
 * exchange's IV chain nor count as received, so that its retransmission is
 * processed once we can (e.g. a Quick Mode that overtook a lost AM3).
 */
export function acceptableV1(sa: V1Sa, h: IsakmpMessage['header']): boolean {
  const p1 = sa.inPhase1;
  switch (h.exchangeType) {
    case V1Exchange.IDENTITY_PROTECTION:
      return h.messageId === 0 && sa.mode === 'main' && p1;
    case V1Exchange.AGGRESSIVE:
      return h.messageId === 0 && sa.mode === 'aggressive' && p1;
    case V1Exchange.QUICK_MODE:
      return h.encrypted && h.messageId !== 0 && sa.state === 'established';
    case V1Exchange.INFORMATIONAL:
      // protected ones need the keys: a refusal of MM5/MM6/AM3 comes before phase 1 completes
      return h.messageId !== 0 ? !h.encrypted || sa.keys !== undefined : !h.encrypted;
    default:
      return false;
  }
}

/** The peer's message of phase 1 that carries its proof (MM5 to a responder, MM6 to an initiator, AM3). */
function protectedPhase1Message(sa: V1Sa, mid: number): boolean {
  return mid === 0 && (sa.state === 'mm-auth-sent' || (!sa.initiator && (sa.state === 'mm-ke-sent' || sa.state === 'am-sent')));
}

/**
 * Decrypts with the exchange's IV; the IV chain only advances when the
 * plaintext decodes. An Informational is a one-message exchange: its IV is
 * derived afresh and nothing is chained.
 */
export function openV1Message(sa: V1Sa, m: IsakmpMessage): { entries: PayloadEntry[]; plain: Uint8Array } | undefined {
  const ctx = sa.ctx;
  const mid = m.header.messageId;
  const info = m.header.exchangeType === V1Exchange.INFORMATIONAL;
  const iv = sa.ivs === undefined ? undefined : info ? sa.informationalIv(mid) : sa.ivs.current(mid);
  if (sa.cipher === undefined || sa.ivs === undefined || iv === undefined) {
    ctx.counters.inc('v1.rx.drop.unprotected');
    return undefined;
  }
  try {
    const r = openV1(m.body, sa.cipher, iv);
    const entries = decodeV1Chain(m.header.nextPayload, r.plain, { allowTrailing: true });
    if (!info) sa.ivs.set(mid, r.nextIv);
    return { entries, plain: r.plain };
  } catch (e) {
    if (!(e instanceof WireError) && !(e instanceof CryptoError)) throw e;
    ctx.counters.inc('v1.rx.drop.decrypt');
    if (!sa.inPhase1) return undefined;
    // RFC 2409 §5.4: with PSKs, a protected message that does not decrypt means the keys differ
    if (info) phase1Informational(sa, [], true, false);
    else if (protectedPhase1Message(sa, mid)) phase1Undecryptable(sa, (type) => sendPhase1Notify(sa, type));
    return undefined;
  }
}
