/**
 * IKEv1 key schedule (RFC 2409 §5, §5.5, Appendix B) and the HASH values
 * that authenticate phase 1 and protect phase 2 / informational messages.
 *
 * prf is HMAC with the negotiated hash (RFC 2409 §4: "the HMAC version of
 * the negotiated hash algorithm" when no PRF attribute was negotiated).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { P1Hash } from '../iana/ikev1.js';
import { concatBytes } from '../util/bytes.js';
import { CryptoError } from '../util/errors.js';

export interface V1Hash {
  /** RFC 2409 App. A hash id */
  readonly id: number;
  /** node:crypto name */
  readonly node: string;
  readonly outputLength: number;
  readonly name: string;
}

const HASHES: ReadonlyMap<number, V1Hash> = new Map<number, V1Hash>([
  [P1Hash.MD5, { id: P1Hash.MD5, node: 'md5', outputLength: 16, name: 'MD5' }],
  [P1Hash.SHA, { id: P1Hash.SHA, node: 'sha1', outputLength: 20, name: 'SHA1' }],
  [P1Hash.SHA2_256, { id: P1Hash.SHA2_256, node: 'sha256', outputLength: 32, name: 'SHA2_256' }],
  [P1Hash.SHA2_384, { id: P1Hash.SHA2_384, node: 'sha384', outputLength: 48, name: 'SHA2_384' }],
  [P1Hash.SHA2_512, { id: P1Hash.SHA2_512, node: 'sha512', outputLength: 64, name: 'SHA2_512' }],
]);

export function v1Hash(id: number): V1Hash {
  const h = HASHES.get(id);
  if (h === undefined) throw new CryptoError('IKE_ERR_UNSUPPORTED', `unsupported IKEv1 hash ${id}`);
  return h;
}

export function prfV1(h: V1Hash, key: Uint8Array, ...data: readonly Uint8Array[]): Uint8Array {
  const m = createHmac(h.node, key);
  for (const d of data) m.update(d);
  return new Uint8Array(m.digest());
}

export function hashV1(h: V1Hash, ...data: readonly Uint8Array[]): Uint8Array {
  const m = createHash(h.node);
  for (const d of data) m.update(d);
  return new Uint8Array(m.digest());
}

/** Phase 1 keying material (RFC 2409 §5). */
export interface Skeyids {
  readonly skeyid: Uint8Array;
  /** SKEYID_d: keys non-ISAKMP SAs (Quick Mode KEYMAT) */
  readonly skeyidD: Uint8Array;
  /** SKEYID_a: authenticates ISAKMP messages (HASH(1..3), informational HASH) */
  readonly skeyidA: Uint8Array;
  /** SKEYID_e: the ISAKMP SA's encryption key source */
  readonly skeyidE: Uint8Array;
}

/** RFC 2409 §5: "For pre-shared keys: SKEYID = prf(pre-shared-key, Ni_b | Nr_b)" */
export function skeyidPsk(h: V1Hash, psk: Uint8Array, niB: Uint8Array, nrB: Uint8Array): Uint8Array {
  return prfV1(h, psk, niB, nrB);
}

/** RFC 2409 §5: "For signatures: SKEYID = prf(Ni_b | Nr_b, g^xy)" */
export function skeyidSig(h: V1Hash, niB: Uint8Array, nrB: Uint8Array, gxy: Uint8Array): Uint8Array {
  return prfV1(h, concatBytes(niB, nrB), gxy);
}

/**
 *   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 *   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 *   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 */
export function deriveSkeyids(h: V1Hash, skeyid: Uint8Array, gxy: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array): Skeyids {
  const skeyidD = prfV1(h, skeyid, gxy, ckyI, ckyR, new Uint8Array([0]));
  const skeyidA = prfV1(h, skeyid, skeyidD, gxy, ckyI, ckyR, new Uint8Array([1]));
  const skeyidE = prfV1(h, skeyid, skeyidA, gxy, ckyI, ckyR, new Uint8Array([2]));
  return { skeyid, skeyidD, skeyidA, skeyidE };
}

/**
 * Encryption key from SKEYID_e (RFC 2409 Appendix B): the leading bytes of
 * SKEYID_e if it is long enough, else
 *   Ka = K1 | K2 | K3 ...,  K1 = prf(SKEYID_e, 0),  Kn = prf(SKEYID_e, Kn-1)
 * (0 is a single zero octet, as implemented by strongSwan, Libreswan and iked).
 */
