/**
 * Public key AUTH for IKEv2 (RFC 7296 §2.15, RFC 7427, RFC 4754, RFC 8420):
 *
 *   AUTH = Sign(private key, <SignedOctets>)     (no prf, no key pad)
 *
 * Which signature we make: with the peer's N(SIGNATURE_HASH_ALGORITHMS),
 * method 14 with a hash from its list (RSA: RSASSA-PSS, salt = hash length;
 * ECDSA: the curve's own hash first; Ed25519: identity, RFC 8420 §2). Without
 * it (an RFC 7296-only peer) the classic methods: 1 (RSA PKCS#1 v1.5 SHA-1)
 * and 9/10/11 (ECDSA r||s), as strongSwan does; Ed25519 has no classic method
 * and uses method 14 anyway.
 *
 * Which signatures we accept: method 14 with a hash we announced (SHA-2, and
 * identity for Ed25519; RSA as PSS or PKCS#1 v1.5), methods 9/10/11, and
 * method 1 (RSA with SHA-1): strongSwan 5.9 accepts method 1 unless
 * constrained, and RFC 8247 §3.2 still lists it as MUST; its SHA-1 is the
 * peer's weakness to choose. Signatures are public-key checks, not MAC
 * comparisons, so no constant-time compare is involved here.
 */
import type { AuthSpec } from '../../config/model.js';
import { AuthMethod, PayloadType } from '../../iana/ikev2.js';
import {
  SIG_HASH_OF, SigHash, decodeAuth14, encodeAuth14, privateKeyFamily, verifyV2,
  type KeyFamily, type Sha2, type V2SignatureScheme,
} from '../../crypto/sig-v2.js';
import { CryptoError } from '../../util/errors.js';
import type { AuthPayload } from '../../wire/ikev2/types.js';
import type { Identity } from './auth-psk.js';
import { OUR_SIG_HASHES } from './sig-hash-notify.js';

export interface SigChoice {
  readonly method: number;
  readonly scheme: V2SignatureScheme;
}

const CLASSIC: Readonly<Record<KeyFamily, SigChoice>> = {
  rsa: { method: AuthMethod.RSA_SIG, scheme: 'rsa-pkcs1-sha1' },
  'ecdsa-p256': { method: AuthMethod.ECDSA_SHA256_P256, scheme: 'ecdsa-sha256-p1363' },
  'ecdsa-p384': { method: AuthMethod.ECDSA_SHA384_P384, scheme: 'ecdsa-sha384-p1363' },
  'ecdsa-p521': { method: AuthMethod.ECDSA_SHA512_P521, scheme: 'ecdsa-sha512-p1363' },
  ed25519: { method: AuthMethod.DIGITAL_SIGNATURE, scheme: 'ed25519' },
};

const PREFERRED: Readonly<Record<Exclude<KeyFamily, 'ed25519'>, readonly Sha2[]>> = {
  rsa: ['sha256', 'sha384', 'sha512'],
  'ecdsa-p256': ['sha256', 'sha384', 'sha512'],
  'ecdsa-p384': ['sha384', 'sha512', 'sha256'],
  'ecdsa-p521': ['sha512', 'sha384', 'sha256'],
};

/** The AUTH method and signature scheme for our key, given the peer's hash list (undefined: it sent none). */
export function chooseSignature(family: KeyFamily, peerHashes: readonly number[] | undefined): SigChoice | { readonly error: string } {
  if (peerHashes === undefined) return CLASSIC[family];
  if (family === 'ed25519') {
    // RFC 8420 §2: Ed25519 signs the octets themselves, announced as "Identity"
    return peerHashes.includes(SigHash.IDENTITY)
      ? { method: AuthMethod.DIGITAL_SIGNATURE, scheme: 'ed25519' }
      : { error: 'the peer does not accept the identity hash that Ed25519 needs (RFC 8420)' };
  }
  const h = PREFERRED[family].find((x) => peerHashes.includes(SIG_HASH_OF[x]));
  // no common hash: the classic method still works with an RFC 7296 peer
  if (h === undefined) return CLASSIC[family];
  const scheme: V2SignatureScheme = family === 'rsa' ? `rsa-pss-${h}` : `ecdsa-${h}`;
  return { method: AuthMethod.DIGITAL_SIGNATURE, scheme };
}

