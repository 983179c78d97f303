/**
 * What Keyway tells the peer when phase 1 fails on our side, in the forms
 * strongSwan 5.9.8 and Libreswan send and expect (RFC 2408 §3.14.1, §4.8):
 *
 *   no connection for the addresses, no acceptable transform  NO_PROPOSAL_CHOSEN      clear (MM1/AM1: no keys yet)
 *   invalid KE                                               INVALID_KEY_INFORMATION  clear (key derivation failed)
 *   identity not accepted                                    INVALID_ID_INFORMATION   protected once keys exist
 *   HASH_I / SIG_I wrong, no PSK, cannot sign                AUTHENTICATION_FAILED    protected once keys exist
 *   MM5 / AM3 does not decrypt                               PAYLOAD_MALFORMED        protected (phase1-notify.ts)
 *   bad MM6 (the responder already counts the SA as up)      Delete of the ISAKMP SA  protected (strongSwan does the same)
 *
 * One notification per failed SA, in answer to the message that made it
 * fail, never retransmitted and never larger than that message, so it cannot
 * amplify anything; a notification is never answered with one. The failure
 * record (report.ts v1Fail) decides which notification fits.
 */
import { Doi, V1Exchange, V1Notify, V1Payload, V1Protocol } from '../../iana/ikev1.js';
import { concatBytes } from '../../util/bytes.js';
import { encodeIsakmp } from '../../wire/ikev1/message.js';
import type { IsakmpMessage } from '../../wire/ikev1/message.js';
import type { EngineContext } from '../context.js';
import type { Datagram } from '../ports.js';
import { lastV1Failure, phase1Refused, sendPhase1Notify, sendPhase1Refusal, type V1FailureNote } from './report.js';
import type { V1Sa, V1SaState } from './v1-sa.js';

/** The identity (not the proof) was refused: selectByIdentity's diagnostic, or an initiator's identity check. */
function identityRefused(f: V1FailureNote): boolean {
  return 'receivedId' in f.detail || f.detail['refused'] === 'identity' || /^peer identity .* is not /.test(f.message);
}

export function notifyForFailure(f: V1FailureNote): number | undefined {
  switch (f.kind) {
    case 'proposal':
      return V1Notify.NO_PROPOSAL_CHOSEN;
    case 'ke':
      return V1Notify.INVALID_KEY_INFORMATION;
    case 'auth':
      return identityRefused(f) ? V1Notify.INVALID_ID_INFORMATION : V1Notify.AUTHENTICATION_FAILED;
    case 'config':
      // we cannot authenticate ourselves (no key, cannot sign): strongSwan sends AUTHENTICATION_FAILED too
      return V1Notify.AUTHENTICATION_FAILED;
    default:
      // peer-notify: never answer a notification; timeout/internal/ts: nothing the peer sent is at fault
      return undefined;
  }
}

/**
 * After handling one received phase 1 message: if it made phase 1 fail
 * (the SA is gone and a failure was recorded meanwhile), tell the peer why.
 * `was` is the SA's state before, `failuresBefore` lastV1Failure's count then.
 */
export function refuseAfterFailure(sa: V1Sa, was: V1SaState, failuresBefore: number): void {
  const f = lastV1Failure(sa);
  if (sa.state !== 'destroyed' || phase1Refused(sa) || f === undefined || f.count === failuresBefore) return;
  if (was === 'established' || was === 'deleting' || was === 'destroyed') return;
  if (sa.initiator && was === 'mm-auth-sent') {
    if (f.kind === 'peer-notify') return;
    sendPhase1Refusal(sa, { type: V1Payload.D, doi: Doi.IPSEC, protocolId: V1Protocol.ISAKMP, spiSize: 16, spis: [concatBytes(sa.spiI, sa.spiR)] });
    return;
  }
  const type = notifyForFailure(f);
  if (type !== undefined) sendPhase1Notify(sa, type);
}

/**
 * MM1/AM1 from addresses no connection accepts: NO_PROPOSAL_CHOSEN in the
 * clear, statelessly, with a fresh responder cookie (as IKEv2's IKE_SA_INIT
 * answers, and strongSwan for IKEv1). 40 octets in answer to at least 40.
 */
export function refuseUnknownPeer(ctx: EngineContext, d: Datagram, m: IsakmpMessage): void {
  let spiR = ctx.rng.bytes(8);
  while (spiR.every((b) => b === 0)) spiR = ctx.rng.bytes(8);
  const n = { type: V1Payload.N, doi: Doi.IPSEC, protocolId: V1Protocol.ISAKMP, notifyType: V1Notify.NO_PROPOSAL_CHOSEN, spi: new Uint8Array(0), data: new Uint8Array(0) } as const;
  const bytes = encodeIsakmp({ spiI: m.header.spiI, spiR, majorVersion: 1, minorVersion: 0, exchangeType: V1Exchange.INFORMATIONAL, encrypted: false, commit: false, authOnly: false, messageId: 0 }, [n]);
  if (bytes.length > d.bytes.length) return;
  ctx.transport.send({ local: d.local, remote: d.remote, bytes });
  ctx.counters.inc('v1.tx.phase1.notify.clear');
}
