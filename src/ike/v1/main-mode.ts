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
 */
import { Doi, V1Exchange, V1Payload } from '../../iana/ikev1.js';
import { idToString, IdMatch, matchIdentity } from '../../policy/ids.js';
import { phase1Choices, selectPhase1 } from '../../policy/v1-proposals.js';
import { encodeV1Chain, findV1, findV1Entry } from '../../wire/ikev1/chain.js';
import type { IdPayload, PayloadEntry } from '../../wire/ikev1/types.js';
import { encodeV1PayloadBody } from '../../wire/ikev1/payloads.js';
import { idPayload, localIdentity } from './identity.js';
import { mainModeUsable, selectByIdentity } from './peer-select.js';
import { applyNat, deriveOrFail, establish, floatPorts, keAndNonce, lifetimeOf, natdPayloads, onPhase1Timeout, readVids, vendorIds, verifyPeerHash } from './phase1-common.js';
import { authHash } from './phase1-keys.js';
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
export function handleMainMode(sa: V1Sa, entries: readonly PayloadEntry[]): void {
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
      if (!sa.initiator) return mm5Responder(sa, entries);
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
      const id = idPayload(localIdentity(conn, sa.local.address));
      sa.localIdText = idToString(id.idType, id.data);
      const hashI = authHash(sa, 'I', encodeV1PayloadBody(id));
      sa.transition('mm-auth-sent');
      sa.send(MM, 0, [id, { type: V1Payload.HASH, data: hashI }], { encrypt: true, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
      return;
    }
    case 'mm-auth-sent': {
      // MM6
      const idEntry = findV1Entry(entries, V1Payload.ID);
      const hash = findV1(entries, V1Payload.HASH);
      if (idEntry === undefined || hash === undefined) {
        ctx.counters.inc('v1.rx.drop.mm6');
        return;
      }
      sa.replied(0);
      if (!verifyPeer(sa, 'R', idEntry, hash.data)) return;
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

function mm5Responder(sa: V1Sa, entries: readonly PayloadEntry[]): void {
  const idEntry = findV1Entry(entries, V1Payload.ID);
  const hash = findV1(entries, V1Payload.HASH);
  const conn = sa.conn;
  if (idEntry === undefined || hash === undefined || conn === undefined) {
    sa.ctx.counters.inc('v1.rx.drop.mm5');
    return;
  }
  sa.replied(0);
  if (!verifyPeer(sa, 'I', idEntry, hash.data)) return;
  // the connection may have changed with the peer's identity
  const id = idPayload(localIdentity(sa.conn ?? conn, sa.local.address));
  sa.localIdText = idToString(id.idType, id.data);
  const hashR = authHash(sa, 'R', encodeV1PayloadBody(id));
  const chain = encodeV1Chain([id, { type: V1Payload.HASH, data: hashR }]);
  const bytes = sa.seal(MM, 0, chain.firstType, chain.bytes);
  sa.sendBytes(0, bytes, false);
  establish(sa);
}

/** Checks HASH_I/HASH_R; the initiator checks the responder's identity, the responder re-selects its connection by it. */
function verifyPeer(sa: V1Sa, who: 'I' | 'R', idEntry: { entry: PayloadEntry; payload: IdPayload }, received: Uint8Array): boolean {
  const id = idEntry.payload;
  if (!verifyPeerHash(sa, who, id, idEntry.entry.body, received)) return false;
  const peer = { type: id.idType, data: id.data };
  if (!sa.initiator) {
    if (selectByIdentity(sa, peer, mainModeUsable(sa)) !== undefined) return true;
    sa.destroy('no connection for the peer identity');
    return false;
  }
  const spec = sa.conn?.remote[0]?.id;
  if (matchIdentity(spec, peer) === IdMatch.NONE) {
    v1Fail(sa, 'auth', 'Main Mode', `peer identity ${sa.remoteIdText} is not ${spec?.text ?? '%any'}`, { id: sa.remoteIdText });
    sa.destroy('identity mismatch');
    return false;
  }
  return true;
}
