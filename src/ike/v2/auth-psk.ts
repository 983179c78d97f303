/**
 * Pre-shared key authentication (RFC 7296 §2.15):
 *
 *   AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <InitiatorSignedOctets> )
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, IDi')
 *   ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, IDr')
 *
 * IDx' is the ID payload without its generic header: ID Type | RESERVED | data.
 * Local and remote authentication are separate steps so each direction
 * uses its own method (auth-round.ts; signatures in auth-sig.ts).
 */
import { pskAuthData, signedOctets, verifyPskAuth as verifyPskAuthData } from '../../crypto/auth.js';
import type { IdentitySpec } from '../../config/model.js';
import { PayloadType } from '../../iana/ikev2.js';
import { findPsk } from '../../policy/peers.js';
import { concatBytes } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import type { IdPayload } from '../../wire/ikev2/types.js';
import type { IkeSa } from '../ike-sa.js';

export interface Identity {
  readonly type: number;
  readonly data: Uint8Array;
}

export function idBody(id: IdPayload): Uint8Array {
  return concatBytes(new Uint8Array([id.idType]), id.reserved, id.data);
}

export function idPayload(type: 35 | 36, id: Identity): IdPayload {
  return { type, critical: false, idType: id.type, reserved: new Uint8Array(3), data: id.data };
}

/** The PSK for this pair of identities, or undefined (never logged). */
export function lookupPsk(sa: IkeSa, local: Identity, remote: Identity | undefined): Uint8Array | undefined {
  return findPsk(sa.ctx.config.secrets, local, remote);
}

/**
 * The octets an AUTH covers (§2.15): the IKE_SA_INIT message its signer sent,
 * the other side's nonce and prf(SK_px, IDx') for the signer's ID payload.
 * Signatures sign these directly; PSK AUTH runs them through the padded-key
 * prf. Undefined before keys exist.
 */
function octetsSignedBy(sa: IkeSa, signerIsInitiator: boolean, id: IdPayload): Uint8Array | undefined {
  const prf = sa.prf;
  const keys = sa.keys;
  if (prf === undefined || keys === undefined) return undefined;
  return signedOctets(
    signerIsInitiator ? sa.initRequest : sa.initResponse,
    signerIsInitiator ? sa.nr : sa.ni,
    prf,
    signerIsInitiator ? keys.skPi : keys.skPr,
    idBody(id),
  );
}

/** The octets our AUTH covers. */
export function ourSignedOctets(sa: IkeSa, ourId: IdPayload): Uint8Array {
  const octets = octetsSignedBy(sa, sa.isOriginalInitiator, ourId);
  if (octets === undefined) throw new KeywayError('IKE_NO_KEYS', 'no keys for AUTH');
  return octets;
}

/** The octets the peer's AUTH covers, or undefined before keys exist. */
export function peerSignedOctets(sa: IkeSa, peerId: IdPayload): Uint8Array | undefined {
  return octetsSignedBy(sa, !sa.isOriginalInitiator, peerId);
}

/** Our AUTH data for method 2 (Shared Key Message Integrity Code). */
export function computePskAuth(sa: IkeSa, psk: Uint8Array, ourId: IdPayload): Uint8Array {
  const prf = sa.prf;
  if (prf === undefined) throw new KeywayError('IKE_NO_KEYS', 'no keys for AUTH');
  return pskAuthData(prf, psk, ourSignedOctets(sa, ourId));
}

/** Verifies the peer's AUTH data in constant time. */
export function verifyPskAuth(sa: IkeSa, psk: Uint8Array, peerId: IdPayload, authData: Uint8Array): boolean {
  const prf = sa.prf;
  const octets = peerSignedOctets(sa, peerId);
  if (prf === undefined || octets === undefined) return false;
  return verifyPskAuthData(prf, psk, octets, authData);
}

/** The local identity: configured id, else our IP address (like strongSwan). */
export function localIdentity(spec: IdentitySpec | undefined, address: string, addressBytes: (a: string) => Uint8Array): Identity {
  if (spec !== undefined && !spec.any) return { type: spec.type, data: spec.data };
  const data = addressBytes(address);
  // RFC 7296 §3.5: ID_IPV4_ADDR = 1, ID_IPV6_ADDR = 5
  return { type: data.length === 4 ? 1 : 5, data };
}

export const ID_PAYLOAD = { I: PayloadType.IDi, R: PayloadType.IDr } as const;