/** The private key of a local pubkey round (resolved by the config) and how we sign with it. */
export function localSignature(round: AuthSpec | undefined, peerHashes: readonly number[] | undefined): { readonly file: string; readonly choice: SigChoice } {
  const key = round?.privateKey;
  if (key === undefined) throw new CryptoError('IKE_ERR_NO_KEY', 'local auth = pubkey has no private key');
  const family = privateKeyFamily(key.der);
  if (family === undefined) throw new CryptoError('IKE_ERR_KEY_TYPE', `${key.file} is not an RSA, ECDSA P-256/384/521 or Ed25519 key`);
  const choice = chooseSignature(family, peerHashes);
  if ('error' in choice) throw new CryptoError('IKE_ERR_SIG_HASH', choice.error);
  return { file: key.file, choice };
}

/** Packs a signature as AUTH payload data for the chosen method. */
export function sigAuthPayload(choice: SigChoice, signature: Uint8Array): AuthPayload {
  const data = choice.method === AuthMethod.DIGITAL_SIGNATURE ? encodeAuth14(choice.scheme, signature) : signature;
  return { type: PayloadType.AUTH, critical: false, method: choice.method, data };
}

/** A public key trusted for the peer, and where it came from (a file now; a certificate later). */
export interface TrustedKey {
  readonly source: string;
  readonly spki: Uint8Array;
}

/**
 * The keys trusted for a remote round and the peer's identity. Raw keys
 * only now (swanctl `pubkeys`); certificates will add their chain-validated
 * end-entity key here.
 */
export type TrustedKeys = (round: AuthSpec, peerId: Identity) => readonly TrustedKey[];

export const rawPublicKeys: TrustedKeys = (round) => (round.pubkeys ?? []).map((k) => ({ source: k.file, spki: k.der }));

export type SigCheck =
  | { readonly ok: true; readonly key: string; readonly scheme: V2SignatureScheme }
  | { readonly ok: false; readonly reason: string; readonly tried: readonly string[]; readonly scheme?: V2SignatureScheme };

/** Which scheme a received AUTH uses, or why we do not accept it. */
function receivedScheme(method: number, data: Uint8Array): { scheme: V2SignatureScheme; signature: Uint8Array; saltLength?: number } | string {
  switch (method) {
    case AuthMethod.RSA_SIG: return { scheme: 'rsa-pkcs1-sha1', signature: data };
    case AuthMethod.ECDSA_SHA256_P256: return { scheme: 'ecdsa-sha256-p1363', signature: data };
    case AuthMethod.ECDSA_SHA384_P384: return { scheme: 'ecdsa-sha384-p1363', signature: data };
    case AuthMethod.ECDSA_SHA512_P521: return { scheme: 'ecdsa-sha512-p1363', signature: data };
    case AuthMethod.DIGITAL_SIGNATURE: {
      const d = decodeAuth14(data);
      if (d === undefined) return 'method 14 AUTH with a malformed or unsupported AlgorithmIdentifier';
      const s = d.alg.scheme;
      const hash = s === 'ed25519' ? SigHash.IDENTITY : SIG_HASH_OF[(s.split('-').pop() ?? '') as Sha2];
      // RFC 7427 §4: the signer picks from the hashes we announced
      if (hash === undefined || !OUR_SIG_HASHES.includes(hash)) return `method 14 AUTH signed with ${s}, a hash we did not announce`;
      return { scheme: s, signature: d.signature, ...(d.alg.saltLength === undefined ? {} : { saltLength: d.alg.saltLength }) };
    }
    default:
      return `AUTH method ${method} is not a signature method we support`;
  }
}

/** Verifies the peer's signature AUTH with any of the keys trusted for the round. */
export function verifySigAuth(keys: readonly TrustedKey[], method: number, data: Uint8Array, octets: Uint8Array): SigCheck {
  const tried = keys.map((k) => k.source);
  const r = receivedScheme(method, data);
  if (typeof r === 'string') return { ok: false, reason: r, tried };
  if (keys.length === 0) return { ok: false, reason: 'no public key is configured for the peer (remote pubkeys)', tried, scheme: r.scheme };
  for (const k of keys) {
    if (verifyV2(r.scheme, k.spki, octets, r.signature, r.saltLength)) return { ok: true, key: k.source, scheme: r.scheme };
  }
  return { ok: false, reason: `the ${r.scheme} signature does not verify with the configured public key(s)`, tried, scheme: r.scheme };
}
