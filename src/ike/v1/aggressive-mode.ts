/**
 * Aggressive Mode (RFC 2409 §5), both roles, with pre-shared keys (§5.4) or
 * RSA signatures (§5.1), and the NAT-T additions of RFC 3947 §4 (NAT-D in
 * the second and third messages, the initiator floats to 4500 for the third):
 *
 *   Initiator                                Responder
 *   HDR, SA, KE, Ni, IDii, VID*       -->                                  (AM1)
 *                                     <--  HDR, SA, KE, Nr, IDir, VID*, NAT-D, NAT-D, AUTH_R  (AM2)
 *   HDR*, AUTH_I, NAT-D, NAT-D        -->                                  (AM3)
 *
 *   AUTH = HASH_I / HASH_R   with a PSK:        SKEYID = prf(PSK, Ni_b | Nr_b)
 *   AUTH = SIG_I / SIG_R     with signatures:   SKEYID = prf(Ni_b | Nr_b, g^xy)
 *   (no CERT payload: raw public keys from the config, phase1-auth.ts)
 *
 * Security: with a PSK, HASH_R travels in the clear in AM2, to anyone who
 * sends an AM1 naming a valid identity; everything else in it is public, so
 * the PSK can be guessed offline. SIG_R has no such secret behind it (SKEYID
 * needs g^xy), but identities still travel in the clear. Either way the
 * responder needs a connection with `aggressive = yes`.
 *
 * The KE travels in AM1, so every transform offered carries the same group
 * (§5.4: "the Diffie-Hellman group ... MUST be the same"). AM3 is encrypted
 * (as strongSwan and Libreswan send it, with HASH_I or SIG_I); a clear AM3,
 * as drawn in §5.4, is accepted too.
 */
import { Doi, P1Auth, V1Exchange, V1Notify, V1Payload } from '../../iana/ikev1.js';
import { idToString } from '../../policy/ids.js';
import { findPsk } from '../../policy/psk.js';
import { parseP1Transform, phase1Choices } from '../../policy/v1-proposals.js';
import { findV1, findV1Entry } from '../../wire/ikev1/chain.js';
import { encodeV1PayloadBody } from '../../wire/ikev1/payloads.js';
import type { ConnectionConfig } from '../../config/model.js';
import type { IdPayload, IsakmpPayload, PayloadEntry, SaPayload } from '../../wire/ikev1/types.js';
import { localIdentity } from './identity.js';
import { selectByIdentity } from './peer-select.js';
import { hasPeerAuth, ourAuthPayload, verifyPeerAuth } from './phase1-auth.js';
import { applyNat, deriveOrFail, establish, floatPorts, keAndNonce, lifetimeOf, natdPayloads, onPhase1Timeout, ourIdPayload, peerIdentityMatches, readVids, usesSignatures, vendorIds } from './phase1-common.js';
import { answerSa, offerSa, takeAnswer } from './phase1-sa.js';
import { notifyForFailure, refuseAfterFailure } from './phase1-refusal.js';
import { lastV1Failure, phase1Refused, sendPhase1Notify, v1Fail } from './report.js';
import type { V1Sa } from './v1-sa.js';

const AM = V1Exchange.AGGRESSIVE;
const NAME = 'Aggressive Mode';

/** The configured auth method behind each phase 1 auth attribute value we implement (RFC 2409 App. A). */
const METHOD_OF: Readonly<Record<number, string>> = { [P1Auth.PRE_SHARED_KEY]: 'psk', [P1Auth.RSA_SIGNATURES]: 'pubkey' };

/** Our ID payload (remembered: IDii_b / IDir_b enter HASH_I / HASH_R). */
function ourId(sa: V1Sa): IdPayload {
  const conn = sa.conn;
  if (conn === undefined) throw new Error('Aggressive Mode without connection');
  return ourIdPayload(sa, conn);
}

/**
 * Signing goes through the asynchronous Signer port, but the engine hands
 * Aggressive Mode messages over synchronously: the part that signs runs as
 * the SA's next mailbox task, ahead of any datagram that arrives meanwhile
 * (the mailbox keeps order), so nothing is processed between signing and sending.
 * When we cannot sign, ourAuthPayload records a `config` failure and destroys
 * the SA; the engine's refusal after the message (phase1-refusal.ts) has run
 * by then, so the peer is told here.
 */
function withOurAuth(sa: V1Sa, what: string, who: 'I' | 'R', idB: Uint8Array, then: (auth: IsakmpPayload) => void): void {
  void sa.run(what, async () => {
    const failures = lastV1Failure(sa)?.count ?? 0;
    const auth = await ourAuthPayload(sa, who, idB);
    if (auth === undefined) refuseUnsigned(sa, who, failures);
    else if (sa.state === 'am-sent') then(auth);
  });
}

