/**
 * Main Mode with pre-shared keys (RFC 2409 §5, §5.4), both roles, with the
 * NAT-T additions of RFC 3947:
 *
 *   Initiator                          Responder
 *   HDR, SA, VID*               -->                          (MM1)
 *                               <--    HDR, SA, VID*         (MM2)
 *   HDR, KE, Ni, NAT-D, NAT-D   -->                          (MM3)
 *                               <--    HDR, KE, Nr, NAT-D, NAT-D   (MM4)
 *   HDR*, IDii, HASH_I          -->                          (MM5, port 4500 behind a NAT)
 *                               <--    HDR*, IDir, HASH_R    (MM6)
 *
 * With RSA signatures (§5.1, auth method 3) MM5/MM6 carry SIG_I/SIG_R
 * instead of HASH_I/HASH_R (phase1-auth.ts) and SKEYID = prf(Ni_b | Nr_b, g^xy).
 */
import { Doi, V1Exchange, V1Payload } from '../../iana/ikev1.js';
import { idToString } from '../../policy/ids.js';
import { phase1Choices, selectPhase1 } from '../../policy/v1-proposals.js';
import { encodeV1Chain, findV1, findV1Entry } from '../../wire/ikev1/chain.js';
import type { IdPayload, PayloadEntry } from '../../wire/ikev1/types.js';
import { encodeV1PayloadBody } from '../../wire/ikev1/payloads.js';
import { mainModeUsable, selectByIdentity } from './peer-select.js';
import { applyNat, deriveOrFail, establish, floatPorts, keAndNonce, lifetimeOf, natdPayloads, onPhase1Timeout, ourIdPayload, peerIdentityMatches, readVids, usesSignatures, vendorIds } from './phase1-common.js';
import { hasPeerAuth, ourAuthPayload, verifyPeerAuth } from './phase1-auth.js';
import { answerSa, offerSa, takeAnswer } from './phase1-sa.js';
import { v1Fail } from './report.js';
import type { V1Sa } from './v1-sa.js';

const MM = V1Exchange.IDENTITY_PROTECTION;

