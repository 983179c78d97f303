/**
 * Pieces shared by Main Mode and Aggressive Mode (RFC 2409 §5, §5.4) with
 * the NAT-T additions of RFC 3947: vendor IDs, NAT-D, the float to 4500,
 * KE/nonce generation, SKEYID derivation (PSK or signatures), peer HASH checks and
 * the hand-over to the established state.
 */
import { createKeyExchange } from '../../crypto/ke/index.js';
import { hashEqual } from '../../crypto/keymat-v1.js';
import { P1Auth, V1Payload } from '../../iana/ikev1.js';
import type { ConnectionConfig } from '../../config/model.js';
import { idToString, IdMatch, matchIdentity, type IdLike } from '../../policy/ids.js';
import { bytesEqual } from '../../util/bytes.js';
import { CryptoError } from '../../util/errors.js';
import { allV1 } from '../../wire/ikev1/chain.js';
import type { IdPayload, IsakmpPayload, PayloadEntry } from '../../wire/ikev1/types.js';
import type { Endpoint } from '../ports.js';
import { idPayload, localIdentity, pskFor } from './identity.js';
import { detectNat, natdHashV1, VID_DPD, VID_RFC3947 } from './natt.js';
import { authHash, derivePhase1 } from './phase1-keys.js';
import { v1Fail } from './report.js';
import type { V1Sa } from './v1-sa.js';

const NONCE_LENGTH = 32;

/**
 * Phase 1 authenticated with RSA signatures (RFC 2409 §5.1) rather than a
 * pre-shared key: the chosen transform says so, or before one is chosen the
 * transforms offered (an Aggressive Mode responder selects its connection by
 * the identity in AM1, among those of the method the initiator asks for).
 */
export function usesSignatures(sa: V1Sa): boolean {
  return (sa.p1.choice ?? sa.p1.offered[0])?.auth === P1Auth.RSA_SIGNATURES;
}

/** Display name of the phase 1 exchange in failure records. */
export function modeName(sa: V1Sa): string {
  return sa.mode === 'aggressive' ? 'Aggressive Mode' : 'Main Mode';
}

export function lifetimeOf(sa: V1Sa): number {
  const c = sa.conn;
  if (c === undefined) return 0;
  // strongSwan offers the IKE SA's hard lifetime: rekey (or reauth) time plus over_time
  const base = Math.max(c.rekeyTime, c.reauthTime);
  return base > 0 ? base + c.overTime : 0;
}

export function vendorIds(): IsakmpPayload[] {
  return [{ type: V1Payload.VID, data: VID_RFC3947 }, { type: V1Payload.VID, data: VID_DPD }];
}

export function readVids(sa: V1Sa, entries: readonly PayloadEntry[]): void {
  for (const v of allV1(entries, V1Payload.VID)) {
    if (bytesEqual(v.data, VID_RFC3947)) sa.natt = true;
    if (bytesEqual(v.data, VID_DPD)) sa.dpd = true;
  }
}

function forceEncap(sa: V1Sa): boolean {
  return sa.conn?.encap === true || sa.ctx.dataplane.requiresUdpEncap === true;
}

/**
 * RFC 3947 §3.2: NAT-D of the destination first, then our own. `at` names the
 * endpoints the hashes describe (Aggressive Mode's third message describes
 * the ports of the first two, even after the float to 4500).
 */
export function natdPayloads(sa: V1Sa, at: { local: Endpoint; remote: Endpoint } = sa): IsakmpPayload[] {
  if (!sa.natt || sa.hash === undefined) return [];
  // With forced encapsulation we send a hash nobody can match, like strongSwan, so both sides see a "NAT".
  const own = forceEncap(sa) ? sa.ctx.rng.bytes(sa.hash.outputLength) : natdHashV1(sa.hash, sa.spiI, sa.spiR, at.local);
  return [{ type: V1Payload.NAT_D, data: natdHashV1(sa.hash, sa.spiI, sa.spiR, at.remote) }, { type: V1Payload.NAT_D, data: own }];
}

export function applyNat(sa: V1Sa, entries: readonly PayloadEntry[], at: { local: Endpoint; remote: Endpoint } = sa): void {
  const hashes = allV1(entries, V1Payload.NAT_D).map((p) => p.data);
  if (!sa.natt || sa.hash === undefined || hashes.length === 0) return;
  const r = detectNat(sa.hash, sa.spiI, sa.spiR, hashes, at.local, at.remote, forceEncap(sa));
  sa.natLocal = r.natLocal;
  sa.natRemote = r.natRemote;
  if (r.natLocal || r.natRemote) sa.ctx.log('info', 'v1.nat.detected', { ...sa.logFields, natLocal: r.natLocal, natRemote: r.natRemote });
}

