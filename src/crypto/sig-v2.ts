/**
 * IKEv2 signature authentication primitives (RFC 7296 §2.15/§3.8, RFC 7427,
 * RFC 4754, RFC 8420). The caller hands in the signed octets; nothing here
 * knows about IKE SAs.
 *
 * Method 14 (Digital Signature, RFC 7427 §3) AUTH data:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | ASN.1 Length  | AlgorithmIdentifier ASN.1 object (DER)        ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   ~                         Signature Value                       ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Classic methods: 1 = RSASSA-PKCS1-v1_5 with SHA-1 (RFC 7296 §3.8), 9/10/11 =
 * ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512 with r||s (RFC 4754 §7).
 * Ed25519 signs the octets themselves ("identity" hash, RFC 8420 §2).
 */
import { constants, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { concatBytes } from '../util/bytes.js';
import { CryptoError } from '../util/errors.js';

/** RFC 7427 §7: IANA "IKEv2 Hash Algorithms" (SIGNATURE_HASH_ALGORITHMS values). */
export const SigHash = { SHA1: 1, SHA2_256: 2, SHA2_384: 3, SHA2_512: 4, IDENTITY: 5 } as const;

export type Sha2 = 'sha256' | 'sha384' | 'sha512';
/** How one AUTH signature is made; `-p1363` = r||s for the classic ECDSA methods. */
export type V2SignatureScheme =
  | `rsa-pss-${Sha2}`
  | `rsa-pkcs1-${Sha2 | 'sha1'}`
  | `ecdsa-${Sha2}`
  | `ecdsa-${Sha2}-p1363`
  | 'ed25519';

/** What a key can do, as far as choosing a scheme goes. */
export type KeyFamily = 'rsa' | 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519';

const HASH_LEN: Readonly<Record<Sha2, number>> = { sha256: 32, sha384: 48, sha512: 64 };
export const SHA2_OF_ID: Readonly<Record<number, Sha2>> = { 2: 'sha256', 3: 'sha384', 4: 'sha512' };
export const SIG_HASH_OF: Readonly<Record<Sha2, number>> = { sha256: SigHash.SHA2_256, sha384: SigHash.SHA2_384, sha512: SigHash.SHA2_512 };

// ---- DER (only what the AlgorithmIdentifiers of RFC 7427 Appendix A need) ----

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function tlv(tag: number, body: Uint8Array): Uint8Array {
  // all our objects are < 128 bytes: short-form length (X.690 §8.1.3.4)
  return concatBytes(new Uint8Array([tag, body.length]), body);
}
const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, concatBytes(...parts));

const OID = {
  rsaPss: hex('2a864886f70d01010a'), // 1.2.840.113549.1.1.10
  mgf1: hex('2a864886f70d010108'), // 1.2.840.113549.1.1.8
  sha1Rsa: hex('2a864886f70d010105'),
  sha256Rsa: hex('2a864886f70d01010b'),
  sha384Rsa: hex('2a864886f70d01010c'),
  sha512Rsa: hex('2a864886f70d01010d'),
  ecdsaSha256: hex('2a8648ce3d040302'), // RFC 5758 §3.2
  ecdsaSha384: hex('2a8648ce3d040303'),
  ecdsaSha512: hex('2a8648ce3d040304'),
  ed25519: hex('2b6570'), // RFC 8410 §3
  sha256: hex('608648016503040201'),
  sha384: hex('608648016503040202'),
  sha512: hex('608648016503040203'),
} as const;
const NULL = new Uint8Array([0x05, 0x00]);
const oid = (o: Uint8Array): Uint8Array => tlv(0x06, o);
/** AlgorithmIdentifier with NULL parameters (RFC 4055 §2.1 for the SHA-2 ids, RFC 8017 A.2.4 for sha*WithRSA). */
const algNull = (o: Uint8Array): Uint8Array => seq(oid(o), NULL);

/**
 * RSASSA-PSS-params (RFC 4055 §3.1) with MGF1 over the same hash and
 * salt = hash length (RFC 7427 A.4.3 is this object for SHA-256).
 */
