/**
 * Notifications received while phase 1 is under way (RFC 2408 §3.14,
 * §4.8; RFC 2409 §5.7). A refusing responder answers with an Informational
 * instead of its next message: NO_PROPOSAL_CHOSEN in the clear after MM1/AM1
 * (no keys yet), AUTHENTICATION_FAILED / INVALID_ID_INFORMATION protected
 * after MM5 (strongSwan 5.9.8 sends "HASH N(AUTH_FAILED)"), and, when the
 * pre-shared keys differ, a protected PAYLOAD_MALFORMED that we cannot
 * decrypt because it is protected with the peer's keys.
 *
 * Trust: a protected notification whose HASH(1) verifies comes from the
 * holder of SKEYID_a and ends the attempt at once. Anything else is
 * unauthenticated evidence (phase1-doubt.ts): it ends the attempt after a
 * short grace period unless authentic progress arrives first. We never
 * answer a notification with one (no notification ping-pong).
 */
import { nameOfV1, V1Notify, V1Payload, V1Protocol } from '../../iana/ikev1.js';
import { allV1 } from '../../wire/ikev1/chain.js';
import type { NotifyPayload, PayloadEntry } from '../../wire/ikev1/types.js';
import { doubtPhase1 } from './phase1-doubt.js';
import { modeName, usesSignatures } from './phase1-common.js';
import { v1Fail } from './report.js';
import type { V1Sa } from './v1-sa.js';

/** What an administrator should check when the peer sends this error during phase 1. */
const HINTS: Readonly<Record<number, string>> = {
  [V1Notify.NO_PROPOSAL_CHOSEN]: 'the peer accepts none of our phase 1 transforms (compare proposals, and auth methods, on both sides)',
  [V1Notify.AUTHENTICATION_FAILED]: 'the peer did not accept our authentication or identity (check our local id against its remote id, and the pre-shared key or public keys on both sides)',
  [V1Notify.INVALID_ID_INFORMATION]: 'the peer has no connection for our identity (check our local id against its remote id)',
  [V1Notify.INVALID_HASH_INFORMATION]: 'the peer could not verify our hash (pre-shared key mismatch?)',
  [V1Notify.PAYLOAD_MALFORMED]: 'the peer could not decrypt or parse our message (pre-shared key mismatch?)',
  [V1Notify.INVALID_SIGNATURE]: 'the peer could not verify our signature (check the public key it trusts for us)',
  [V1Notify.INVALID_KEY_INFORMATION]: 'the peer refused our key exchange (DH group or KE payload)',
  [V1Notify.INVALID_CERTIFICATE]: 'the peer refused our certificate',
  [V1Notify.CERT_TYPE_UNSUPPORTED]: 'the peer refused our certificate',
  [V1Notify.INVALID_PAYLOAD_TYPE]: 'the peer missed a payload it needs (mode or auth method mismatch?)',
};

export function phase1Hint(notifyType: number): string {
  return HINTS[notifyType] ?? 'the peer refused phase 1';
}

/** Ends the attempt on the peer's error notification, with a failure record that names it and a hint. */
function failOnNotify(sa: V1Sa, n: NotifyPayload, authenticated: boolean): void {
  const name = nameOfV1(V1Notify, n.notifyType);
  const hint = phase1Hint(n.notifyType);
  v1Fail(sa, 'peer-notify', modeName(sa), `peer sent ${name}${authenticated ? '' : ' (unprotected)'}: ${hint}`, { notify: name, code: n.notifyType, protected: authenticated, hint });
  sa.destroy(`peer sent ${name}`);
}

/** The peer's notification is protected with keys other than ours: the keys differ, i.e. (with PSKs) so do the secrets. */
function failOnForeignKeys(sa: V1Sa): void {
  const why = usesSignatures(sa) ? "peer's keys differ" : "peer's keys differ: pre-shared key mismatch?";
  v1Fail(sa, 'auth', modeName(sa), `${why} (its protected notification does not decrypt or verify under our keys)`, { protected: true, verified: false });
  sa.destroy('authentication failed');
}

/**
 * A received Informational while phase 1 is under way. `protectedMsg`: it
 * came encrypted; `verified`: it decrypted and its HASH(1) verified.
 */
export function phase1Informational(sa: V1Sa, entries: readonly PayloadEntry[], protectedMsg: boolean, verified: boolean): void {
  const ctx = sa.ctx;
  const error = allV1(entries, V1Payload.N).find((n) => n.notifyType < 16384);
  const del = allV1(entries, V1Payload.D).some((d) => d.protocolId === V1Protocol.ISAKMP);
  if (protectedMsg && !verified) {
    ctx.counters.inc('v1.rx.phase1.notify.unverified');
    doubtPhase1(sa, 'protected notification that does not verify under our keys', () => failOnForeignKeys(sa));
    return;
  }
  if (!protectedMsg) {
    if (error === undefined) return;
    ctx.counters.inc('v1.rx.phase1.notify.clear');
    doubtPhase1(sa, `unprotected ${nameOfV1(V1Notify, error.notifyType)}`, () => failOnNotify(sa, error, false));
    return;
  }
  ctx.counters.inc('v1.rx.phase1.notify.verified');
  if (error !== undefined) {
    failOnNotify(sa, error, true);
  } else if (del) {
    v1Fail(sa, 'peer-notify', modeName(sa), 'peer deleted the ISAKMP SA during phase 1', {});
    sa.destroy('deleted by peer');
  }
}

/**
 * Evidence that a protected phase 1 message (MM5, MM6, AM3) does not decrypt:
 * with PSKs the keys, and so the secrets, differ (RFC 2409 §5.4). After the
 * grace period it is reported and, since the peer's message may carry a
 * genuine attempt under other keys, answered with PAYLOAD_MALFORMED as
 * strongSwan does (protected with our keys: unreadable to the peer, but
 * what RFC 2408 §4.8 asks for once keys exist).
 */
export function phase1Undecryptable(sa: V1Sa, answer: (notifyType: number) => void): void {
  doubtPhase1(sa, 'phase 1 message that does not decrypt', () => {
    const msg = usesSignatures(sa) ? 'cannot decrypt the identity message: the keys differ' : 'cannot decrypt the identity message: pre-shared key mismatch?';
    v1Fail(sa, 'auth', modeName(sa), msg, {});
    answer(V1Notify.PAYLOAD_MALFORMED);
    sa.destroy('authentication failed');
  });
}