/** RFC 3947 §4: the initiator floats to 4500 (MM5 / AM3) once a NAT is detected. */
export function floatPorts(sa: V1Sa): void {
  const nat = sa.ctx.config.daemon.natPort;
  if (!(sa.natLocal || sa.natRemote) || sa.local.port === nat) return;
  sa.local = { address: sa.local.address, port: nat };
  sa.remote = { address: sa.remote.address, port: 4500 };
}

export function onPhase1Timeout(sa: V1Sa): (reason: string) => void {
  return (reason) => {
    v1Fail(sa, 'timeout', modeName(sa), reason, {});
    sa.destroy(reason);
  };
}

/** Our KE and nonce payloads for `group`, remembered in the SA's phase 1 material. */
export function keAndNonce(sa: V1Sa, group: number): IsakmpPayload[] {
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

/** g^xy, SKEYID and the ISAKMP SA cipher; reports and destroys the SA on failure. */
export function deriveOrFail(sa: V1Sa): boolean {
  const conn = sa.conn;
  const ke = sa.p1.ke;
  const choice = sa.p1.choice;
  if (ke === undefined || choice === undefined) return false;
  const sig = usesSignatures(sa);
  const psk = sig ? undefined : sa.p1.psk ?? (conn === undefined ? undefined : pskFor(sa.ctx, conn, sa.local.address));
  if (!sig && psk === undefined) {
    v1Fail(sa, 'auth', modeName(sa), `no pre-shared key for connection ${conn?.name ?? '(none)'}`, {});
    sa.destroy('no PSK');
    return false;
  }
  // our own copy: the SA wipes it when destroyed, the configured secret must stay
  if (psk !== undefined && sa.p1.psk === undefined) sa.p1.psk = psk.slice();
  let gxy: Uint8Array;
  try {
    gxy = ke.computeSharedSecret(sa.initiator ? sa.material.gxr : sa.material.gxi);
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    v1Fail(sa, 'ke', modeName(sa), `invalid KE payload: ${e.message}`, {});
    sa.destroy('invalid KE');
    return false;
  }
  derivePhase1(sa, choice, sig ? undefined : sa.p1.psk, gxy);
  gxy.fill(0);
  return true;
}

/** Our ID payload for `conn` (its body enters HASH_I / HASH_R); remembered as the SA's local identity text. */
export function ourIdPayload(sa: V1Sa, conn: ConnectionConfig): IdPayload {
  const id = idPayload(localIdentity(conn, sa.local.address));
  sa.localIdText = idToString(id.idType, id.data);
  return id;
}

/** The initiator's check of the responder's identity against the connection's remote id; reports and destroys the SA on mismatch. */
export function peerIdentityMatches(sa: V1Sa, peer: IdLike): boolean {
  const spec = sa.conn?.remote[0]?.id;
  if (matchIdentity(spec, peer) !== IdMatch.NONE) return true;
  v1Fail(sa, 'auth', modeName(sa), `peer identity ${sa.remoteIdText} is not ${spec?.text ?? '%any'}`, { id: sa.remoteIdText, refused: 'identity' });
  sa.destroy('identity mismatch');
  return false;
}

/**
 * Checks the peer's HASH_I / HASH_R (constant time) over its ID payload body
 * (RFC 2409 §5); a wrong HASH means a different pre-shared key (§5.4).
 */
export function verifyPeerHash(sa: V1Sa, who: 'I' | 'R', id: IdPayload | undefined, idBody: Uint8Array, received: Uint8Array): boolean {
  if (id !== undefined) sa.remoteIdText = idToString(id.idType, id.data);
  const text = sa.remoteIdText;
  if (!hashEqual(authHash(sa, who, idBody), received)) {
    v1Fail(sa, 'auth', modeName(sa), `HASH_${who} from ${text} does not verify (pre-shared key mismatch?)`, { id: text });
    sa.destroy('authentication failed');
    return false;
  }
  return true;
}

/**
 * Phase 1 done. The seed of phase 2 IVs is "the last phase 1 CBC output
 * block" (RFC 2409 App. B): the exchange's current IV, i.e. the last
 * ciphertext block sent or received with message ID 0 (or the initial
 * hash(g^xi | g^xr) if nothing was encrypted, as with a clear AM3).
 */
export function establish(sa: V1Sa): void {
  sa.phase1LastBlock = sa.ivs?.current(0).slice();
  sa.p1.ke = undefined;
  sa.establishedAtMs = sa.ctx.clock.nowMs();
  sa.establishedAtWall = sa.ctx.wallClock.nowEpochMs();
  sa.transition('established');
  sa.ctx.counters.inc('v1.ike.established');
  sa.ctx.log('info', 'v1.ike.established', { ...sa.logFields, mode: sa.mode, localId: sa.localIdText, remoteId: sa.remoteIdText, alg: sa.algorithms, natLocal: sa.natLocal, natRemote: sa.natRemote, lifetime: sa.lifeSeconds });
}
