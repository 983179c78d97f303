/**
 * IKEv2 AUTH payload computations for shared keys (RFC 7296 §2.15).
 *
 *   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
 *   MACedIDForI           = prf(SK_pi, RestOfInitIDPayload)
 *   ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
 *   MACedIDForR           = prf(SK_pr, RestOfRespIDPayload)
 *   AUTH (shared key)     = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 *
 * RestOf...IDPayload is the ID payload without its 4-byte generic header
 * (ID type, 3 reserved bytes, identification data).
 */
import { timingSafeEqual } from 'node:crypto';
import { concatBytes } from '../util/bytes.js';
import type { Prf } from './prf.js';

/** RFC 7296 §2.15: the 17 ASCII bytes, no NUL terminator. */
const KEY_PAD = new TextEncoder().encode('Key Pad for IKEv2');

export function signedOctets(
  realMessage: Uint8Array,
  peerNonce: Uint8Array,
  prf: Prf,
  skP: Uint8Array,
  idPayloadBody: Uint8Array,
): Uint8Array {
  return concatBytes(realMessage, peerNonce, prf.compute(skP, idPayloadBody));
}

/**
 * prf(Shared Secret, "Key Pad for IKEv2") depends only on the PSK and the
 * PRF: computed once per configured secret (the config keeps the PSK object
 * for as long as it is loaded, and this derived key lives no longer: a
 * WeakMap entry goes with its PSK).
 */
const padded = new WeakMap<Uint8Array, Map<number, Uint8Array>>();

function keyPadKey(prf: Prf, psk: Uint8Array): Uint8Array {
  let m = padded.get(psk);
  if (m === undefined) {
    m = new Map();
    padded.set(psk, m);
  }
  let k = m.get(prf.id);
  if (k === undefined) {
    k = prf.compute(psk, KEY_PAD);
    m.set(prf.id, k);
  }
  return k;
}

/** AUTH data for method 2 (Shared Key Message Integrity Code). */
export function pskAuthData(prf: Prf, psk: Uint8Array, octets: Uint8Array): Uint8Array {
  return prf.compute(keyPadKey(prf, psk), octets);
}

/** Verifies a received PSK AUTH value in constant time (lengths are public). */
export function verifyPskAuth(prf: Prf, psk: Uint8Array, octets: Uint8Array, received: Uint8Array): boolean {
  const expect = pskAuthData(prf, psk, octets);
  if (expect.length !== received.length) return false;
  return timingSafeEqual(expect, received);
}