export function encryptionKeyV1(h: V1Hash, skeyidE: Uint8Array, keyLength: number): Uint8Array {
  if (skeyidE.length >= keyLength) return skeyidE.slice(0, keyLength);
  const parts: Uint8Array[] = [];
  let k = prfV1(h, skeyidE, new Uint8Array([0]));
  let have = 0;
  for (;;) {
    parts.push(k);
    have += k.length;
    if (have >= keyLength) break;
    k = prfV1(h, skeyidE, k);
  }
  return concatBytes(...parts).slice(0, keyLength);
}

/** RFC 2409 App. B: phase 1 IV = hash(g^xi | g^xr), truncated to the cipher block size. */
export function phase1Iv(h: V1Hash, gxi: Uint8Array, gxr: Uint8Array, blockSize: number): Uint8Array {
  return hashV1(h, gxi, gxr).slice(0, blockSize);
}

/** RFC 2409 App. B: IV of a phase 2 / informational exchange = hash(last phase 1 CBC block | M-ID). */
export function phase2Iv(h: V1Hash, lastPhase1Block: Uint8Array, messageId: number, blockSize: number): Uint8Array {
  return hashV1(h, lastPhase1Block, u32(messageId)).slice(0, blockSize);
}

export function u32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/**
 * RFC 2409 §5:
 *   HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 *   HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 * SAi_b is the body of the initiator's SA payload, ID*_b the ID payload body.
 */
export function phase1Hash(
  h: V1Hash, skeyid: Uint8Array, who: 'I' | 'R',
  a: { gxi: Uint8Array; gxr: Uint8Array; ckyI: Uint8Array; ckyR: Uint8Array; saiB: Uint8Array; idB: Uint8Array },
): Uint8Array {
  return who === 'I'
    ? prfV1(h, skeyid, a.gxi, a.gxr, a.ckyI, a.ckyR, a.saiB, a.idB)
    : prfV1(h, skeyid, a.gxr, a.gxi, a.ckyR, a.ckyI, a.saiB, a.idB);
}

/**
 * RFC 2409 §5.5:
 *   HASH(1) = prf(SKEYID_a, M-ID | <message after HASH(1)>)
 *   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | <message after HASH(2)>)
 *   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 * RFC 2409 §5.7: informational HASH(1) = prf(SKEYID_a, M-ID | N/D).
 */
export function quickHash1(h: V1Hash, skeyidA: Uint8Array, mid: number, rest: Uint8Array): Uint8Array {
  return prfV1(h, skeyidA, u32(mid), rest);
}

export function quickHash2(h: V1Hash, skeyidA: Uint8Array, mid: number, niB: Uint8Array, rest: Uint8Array): Uint8Array {
  return prfV1(h, skeyidA, u32(mid), niB, rest);
}

export function quickHash3(h: V1Hash, skeyidA: Uint8Array, mid: number, niB: Uint8Array, nrB: Uint8Array): Uint8Array {
  return prfV1(h, skeyidA, new Uint8Array([0]), u32(mid), niB, nrB);
}

/**
 * Quick Mode KEYMAT (RFC 2409 §5.5), for one direction's SPI:
 *   KEYMAT = K1 | K2 | ...
 *   K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 *   Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 * The SPI is the one the receiving side chose; protocol is 3 for ESP.
 */
export function quickKeymat(
  h: V1Hash, skeyidD: Uint8Array, a: { gxy?: Uint8Array; protocol: number; spi: Uint8Array; niB: Uint8Array; nrB: Uint8Array }, length: number,
): Uint8Array {
  const seed = concatBytes(a.gxy ?? new Uint8Array(0), new Uint8Array([a.protocol]), a.spi, a.niB, a.nrB);
  const parts: Uint8Array[] = [];
  let have = 0;
  let prev: Uint8Array = new Uint8Array(0);
  while (have < length) {
    prev = prfV1(h, skeyidD, prev, seed);
    parts.push(prev);
    have += prev.length;
    if (parts.length > 255) throw new CryptoError('IKE_ERR_PRF_PLUS', `KEYMAT of ${length} bytes is too long`);
  }
  return concatBytes(...parts).slice(0, length);
}

/** Constant-time comparison of received and computed HASH values (ARCHITECTURE B5.6). */
export function hashEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