/** Initiator, MM1. */
export function startMainMode(sa: V1Sa): void {
  const conn = sa.conn;
  if (conn === undefined) throw new Error('initiator without connection');
  const offered = phase1Choices(conn, lifetimeOf(sa));
  if (offered.length === 0) {
    v1Fail(sa, 'config', 'Main Mode', `connection ${conn.name} has no proposal usable with IKEv1 (AES-CBC/3DES with SHA1/SHA2 and a DH group)`, {});
    sa.destroy('no IKEv1 proposal');
    return;
  }
  sa.send(MM, 0, [offerSa(sa, offered), ...vendorIds()], { encrypt: false, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
}

/** Responder, MM1 -> MM2 with the best connection by address. Returns false (and reports) when no transform is acceptable. */
export function answerMainMode1(sa: V1Sa, entries: readonly PayloadEntry[]): boolean {
  const found = findV1Entry(entries, V1Payload.SA);
  if (found === undefined || found.payload.doi !== Doi.IPSEC) {
    sa.ctx.counters.inc('v1.rx.drop.mm1');
    return false;
  }
  // the best connection by address that accepts one of the offered transforms (re-checked by identity at MM5)
  sa.conn = sa.candidates.find((c) => selectPhase1(found.payload.proposals, phase1Choices(c, 0)).ok) ?? sa.candidates[0];
  const reply = answerSa(sa, found.payload, found.entry.body);
  if (reply === undefined) return false;
  readVids(sa, entries);
  sa.send(MM, 0, [reply, ...(sa.natt ? vendorIds() : vendorIds().slice(1))], { encrypt: false, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
  return true;
}

/** Handles a decoded (and, for MM5/MM6, decrypted) Main Mode message. */
export async function handleMainMode(sa: V1Sa, entries: readonly PayloadEntry[]): Promise<void> {
  const ctx = sa.ctx;
  switch (sa.state) {
    case 'mm-sa-sent': {
      if (!sa.initiator) return mm3Responder(sa, entries);
      // MM2
      const c = takeAnswer(sa, entries);
      if (c === undefined) return;
      sa.replied(0);
      readVids(sa, entries);
      sa.transition('mm-ke-sent');
      sa.send(MM, 0, [...keAndNonce(sa, c.group), ...natdPayloads(sa)], { encrypt: false, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
      return;
    }
    case 'mm-ke-sent': {
      if (!sa.initiator) return await mm5Responder(sa, entries);
      const ke = findV1(entries, V1Payload.KE);
      const nr = findV1(entries, V1Payload.NONCE);
      const conn = sa.conn;
      if (ke === undefined || nr === undefined || conn === undefined || sa.p1.ke === undefined || sa.p1.choice === undefined) {
        ctx.counters.inc('v1.rx.drop.mm4');
        return;
      }
      sa.replied(0);
      sa.material.gxr = ke.data.slice();
      sa.material.nr = nr.data.slice();
      if (!deriveOrFail(sa)) return;
      applyNat(sa, entries);
      floatPorts(sa);
      const id = ourIdPayload(sa, conn);
      const auth = await ourAuthPayload(sa, 'I', encodeV1PayloadBody(id));
      if (auth === undefined) return;
      sa.transition('mm-auth-sent');
      sa.send(MM, 0, [id, auth], { encrypt: true, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
      return;
    }
    case 'mm-auth-sent': {
      // MM6
      const idEntry = findV1Entry(entries, V1Payload.ID);
      if (idEntry === undefined || !hasPeerAuth(sa, entries)) {
        ctx.counters.inc('v1.rx.drop.mm6');
        return;
      }
      sa.replied(0);
      if (!verifyPeer(sa, 'R', idEntry, entries)) return;
      establish(sa);
      return;
    }
    default:
      ctx.counters.inc('v1.rx.drop.state');
  }
}

function mm3Responder(sa: V1Sa, entries: readonly PayloadEntry[]): void {
  const ke = findV1(entries, V1Payload.KE);
  const ni = findV1(entries, V1Payload.NONCE);
  const conn = sa.conn;
  const choice = sa.p1.choice;
  if (ke === undefined || ni === undefined || conn === undefined || choice === undefined) {
    sa.ctx.counters.inc('v1.rx.drop.mm3');
    return;
  }
  sa.replied(0);
  sa.material.gxi = ke.data.slice();
  sa.material.ni = ni.data.slice();
  const out = keAndNonce(sa, choice.group);
  if (!deriveOrFail(sa)) return;
  applyNat(sa, entries);
  sa.transition('mm-ke-sent');
  sa.send(MM, 0, [...out, ...natdPayloads(sa)], { encrypt: false, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
}

async function mm5Responder(sa: V1Sa, entries: readonly PayloadEntry[]): Promise<void> {
  const idEntry = findV1Entry(entries, V1Payload.ID);
  const conn = sa.conn;
  if (idEntry === undefined || !hasPeerAuth(sa, entries) || conn === undefined) {
    sa.ctx.counters.inc('v1.rx.drop.mm5');
    return;
  }
  sa.replied(0);
  if (!verifyPeer(sa, 'I', idEntry, entries)) return;
  // the connection may have changed with the peer's identity
  const id = ourIdPayload(sa, sa.conn ?? conn);
  const auth = await ourAuthPayload(sa, 'R', encodeV1PayloadBody(id));
  if (auth === undefined) return;
  const chain = encodeV1Chain([id, auth]);
  const bytes = sa.seal(MM, 0, chain.firstType, chain.bytes);
  sa.sendBytes(0, bytes, false);
  establish(sa);
}

/** Checks HASH_I/HASH_R or SIG_I/SIG_R; the initiator checks the responder's identity, the responder re-selects its connection by it. */
function verifyPeer(sa: V1Sa, who: 'I' | 'R', idEntry: { entry: PayloadEntry; payload: IdPayload }, entries: readonly PayloadEntry[]): boolean {
  const id = idEntry.payload;
  const peer = { type: id.idType, data: id.data };
  if (!sa.initiator && usesSignatures(sa)) {
    // the public key that checks SIG_I belongs to the connection the identity selects: select first
    sa.remoteIdText = idToString(id.idType, id.data);
    if (selectByIdentity(sa, peer, mainModeUsable(sa)) === undefined) {
      sa.destroy('no connection for the peer identity');
      return false;
    }
    return verifyPeerAuth(sa, who, id, idEntry.entry.body, entries);
  }
  if (!verifyPeerAuth(sa, who, id, idEntry.entry.body, entries)) return false;
  if (!sa.initiator) {
    if (selectByIdentity(sa, peer, mainModeUsable(sa)) !== undefined) return true;
    sa.destroy('no connection for the peer identity');
    return false;
  }
  return peerIdentityMatches(sa, peer);
}
