/**
 * IKEv1 RSA signatures (RFC 2409 §5.1, auth method 3 = RSA signatures).
 *
 *   SIG_I = RSA-sign(HASH_I)    SIG_R = RSA-sign(HASH_R)
 *
 * §5.1 signs the prf output HASH_I/HASH_R itself, not a digest of it: the
 * de-facto encoding (strongSwan SIGN_RSA_EMSA_PKCS1_NULL, Libreswan, iked)
 * is an RSASSA-PKCS1-v1_5 block without the DigestInfo prefix
 * (RFC 8017 §9.2 step 2 skipped):
 *
 *   EM = 0x00 | 0x01 | 0xFF..0xFF | 0x00 | HASH      (k bytes, k = modulus length)
 *   S  = EM^d mod n
 *
 * which is OpenSSL's RSA_private_encrypt with PKCS#1 padding. Verification
 * recovers EM with the public key and compares the hash in constant time.
 */
import { constants, createPublicKey, privateEncrypt, publicDecrypt, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CryptoError } from '../util/errors.js';
import { privateKeyOf } from './sig-v2.js';

/** The key must be RSA: the IKEv1 auth method says which algorithm the SIG payload holds. */
function rsaKey(k: KeyObject, what: string): KeyObject {
  if (k.asymmetricKeyType !== 'rsa') throw new CryptoError('IKE_ERR_KEY_TYPE', `${what} is ${k.asymmetricKeyType ?? 'unknown'}, not RSA`);
  return k;
}

/** SIG payload data for HASH_I / HASH_R with a PKCS#8 DER private key. */
export function rsaSignV1(pkcs8Der: Uint8Array, hash: Uint8Array): Uint8Array {
  // parsed once per DER object (NODE-CRYPTO.md trap 3: a PKCS#8 import costs 70-230 µs)
  const key = privateKeyOf(pkcs8Der);
  return new Uint8Array(privateEncrypt({ key: rsaKey(key, 'private key'), padding: constants.RSA_PKCS1_PADDING }, hash));
}

/** Checks a peer's SIG against the HASH we computed, with its SubjectPublicKeyInfo DER key. Never throws. */
export function rsaVerifyV1(spkiDer: Uint8Array, hash: Uint8Array, sig: Uint8Array): boolean {
  try {
    const key = rsaKey(createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' }), 'public key');
    // a signature must be exactly one modulus long (RFC 8017 §8.2.2 step 1)
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (sig.length !== Math.ceil(bits / 8)) return false;
    const em = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
    return em.length === hash.length && timingSafeEqual(em, hash);
  } catch {
    // bad padding, wrong key: not a valid signature
    return false;
  }
}