function pssAlgId(h: Sha2): Uint8Array {
  const hashId = algNull(OID[h]);
  return seq(oid(OID.rsaPss), seq(tlv(0xa0, hashId), tlv(0xa1, seq(oid(OID.mgf1), hashId)), tlv(0xa2, tlv(0x02, new Uint8Array([HASH_LEN[h]])))));
}

/** The AlgorithmIdentifier a method 14 AUTH carries for `scheme` (RFC 7427 §3, Appendix A). */
export function algorithmIdentifier(scheme: V2SignatureScheme): Uint8Array {
  switch (scheme) {
    case 'rsa-pss-sha256': case 'rsa-pss-sha384': case 'rsa-pss-sha512':
      return pssAlgId(scheme.slice(8) as Sha2);
    case 'rsa-pkcs1-sha1': return algNull(OID.sha1Rsa);
    case 'rsa-pkcs1-sha256': return algNull(OID.sha256Rsa);
    case 'rsa-pkcs1-sha384': return algNull(OID.sha384Rsa);
    case 'rsa-pkcs1-sha512': return algNull(OID.sha512Rsa);
    // RFC 5758 §3.2: ecdsa-with-SHA* have absent parameters
    case 'ecdsa-sha256': return seq(oid(OID.ecdsaSha256));
    case 'ecdsa-sha384': return seq(oid(OID.ecdsaSha384));
    case 'ecdsa-sha512': return seq(oid(OID.ecdsaSha512));
    case 'ed25519': return seq(oid(OID.ed25519));
    default:
      throw new CryptoError('IKE_ERR_SIG_SCHEME', `${scheme} has no method 14 AlgorithmIdentifier`);
  }
}

interface Tlv { readonly tag: number; readonly body: Uint8Array; readonly end: number }

/** One DER TLV at `at`, bounds-checked (definite lengths up to 2 bytes: our objects are small). */
function readTlv(b: Uint8Array, at: number): Tlv | undefined {
  const tag = b[at];
  let len = b[at + 1];
  if (tag === undefined || len === undefined) return undefined;
  let start = at + 2;
  if (len >= 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 2 || start + n > b.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | (b[start + i] ?? 0);
    start += n;
  }
  if (start + len > b.length) return undefined;
  return { tag, body: b.subarray(start, start + len), end: start + len };
}

/** The elements of a constructed body; undefined when it does not parse exactly. */
function children(body: Uint8Array, max = 8): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let at = 0; at < body.length;) {
    const t = readTlv(body, at);
    if (t === undefined || out.length >= max) return undefined;
    out.push(t);
    at = t.end;
  }
  return out;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** A hash AlgorithmIdentifier (parameters NULL or absent, RFC 4055 §2.1). */
function hashOf(algId: Tlv | undefined): Sha2 | undefined {
  if (algId?.tag !== 0x30) return undefined;
  const [o, p, extra] = children(algId.body) ?? [];
  if (o?.tag !== 0x06 || extra !== undefined || (p !== undefined && (p.tag !== 0x05 || p.body.length !== 0))) return undefined;
  return (['sha256', 'sha384', 'sha512'] as const).find((h) => same(o.body, OID[h]));
}

export interface ParsedAlgorithm {
  readonly scheme: V2SignatureScheme;
  /** RSASSA-PSS only: the salt length the signer announced */
  readonly saltLength?: number;
}

/** RSASSA-PSS-params: hash and MGF1 hash must be the same SHA-2 (Node's MGF1 follows the hash); trailer 1. */
function parsePss(params: Tlv | undefined): ParsedAlgorithm | undefined {
  if (params?.tag !== 0x30) return undefined; // SHA-1 defaults: not offered by us
  let hash: Sha2 | undefined;
  let mgfHash: Sha2 | undefined;
  let salt = 20;
  const fields = children(params.body);
  if (fields === undefined) return undefined;
  for (const f of fields) {
    const inner = readTlv(f.body, 0);
    if (inner === undefined || inner.end !== f.body.length) return undefined;
    if (f.tag === 0xa0) hash = hashOf(inner);
    else if (f.tag === 0xa1) {
      const [o, h, extra] = inner.tag === 0x30 ? children(inner.body) ?? [] : [];
      if (o?.tag !== 0x06 || !same(o.body, OID.mgf1) || extra !== undefined) return undefined;
      mgfHash = hashOf(h);
    } else if (f.tag === 0xa2) {
      if (inner.tag !== 0x02 || inner.body.length < 1 || inner.body.length > 2 || ((inner.body[0] ?? 0) & 0x80) !== 0) return undefined;
      salt = inner.body.reduce((a, x) => (a << 8) | x, 0);
    } else if (f.tag === 0xa3) {
      if (inner.tag !== 0x02 || !same(inner.body, new Uint8Array([1]))) return undefined;
    } else return undefined;
  }
  if (hash === undefined || mgfHash !== hash) return undefined;
  return { scheme: `rsa-pss-${hash}`, saltLength: salt };
}

