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
import { createKeyExchange } from '../../crypto/ke/index.js';
import { hashEqual } from '../../crypto/keymat-v1.js';
import { Doi, Situation, V1Exchange, V1Notify, V1Payload, V1Protocol } from '../../iana/ikev1.js';
import { idToString, IdMatch, matchIdentity } from '../../policy/ids.js';
import { p1Transform, parseP1Transform, phase1Choices, selectPhase1 } from '../../policy/v1-proposals.js';
import { bytesEqual } from '../../util/bytes.js';
import { CryptoError } from '../../util/errors.js';
import { allV1, encodeV1Chain, findV1, findV1Entry } from '../../wire/ikev1/chain.js';
import type { IdPayload, IsakmpPayload, PayloadEntry, SaPayload } from '../../wire/ikev1/types.js';
import { encodeV1PayloadBody } from '../../wire/ikev1/payloads.js';
import { idPayload, localIdentity, pskFor } from './identity.js';
import { detectNat, natdHashV1, VID_DPD, VID_RFC3947 } from './natt.js';
import { adoptChoice, authHash, derivePhase1 } from './phase1-keys.js';
import { sendPhase1Notify, v1Fail } from './report.js';
import type { V1Sa } from './v1-sa.js';

const MM = V1Exchange.IDENTITY_PROTECTION;
const NONCE_LENGTH = 32;

function lifetimeOf(sa: V1Sa): number {
  const c = sa.conn;
  if (c === undefined) return 0;
  // strongSwan offers the IKE SA's hard lifetime: rekey (or reauth) time plus over_time
  const base = Math.max(c.rekeyTime, c.reauthTime);
  return base > 0 ? base + c.overTime : 0;
}

function vendorIds(): IsakmpPayload[] {
  return [{ type: V1Payload.VID, data: VID_RFC3947 }, { type: V1Payload.VID, data: VID_DPD }];
}

function readVids(sa: V1Sa, entries: readonly PayloadEntry[]): void {
  for (const v of allV1(entries, V1Payload.VID)) {
    if (bytesEqual(v.data, VID_RFC3947)) sa.natt = true;
    if (bytesEqual(v.data, VID_DPD)) sa.dpd = true;
  }
}

function forceEncap(sa: V1Sa): boolean {
  return sa.conn?.encap === true || sa.ctx.dataplane.requiresUdpEncap === true;
}

function natdPayloads(sa: V1Sa): IsakmpPayload[] {
  if (!sa.natt || sa.hash === undefined) return [];
  // With forced encapsulation we send a hash nobody can match, like strongSwan, so both sides see a "NAT".
  const own = forceEncap(sa) ? sa.ctx.rng.bytes(sa.hash.outputLength) : natdHashV1(sa.hash, sa.spiI, sa.spiR, sa.local);
  return [{ type: V1Payload.NAT_D, data: natdHashV1(sa.hash, sa.spiI, sa.spiR, sa.remote) }, { type: V1Payload.NAT_D, data: own }];
}

function applyNat(sa: V1Sa, entries: readonly PayloadEntry[]): void {
  const hashes = allV1(entries, V1Payload.NAT_D).map((p) => p.data);
  if (!sa.natt || sa.hash === undefined || hashes.length === 0) return;
  const r = detectNat(sa.hash, sa.spiI, sa.spiR, hashes, sa.local, sa.remote, forceEncap(sa));
  sa.natLocal = r.natLocal;
  sa.natRemote = r.natRemote;
  if (r.natLocal || r.natRemote) sa.ctx.log('info', 'v1.nat.detected', { ...sa.logFields, natLocal: r.natLocal, natRemote: r.natRemote });
}

/** RFC 3947 §4: the initiator floats to 4500 for MM5 once a NAT is detected. */
function floatPorts(sa: V1Sa): void {
  const nat = sa.ctx.config.daemon.natPort;
  if (!(sa.natLocal || sa.natRemote) || sa.local.port === nat) return;
  sa.local = { address: sa.local.address, port: nat };
  sa.remote = { address: sa.remote.address, port: 4500 };
}

function onPhase1Timeout(sa: V1Sa): (reason: string) => void {
  return (reason) => {
    v1Fail(sa, 'timeout', 'Main Mode', reason, {});
    sa.destroy(reason);
  };
}