/**
 * Tells the peer, once, that we could not sign: AUTHENTICATION_FAILED, as
 * phase1-refusal.ts answers any failure to authenticate ourselves. AM3
 * (initiator): protected, the responder has the keys since AM2. AM2
 * (responder): in the clear, because the initiator derives the keys from AM2
 * and could not read a protected one (RFC 2408 §4.8: no protection before
 * keying material is exchanged); strongSwan also refuses at AM1 in the clear.
 * Smaller than the AM1/AM2 it answers: nothing is amplified.
 */
function refuseUnsigned(sa: V1Sa, who: 'I' | 'R', failuresBefore: number): void {
  if (who === 'I') {
    refuseAfterFailure(sa, 'am-sent', failuresBefore);
    return;
  }
  const f = lastV1Failure(sa);
  if (sa.state !== 'destroyed' || phase1Refused(sa) || f === undefined || f.count === failuresBefore) return;
  const notifyType = notifyForFailure(f);
  if (notifyType === undefined) return;
  sendPhase1Notify(sa, notifyType, { clear: true });
}

/** Initiator, AM1. */
export function startAggressiveMode(sa: V1Sa): void {
  const conn = sa.conn;
  if (conn === undefined) throw new Error('initiator without connection');
  const method = conn.local[0]?.method;
  if (method !== 'psk' && method !== 'pubkey') {
    v1Fail(sa, 'config', NAME, `connection ${conn.name}: IKEv1 Aggressive Mode authenticates with auth = psk or auth = pubkey, not ${method ?? '(none)'}`, {});
    sa.destroy('Aggressive Mode needs a PSK or an RSA key');
    return;
  }
  const all = phase1Choices(conn, lifetimeOf(sa));
  const group = all[0]?.group;
  if (group === undefined) {
    v1Fail(sa, 'config', NAME, `connection ${conn.name} has no proposal usable with IKEv1 (AES-CBC/3DES with SHA1/SHA2 and a DH group)`, {});
    sa.destroy('no IKEv1 proposal');
    return;
  }
  const saPayload = offerSa(sa, all.filter((c) => c.group === group));
  const keNonce = keAndNonce(sa, group);
  const id = ourId(sa);
  sa.material.idiiB = encodeV1PayloadBody(id);
  sa.send(AM, 0, [saPayload, ...keNonce, id, ...vendorIds()], { encrypt: false, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
}

/**
 * The auth method the initiator asks for: that of its first transform with a
 * method we implement (it offers one method; the method is a transform
 * attribute, App. A).
 * Remembered as `sa.p1.offered` so that the identity selects among
 * connections of that method (usesSignatures) before a transform is chosen.
 * Undefined (reported, NO_PROPOSAL_CHOSEN sent) when no connection of ours
 * with `aggressive = yes` authenticates peers that way.
 */
function offeredMethod(sa: V1Sa, offer: SaPayload): string | undefined {
  const offered = offer.proposals.flatMap((p) => p.transforms.map(parseP1Transform)).filter((c) => c !== undefined);
  const auth = (offered.find((c) => METHOD_OF[c.auth] !== undefined) ?? offered[0])?.auth;
  sa.p1.offered = offered.filter((c) => c.auth === auth);
  const method = auth === undefined ? undefined : METHOD_OF[auth];
  if (method !== undefined && sa.candidates.some((c) => c.aggressive === true && c.remote[0]?.method === method)) return method;
  const accepted = [...new Set(sa.candidates.filter((c) => c.aggressive === true).map((c) => c.remote[0]?.method ?? '(none)'))];
  v1Fail(sa, 'proposal', NAME, `the initiator offers ${auth === undefined ? 'no usable transform' : `auth method ${method ?? auth}`}, no connection with aggressive = yes accepts it (NO_PROPOSAL_CHOSEN)`, { offeredAuth: method ?? auth ?? null, accepted });
  sendPhase1Notify(sa, V1Notify.NO_PROPOSAL_CHOSEN);
  return undefined;
}

/** Responder: among the address candidates, those that may answer Aggressive Mode with `method`. */
function aggressiveUsable(method: string): (c: ConnectionConfig) => string | undefined {
  return (c) => (c.aggressive !== true ? 'aggressive = no: Aggressive Mode not accepted' : c.remote[0]?.method !== method ? `remote auth is not ${method}` : undefined);
}

/**
 * Responder, AM1 -> AM2. The initiator's identity is in AM1: the connection
 * is chosen by it (among those with `aggressive = yes` and the offered auth
 * method) before any key is used: the PSK for the pair of identities, or the
 * connection's private key for SIG_R. Returns false (reported) on failure.
 */
export function answerAggressive1(sa: V1Sa, entries: readonly PayloadEntry[]): boolean {
  const found = findV1Entry(entries, V1Payload.SA);
  const ke = findV1(entries, V1Payload.KE);
  const ni = findV1(entries, V1Payload.NONCE);
  const idEntry = findV1Entry(entries, V1Payload.ID);
  if (found === undefined || found.payload.doi !== Doi.IPSEC || ke === undefined || ni === undefined || idEntry === undefined) {
    sa.ctx.counters.inc('v1.rx.drop.am1');
    return false;
  }
  const idii = idEntry.payload;
  const peer = { type: idii.idType, data: idii.data };
  sa.remoteIdText = idToString(idii.idType, idii.data);
  const method = offeredMethod(sa, found.payload);
  if (method === undefined) return false;
  const conn = selectByIdentity(sa, peer, aggressiveUsable(method));
  if (conn === undefined) return false;
  if (method === 'psk') {
    const psk = findPsk(sa.ctx.config.secrets, localIdentity(conn, sa.local.address), peer);
    if (psk === undefined) {
      v1Fail(sa, 'auth', NAME, `no pre-shared key for ${sa.remoteIdText} (connection ${conn.name})`, { id: sa.remoteIdText });
      return false;
    }
    sa.p1.psk = psk.slice();
  }
  const reply = answerSa(sa, found.payload, found.entry.body);
  const choice = sa.p1.choice;
  if (reply === undefined || choice === undefined) return false;
  readVids(sa, entries);
  sa.material.gxi = ke.data.slice();
  sa.material.ni = ni.data.slice();
  sa.material.idiiB = idEntry.entry.body.slice();
  const out = keAndNonce(sa, choice.group);
  if (!deriveOrFail(sa)) return false;
  const id = ourId(sa);
  const head = [reply, ...out, id, ...vendorIds(), ...natdPayloads(sa)];
  withOurAuth(sa, 'AM2', 'R', encodeV1PayloadBody(id), (auth) => {
    sa.send(AM, 0, [...head, auth], { encrypt: false, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
  });
  return true;
}

/** AM2 (initiator) or AM3 (responder), decrypted if it was encrypted. */
export function handleAggressiveMode(sa: V1Sa, entries: readonly PayloadEntry[]): void {
  if (sa.state !== 'am-sent') {
    sa.ctx.counters.inc('v1.rx.drop.state');
    return;
  }
  if (sa.initiator) aggressive2(sa, entries);
  else aggressive3(sa, entries);
}

function aggressive2(sa: V1Sa, entries: readonly PayloadEntry[]): void {
  const ke = findV1(entries, V1Payload.KE);
  const nr = findV1(entries, V1Payload.NONCE);
  const idEntry = findV1Entry(entries, V1Payload.ID);
  const hasAuth = findV1(entries, V1Payload.HASH) !== undefined || findV1(entries, V1Payload.SIG) !== undefined;
  if (ke === undefined || nr === undefined || idEntry === undefined || !hasAuth || findV1(entries, V1Payload.SA) === undefined) {
    sa.ctx.counters.inc('v1.rx.drop.am2');
    return;
  }
  sa.replied(0);
  if (takeAnswer(sa, entries) === undefined) return;
  if (!hasPeerAuth(sa, entries)) {
    v1Fail(sa, 'auth', NAME, `AM2 lacks the ${usesSignatures(sa) ? 'SIG_R' : 'HASH_R'} payload the chosen auth method needs`, {});
    sa.destroy('bad AM2');
    return;
  }
  readVids(sa, entries);
  sa.material.gxr = ke.data.slice();
  sa.material.nr = nr.data.slice();
  if (!deriveOrFail(sa)) return;
  if (!verifyPeerAuth(sa, 'R', idEntry.payload, idEntry.entry.body, entries)) return;
  if (!peerIdentityMatches(sa, { type: idEntry.payload.idType, data: idEntry.payload.data })) return;
  applyNat(sa, entries);
  const before = { local: sa.local, remote: sa.remote };
  floatPorts(sa);
  withOurAuth(sa, 'AM3', 'I', sa.material.idiiB, (auth) => {
    // nothing answers AM3: a lost one is resent when the responder repeats AM2
    sa.send(AM, 0, [auth, ...natdPayloads(sa, before)], { encrypt: true, awaitReply: false });
    establish(sa);
  });
}

function aggressive3(sa: V1Sa, entries: readonly PayloadEntry[]): void {
  if (!hasPeerAuth(sa, entries)) {
    sa.ctx.counters.inc('v1.rx.drop.am3');
    return;
  }
  sa.replied(0);
  if (!verifyPeerAuth(sa, 'I', undefined, sa.material.idiiB, entries)) return;
  applyNat(sa, entries, { local: sa.firstLocal, remote: sa.firstRemote });
  establish(sa);
}