/** The scheme a received AlgorithmIdentifier names; undefined if unknown or malformed. */
export function parseAlgorithmIdentifier(der: Uint8Array): ParsedAlgorithm | undefined {
  const top = readTlv(der, 0);
  if (top?.tag !== 0x30 || top.end !== der.length) return undefined;
  const [o, params, extra] = children(top.body) ?? [];
  if (o?.tag !== 0x06 || extra !== undefined) return undefined;
  if (same(o.body, OID.rsaPss)) return parsePss(params);
  const nullOrAbsent = params === undefined || (params.tag === 0x05 && params.body.length === 0);
  if (!nullOrAbsent) return undefined;
  const byOid: readonly [Uint8Array, V2SignatureScheme][] = [
    [OID.sha1Rsa, 'rsa-pkcs1-sha1'], [OID.sha256Rsa, 'rsa-pkcs1-sha256'], [OID.sha384Rsa, 'rsa-pkcs1-sha384'],
    [OID.sha512Rsa, 'rsa-pkcs1-sha512'], [OID.ecdsaSha256, 'ecdsa-sha256'], [OID.ecdsaSha384, 'ecdsa-sha384'],
    [OID.ecdsaSha512, 'ecdsa-sha512'], [OID.ed25519, 'ed25519'],
  ];
  const hit = byOid.find(([id]) => same(o.body, id));
  // RFC 8410 §3: the Ed25519 identifier has absent parameters
  if (hit === undefined || (hit[1] === 'ed25519' && params !== undefined)) return undefined;
  return { scheme: hit[1] };
}

/** Method 14 AUTH data: length | AlgorithmIdentifier | signature (RFC 7427 §3). */
export function encodeAuth14(scheme: V2SignatureScheme, signature: Uint8Array): Uint8Array {
  const alg = algorithmIdentifier(scheme);
  return concatBytes(new Uint8Array([alg.length]), alg, signature);
}

/** Splits method 14 AUTH data; undefined when the length byte overruns or the algorithm is unknown. */
export function decodeAuth14(data: Uint8Array): { readonly alg: ParsedAlgorithm; readonly signature: Uint8Array } | undefined {
  const len = data[0];
  if (len === undefined || len === 0 || 1 + len >= data.length) return undefined;
  const alg = parseAlgorithmIdentifier(data.subarray(1, 1 + len));
  return alg === undefined ? undefined : { alg, signature: data.subarray(1 + len) };
}

// ---- keys, signing, verification ----

/**
 * Parsed keys by their DER bytes object: the config keeps the same Uint8Array
 * for as long as it is loaded, and DER parsing costs 70-230 µs
 * (NODE-CRYPTO.md trap 3). WeakMap entries go with their config.
 */
const privCache = new WeakMap<Uint8Array, KeyObject>();
const pubCache = new WeakMap<Uint8Array, KeyObject>();

export function privateKeyOf(pkcs8Der: Uint8Array): KeyObject {
  let k = privCache.get(pkcs8Der);
  if (k === undefined) {
    try {
      k = createPrivateKey({ key: Buffer.from(pkcs8Der), format: 'der', type: 'pkcs8' });
    } catch {
      throw new CryptoError('IKE_ERR_KEY_FORMAT', 'private key is not valid PKCS#8 DER');
    }
    privCache.set(pkcs8Der, k);
  }
  return k;
}

function publicKeyOf(spkiDer: Uint8Array): KeyObject | undefined {
  let k = pubCache.get(spkiDer);
  if (k === undefined) {
    try {
      k = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
    } catch {
      return undefined;
    }
    pubCache.set(spkiDer, k);
  }
  return k;
}

