/**
 * IKEv2 pseudo-random functions (RFC 7296 §2.13, §3.3.2 transform type 2)
 * and prf+.
 */
import { createHmac } from 'node:crypto';
import { CryptoError } from '../util/errors.js';
import { aesCmac, aesXcbcMac } from './mac.js';
import { prfDescriptor } from './registry.js';

export interface Prf {
  readonly id: number;
  readonly outputLength: number;
  readonly preferredKeyLength: number;
  compute(key: Uint8Array, data: Uint8Array): Uint8Array;
}

const ZERO16 = new Uint8Array(16);

/**
 * RFC 4434 §2 (AES-XCBC-PRF-128): key shorter than 16 bytes is right-padded
 * with zeros; longer keys become AES-XCBC-MAC(0^128, key) (full 128 bits).
 */
function xcbcPrfKey(key: Uint8Array): Uint8Array {
  if (key.length === 16) return key;
  if (key.length < 16) {
    const k = new Uint8Array(16);
    k.set(key);
    return k;
  }
  return aesXcbcMac(ZERO16, key);
}

/** RFC 4615 §3 (AES-CMAC-PRF-128): any key that is not 16 bytes becomes AES-CMAC(0^128, key). */
function cmacPrfKey(key: Uint8Array): Uint8Array {
  return key.length === 16 ? key : aesCmac(ZERO16, key);
}

export function createPrf(id: number): Prf {
  const d = prfDescriptor(id);
  if (d === undefined) throw new CryptoError('IKE_ERR_UNSUPPORTED', `unsupported PRF ${id}`);
  let compute: (key: Uint8Array, data: Uint8Array) => Uint8Array;
  if (d.kind === 'xcbc') compute = (key, data) => aesXcbcMac(xcbcPrfKey(key), data);
  else if (d.kind === 'cmac') compute = (key, data) => aesCmac(cmacPrfKey(key), data);
  else {
    const hash = d.hash ?? 'sha256';
    compute = (key, data) => new Uint8Array(createHmac(hash, key).update(data).digest());
  }
  return { id, outputLength: d.outputLength, preferredKeyLength: d.preferredKeyLength, compute };
}

/**
 * prf+ (RFC 7296 §2.13):
 *   prf+ (K,S) = T1 | T2 | T3 | T4 | ...
 *   T1 = prf (K, S | 0x01)
 *   Tn = prf (K, Tn-1 | S | n)        n is a single octet, so at most 255 blocks
 */
export function prfPlus(prf: Prf, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0) {
    throw new CryptoError('IKE_ERR_PRF_PLUS', `invalid prf+ length ${length}`);
  }
  const blocks = Math.ceil(length / prf.outputLength);
  if (blocks > 255) {
    throw new CryptoError('IKE_ERR_PRF_PLUS', `prf+ cannot produce ${length} bytes (more than 255 iterations)`);
  }
  const out = new Uint8Array(blocks * prf.outputLength);
  let prev: Uint8Array = new Uint8Array(0);
  const buf = new Uint8Array(prf.outputLength + seed.length + 1);
  for (let n = 1; n <= blocks; n++) {
    buf.set(prev, 0);
    buf.set(seed, prev.length);
    buf[prev.length + seed.length] = n;
    prev = prf.compute(key, buf.subarray(0, prev.length + seed.length + 1));
    out.set(prev, (n - 1) * prf.outputLength);
  }
  return out.subarray(0, length);
}