function keAndNonce(sa: V1Sa, group: number): IsakmpPayload[] {
  const ke = createKeyExchange(group, sa.ctx.rng, { modpExponent: sa.ctx.config.daemon.modpExponent });
  sa.p1.ke = ke;
  const nonce = sa.ctx.rng.bytes(NONCE_LENGTH);
  if (sa.initiator) {
    sa.material.gxi = ke.publicValue;
    sa.material.ni = nonce;
  } else {
    sa.material.gxr = ke.publicValue;
    sa.material.nr = nonce;
  }
  return [{ type: V1Payload.KE, data: ke.publicValue }, { type: V1Payload.NONCE, data: nonce }];
}

/** Initiator, MM1. */
export function startMainMode(sa: V1Sa): void {
  const conn = sa.conn;
  if (conn === undefined) throw new Error('initiator without connection');
  const offered = phase1Choices(conn, lifetimeOf(sa));
  sa.p1.offered = offered;
  if (offered.length === 0) {
    v1Fail(sa, 'config', 'Main Mode', `connection ${conn.name} has no proposal usable with IKEv1 (AES-CBC/3DES with SHA1/SHA2 and a DH group)`, {});
    sa.destroy('no IKEv1 proposal');
    return;
  }
  const saPayload: SaPayload = {
    type: V1Payload.SA, doi: Doi.IPSEC, situation: new Uint8Array([0, 0, 0, Situation.SIT_IDENTITY_ONLY]),
    proposals: [{ number: 1, protocolId: V1Protocol.ISAKMP, spi: new Uint8Array(0), transforms: offered.map((c, i) => p1Transform(c, i + 1)) }],
  };
  sa.material.saiB = encodeV1PayloadBody(saPayload);
  sa.send(MM, 0, [saPayload, ...vendorIds()], { encrypt: false, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
}

/** Responder, MM1 -> MM2. Returns false (and reports) when no transform is acceptable. */
export function answerMainMode1(sa: V1Sa, entries: readonly PayloadEntry[]): boolean {
  const found = findV1Entry(entries, V1Payload.SA);
  const offered = found?.payload;
  if (found === undefined || offered === undefined || offered.doi !== Doi.IPSEC) {
    sa.ctx.counters.inc('v1.rx.drop.mm1');
    return false;
  }
  const conn = sa.candidates[0];
  if (conn === undefined) return false;
  sa.conn = conn;
  const ours = phase1Choices(conn, lifetimeOf(sa));
  const sel = selectPhase1(offered.proposals, ours);
  if (!sel.ok) {
    v1Fail(sa, 'proposal', 'Main Mode', 'no acceptable phase 1 transform (NO_PROPOSAL_CHOSEN)', { offered: sel.offered, configured: sel.configured });
    sendPhase1Notify(sa, V1Notify.NO_PROPOSAL_CHOSEN);
    return false;
  }
  const mine = lifetimeOf(sa);
  // Lifetimes are negotiated (RFC 2409 §4.5): we accept the initiator's transform unchanged and apply the shorter one.
  const life = sel.choice.lifeSeconds > 0 && mine > 0 ? Math.min(sel.choice.lifeSeconds, mine) : Math.max(sel.choice.lifeSeconds, mine);
  sa.p1.choice = { ...sel.choice, lifeSeconds: life };
  adoptChoice(sa, sa.p1.choice);
  sa.material.saiB = found.entry.body.slice();
  readVids(sa, entries);
  const reply: SaPayload = { ...offered, proposals: [{ ...(offered.proposals.find((p) => p.transforms.includes(sel.transform)) ?? offered.proposals[0] ?? { number: 1, protocolId: 1, spi: new Uint8Array(0), transforms: [] }), transforms: [sel.transform] }] };
  sa.send(MM, 0, [reply, ...(sa.natt ? vendorIds() : [{ type: V1Payload.VID, data: VID_DPD }])], { encrypt: false, awaitReply: true, onTimeout: onPhase1Timeout(sa) });
  return true;
}

/** Handles a decoded (and, for MM5/MM6, decrypted) Main Mode message. */
export function handleMainMode(sa: V1Sa, entries: readonly PayloadEntry[], rawIn: Uint8Array): void {
  const ctx = sa.ctx;
  switch (sa.state) {
    case 'mm-sa-sent': {
      if (!sa.initiator) return mm3Responder(sa, entries);
      // MM2: exactly one transform, which must be one we offered (RFC 2408 §5.5)
      const s = findV1(entries, V1Payload.SA);
      const t = s?.proposals.length === 1 && s.proposals[0]?.transforms.length === 1 ? s.proposals[0].transforms[0] : undefined;
      const c = t === undefined ? undefined : parseP1Transform(t);
      const ours = c === undefined ? undefined : sa.p1.offered.find((o) => o.encrId === c.encrId && o.keyBits === c.keyBits && o.hash === c.hash && o.group === c.group && o.auth === c.auth);
      if (c === undefined || ours === undefined) {
        v1Fail(sa, 'proposal', 'Main Mode', 'responder chose a transform we did not offer', {});
        sa.destroy('bad MM2');
        return;
      }
      sa.replied(0);
      sa.p1.choice = { ...ours, lifeSeconds: c.lifeSeconds || ours.lifeSeconds };
      adoptChoice(sa, sa.p1.choice);
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
      if (!deriveOrFail(sa, conn)) return;
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
      establish(sa, rawIn);
      return;
    }
    default:
      ctx.counters.inc('v1.rx.drop.state');
  }
}

function deriveOrFail(sa: V1Sa, conn: NonNullable<V1Sa['conn']>): boolean {
  const psk = sa.p1.psk ?? pskFor(sa.ctx, conn, sa.local.address);
  if (psk === undefined) {
    v1Fail(sa, 'auth', 'Main Mode', `no pre-shared key for connection ${conn.name}`, {});
    sa.destroy('no PSK');
    return false;
  }
  sa.p1.psk = psk;
  const ke = sa.p1.ke;
  const choice = sa.p1.choice;
  if (ke === undefined || choice === undefined) return false;
  let gxy: Uint8Array;
  try {
    gxy = ke.computeSharedSecret(sa.initiator ? sa.material.gxr : sa.material.gxi);
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    v1Fail(sa, 'ke', 'Main Mode', `invalid KE payload: ${e.message}`, {});
    sa.destroy('invalid KE');
    return false;
  }
  derivePhase1(sa, choice, psk, gxy);
  gxy.fill(0);
  return true;
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
  if (!deriveOrFail(sa, conn)) return;
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
  const id = idPayload(localIdentity(conn, sa.local.address));
  sa.localIdText = idToString(id.idType, id.data);
  const hashR = authHash(sa, 'R', encodeV1PayloadBody(id));
  const chain = encodeV1Chain([id, { type: V1Payload.HASH, data: hashR }]);
  const bytes = sa.seal(MM, 0, chain.firstType, chain.bytes);
  sa.sendBytes(0, bytes, false);
  establish(sa, bytes);
}

/** Checks HASH_I/HASH_R (constant time) and the peer's identity against the connection. */
function verifyPeer(sa: V1Sa, who: 'I' | 'R', idEntry: { entry: PayloadEntry; payload: IdPayload }, received: Uint8Array): boolean {
  const id = idEntry.payload;
  const text = idToString(id.idType, id.data);
  sa.remoteIdText = text;
  const expected = authHash(sa, who, idEntry.entry.body);
  if (!hashEqual(expected, received)) {
    // RFC 2409 §5.4: a wrong HASH means a different pre-shared key
    v1Fail(sa, 'auth', 'Main Mode', `HASH_${who} from ${text} does not verify (pre-shared key mismatch?)`, { id: text });
    sa.destroy('authentication failed');
    return false;
  }
  const spec = sa.conn?.remote[0]?.id;
  if (matchIdentity(spec, { type: id.idType, data: id.data }) === IdMatch.NONE) {
    v1Fail(sa, 'auth', 'Main Mode', `peer identity ${text} is not ${spec?.text ?? '%any'}`, { id: text });
    sa.destroy('identity mismatch');
    return false;
  }
  return true;
}

/** Phase 1 done: remember the last CBC block (seed of phase 2 IVs) and start the lifetime. */
function establish(sa: V1Sa, lastMessage: Uint8Array): void {
  const bs = sa.cipher?.blockSize ?? 16;
  sa.phase1LastBlock = lastMessage.slice(lastMessage.length - bs);
  sa.p1.ke = undefined;
  sa.establishedAtMs = sa.ctx.clock.nowMs();
  sa.establishedAtWall = sa.ctx.wallClock.nowEpochMs();
  sa.transition('established');
  sa.ctx.counters.inc('v1.ike.established');
  sa.ctx.log('info', 'v1.ike.established', { ...sa.logFields, localId: sa.localIdText, remoteId: sa.remoteIdText, alg: sa.algorithms, natLocal: sa.natLocal, natRemote: sa.natRemote, lifetime: sa.lifeSeconds });
}