const CURVES: Readonly<Record<string, KeyFamily>> = { prime256v1: 'ecdsa-p256', secp384r1: 'ecdsa-p384', secp521r1: 'ecdsa-p521' };

/** The key's family, or undefined for keys IKEv2 signing does not support here (DSA, brainpool, Ed448). */
export function keyFamily(k: KeyObject): KeyFamily | undefined {
  switch (k.asymmetricKeyType) {
    case 'rsa': return 'rsa';
    case 'ed25519': return 'ed25519';
    case 'ec': return CURVES[k.asymmetricKeyDetails?.namedCurve ?? ''];
    default: return undefined;
  }
}

/** Which key family a scheme needs (a scheme never works across families). */
function familyOk(scheme: V2SignatureScheme, f: KeyFamily | undefined): boolean {
  if (scheme.startsWith('rsa-')) return f === 'rsa';
  if (scheme === 'ed25519') return f === 'ed25519';
  if (!scheme.endsWith('-p1363')) return f?.startsWith('ecdsa-') === true;
  // RFC 4754: methods 9/10/11 tie the hash to the curve
  return (scheme === 'ecdsa-sha256-p1363' && f === 'ecdsa-p256') || (scheme === 'ecdsa-sha384-p1363' && f === 'ecdsa-p384') || (scheme === 'ecdsa-sha512-p1363' && f === 'ecdsa-p521');
}

/** Node's key input for sign() and verify() alike. */
interface KeyInput {
  readonly key: KeyObject;
  readonly padding?: number;
  readonly saltLength?: number;
  readonly dsaEncoding?: 'der' | 'ieee-p1363';
}

function nodeArgs(scheme: V2SignatureScheme, key: KeyObject, saltLength?: number): { alg: string | null; key: KeyInput } {
  if (scheme === 'ed25519') return { alg: null, key: { key } };
  if (scheme.startsWith('rsa-')) {
    const [, kind, h = ''] = scheme.split('-');
    const padding = kind === 'pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
    // RFC 7427 / RFC 8247: salt = hash length on signing; verification takes what the AlgorithmIdentifier says
    const salt = saltLength ?? HASH_LEN[h as Sha2];
    return { alg: h, key: kind === 'pss' ? { key, padding, saltLength: salt } : { key, padding } };
  }
  const hash = scheme.split('-')[1] ?? '';
  return { alg: hash, key: { key, dsaEncoding: scheme.endsWith('-p1363') ? 'ieee-p1363' : 'der' } };
}

/** Signs the AUTH octets with a PKCS#8 DER key. Throws CryptoError when key and scheme do not fit. */
export function signV2(scheme: V2SignatureScheme, pkcs8Der: Uint8Array, data: Uint8Array): Uint8Array {
  const key = privateKeyOf(pkcs8Der);
  if (!familyOk(scheme, keyFamily(key))) throw new CryptoError('IKE_ERR_KEY_TYPE', `a ${key.asymmetricKeyType ?? 'unknown'} key cannot sign ${scheme}`);
  const a = nodeArgs(scheme, key);
  try {
    return new Uint8Array(sign(a.alg, data, a.key));
  } catch {
    throw new CryptoError('IKE_ERR_SIGN', `signing with ${scheme} failed`);
  }
}

/** Verifies a peer's signature with its SubjectPublicKeyInfo DER key. Never throws: false on any mismatch. */
export function verifyV2(scheme: V2SignatureScheme, spkiDer: Uint8Array, data: Uint8Array, signature: Uint8Array, saltLength?: number): boolean {
  const key = publicKeyOf(spkiDer);
  if (key === undefined || !familyOk(scheme, keyFamily(key))) return false;
  if (scheme.startsWith('rsa-') && signature.length !== Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8)) return false;
  try {
    const a = nodeArgs(scheme, key, saltLength);
    return verify(a.alg, data, a.key, signature);
  } catch {
    return false;
  }
}

/** The family of a PKCS#8 DER private key (for choosing a scheme before signing through the Signer port). */
export function privateKeyFamily(pkcs8Der: Uint8Array): KeyFamily | undefined {
  return keyFamily(privateKeyOf(pkcs8Der));
}
