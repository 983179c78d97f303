/**
 * Aggressive Mode with pre-shared keys (RFC 2409 §5.4), both roles, with the
 * NAT-T additions of RFC 3947 §4 (NAT-D in the second and third messages,
 * the initiator floats to 4500 for the third):
 *
 *   Initiator                                Responder
 *   HDR, SA, KE, Ni, IDii, VID*       -->                                  (AM1)
 *                                     <--  HDR, SA, KE, Nr, IDir, VID*, NAT-D, NAT-D, HASH_R  (AM2)
 *   HDR*, HASH_I, NAT-D, NAT-D        -->                                  (AM3)
 *
 * Security: HASH_R = prf(SKEYID, ...) with SKEYID = prf(PSK, Ni_b | Nr_b)
 * travels in the clear in AM2, to anyone who sends an AM1 naming a valid
 * identity; everything else in it is public, so the PSK can be guessed
 * offline. That is why it is off unless a connection says `aggressive = yes`.
 *
 * The KE travels in AM1, so every transform offered carries the same group
 * (§5.4: "the Diffie-Hellman group ... MUST be the same"). AM3 is encrypted
 * (as strongSwan and Libreswan send it); a clear AM3, as drawn in §5.4, is
 * accepted too.
 */
import { Doi, V1Exchange, V1Payload } from '../../iana/ikev1.js';
import { idToString, IdMatch, matchIdentity } from '../../policy/ids.js';
import { findPsk } from '../../policy/psk.js';
import { phase1Choices } from '../../policy/v1-proposals.js';
import { findV1, findV1Entry } from '../../wire/ikev1/chain.js';
import { encodeV1PayloadBody } from '../../wire/ikev1/payloads.js';
import type { IdPayload, PayloadEntry } from '../../wire/ikev1/types.js';
import { idPayload, localIdentity } from './identity.js';
import { selectByIdentity } from './peer-select.js';
import { applyNat, deriveOrFail, establish, floatPorts, keAndNonce, lifetimeOf, natdPayloads, onPhase1Timeout, readVids, vendorIds, verifyPeerHash } from './phase1-common.js';
import { authHash } from './phase1-keys.js';
import { answerSa, offerSa, takeAnswer } from './phase1-sa.js';
import { v1Fail } from './report.js';
import type { V1Sa } from './v1-sa.js';

const AM = V1Exchange.AGGRESSIVE;
const NAME = 'Aggressive Mode';

/** Our ID payload (remembered: IDii_b / IDir_b enter HASH_I / HASH_R). */
function ourId(sa: V1Sa): IdPayload {
  const conn = sa.conn;
  if (conn === undefined) throw new Error('Aggressive Mode without connection');
  const id = idPayload(localIdentity(conn, sa.local.address));
  sa.localIdText = idToString(id.idType, id.data);
  return id;
}

/** Initiator, AM1. */
export function startAggressiveMode(sa: V1Sa): void {
  const conn = sa.conn;
  if (conn === undefined) throw new Error('initiator without connection');
  if (conn.local[0]?.method !== 'psk') {
    // §5.1 signatures in Aggressive Mode are not implemented: Main Mode protects the identities anyway
    v1Fail(sa, 'config', NAME, `connection ${conn.name}: Aggressive Mode is implemented with auth = psk only`, {});
    sa.destroy('Aggressive Mode needs a PSK');
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
 * Responder, AM1 -> AM2. The initiator's identity is in AM1: the connection
 * is chosen by it (among those with `aggressive = yes`) before the PSK is
 * looked up for the pair of identities. Returns false (reported) on failure.
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
  const conn = selectByIdentity(sa, peer, (c) => (c.aggressive !== true ? 'aggressive = no: Aggressive Mode not accepted' : c.remote[0]?.method !== 'psk' ? 'remote auth is not psk' : undefined));
  if (conn === undefined) return false;
  const psk = findPsk(sa.ctx.config.secrets, localIdentity(conn, sa.local.address), peer);
  if (psk === undefined) {
    v1Fail(sa, 'auth', NAME, `no pre-shared key for ${sa.remoteIdText} (connection ${conn.name})`, { id: sa.remoteIdText });
    return false;
  }
  sa.p1.psk = psk.slice();
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
  const hashR = authHash(sa, 'R', encodeV1PayloadBody(id));
  sa.send(AM, 0, [reply, ...out, id, ...vendorIds(), ...natdPayloads(sa), { type: V1Payload.HASH, data: hashR }], { encrypt: false, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
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
  const hash = findV1(entries, V1Payload.HASH);
  if (ke === undefined || nr === undefined || idEntry === undefined || hash === undefined || findV1(entries, V1Payload.SA) === undefined) {
    sa.ctx.counters.inc('v1.rx.drop.am2');
    return;
  }
  sa.replied(0);
  if (takeAnswer(sa, entries) === undefined) return;
  readVids(sa, entries);
  sa.material.gxr = ke.data.slice();
  sa.material.nr = nr.data.slice();
  if (!deriveOrFail(sa)) return;
  if (!verifyPeerHash(sa, 'R', idEntry.payload, idEntry.entry.body, hash.data)) return;
  const spec = sa.conn?.remote[0]?.id;
  if (matchIdentity(spec, { type: idEntry.payload.idType, data: idEntry.payload.data }) === IdMatch.NONE) {
    v1Fail(sa, 'auth', NAME, `peer identity ${sa.remoteIdText} is not ${spec?.text ?? '%any'}`, { id: sa.remoteIdText });
    sa.destroy('identity mismatch');
    return;
  }
  applyNat(sa, entries);
  const before = { local: sa.local, remote: sa.remote };
  floatPorts(sa);
  const hashI = authHash(sa, 'I', sa.material.idiiB);
  // nothing answers AM3: a lost one is resent when the responder repeats AM2
  sa.send(AM, 0, [{ type: V1Payload.HASH, data: hashI }, ...natdPayloads(sa, before)], { encrypt: true, awaitReply: false });
  establish(sa);
}

function aggressive3(sa: V1Sa, entries: readonly PayloadEntry[]): void {
  const hash = findV1(entries, V1Payload.HASH);
  if (hash === undefined) {
    sa.ctx.counters.inc('v1.rx.drop.am3');
    return;
  }
  sa.replied(0);
  if (!verifyPeerHash(sa, 'I', undefined, sa.material.idiiB, hash.data)) return;
  applyNat(sa, entries, { local: sa.firstLocal, remote: sa.firstRemote });
  establish(sa);
}

