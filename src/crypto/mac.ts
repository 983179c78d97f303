/**
 * AES-based MACs (RFC 3566 AES-XCBC-MAC, RFC 4493 AES-CMAC) and the IKEv2
 * integrity transforms (RFC 7296 §3.3.2 type 3).
 *
 * Both MACs are CBC-MAC with a tweaked final block, so we compute them as one
 * AES-128-CBC encryption (IV = 0) of the message whose last block has been
 * padded and XORed with a subkey, and keep the last ciphertext block. Subkeys
 * come from single-block AES-128-ECB encryptions.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { CryptoError } from '../util/errors.js';
import { integDescriptor } from './registry.js';

const BLOCK = 16;
const ZERO_IV = new Uint8Array(BLOCK);

function aesEcbBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(block));
}

function requireAesKey(key: Uint8Array, what: string): void {
  if (key.length !== BLOCK) {
    throw new CryptoError('IKE_ERR_KEY_LENGTH', `${what} needs a 16-byte key, got ${key.length} bytes`);
  }
}

/**
 * CBC-MAC over msg with the final-block rule shared by XCBC and CMAC:
 * a complete last block is XORed with kFull; a partial (or empty) one is
 * padded with 0x80 0x00... and XORed with kPartial.
 */
function cbcMacWithFinal(cbcKey: Uint8Array, msg: Uint8Array, kFull: Uint8Array, kPartial: Uint8Array): Uint8Array {
  const complete = msg.length > 0 && msg.length % BLOCK === 0;
  const total = complete ? msg.length : (Math.floor(msg.length / BLOCK) + 1) * BLOCK;
  const buf = new Uint8Array(total);
  buf.set(msg);
  if (!complete) buf[msg.length] = 0x80;
  const sub = complete ? kFull : kPartial;
  const last = total - BLOCK;
  for (let i = 0; i < BLOCK; i++) buf[last + i] = (buf[last + i] ?? 0) ^ (sub[i] ?? 0);
  const c = createCipheriv('aes-128-cbc', cbcKey, ZERO_IV);
  c.setAutoPadding(false);
  const out = c.update(buf);
  return new Uint8Array(out.subarray(out.length - BLOCK));
}

/**
 * AES-XCBC-MAC (RFC 3566 §4), full 128-bit output:
 *   K1 = AES-K(0x01^16), K2 = AES-K(0x02^16), K3 = AES-K(0x03^16)
 *   CBC-MAC under K1; last block ^= K2 (complete) or pad10*(last) ^ K3.
 */
export function aesXcbcMac(key: Uint8Array, msg: Uint8Array): Uint8Array {
  requireAesKey(key, 'AES-XCBC-MAC');
  const k1 = aesEcbBlock(key, new Uint8Array(BLOCK).fill(0x01));
  const k2 = aesEcbBlock(key, new Uint8Array(BLOCK).fill(0x02));
  const k3 = aesEcbBlock(key, new Uint8Array(BLOCK).fill(0x03));
  return cbcMacWithFinal(k1, msg, k2, k3);
}

/** GF(2^128) doubling used for CMAC subkeys (RFC 4493 §2.3). */
function dbl(x: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  let carry = 0;
  for (let i = BLOCK - 1; i >= 0; i--) {
    const b = x[i] ?? 0;
    out[i] = ((b << 1) | carry) & 0xff;
    carry = b >>> 7;
  }
  if (carry) out[BLOCK - 1] = (out[BLOCK - 1] ?? 0) ^ 0x87;
  return out;
}

/**
 * AES-CMAC (RFC 4493 §2.4), full 128-bit output:
 *   L = AES-K(0^128), K1 = dbl(L), K2 = dbl(K1)
 *   CBC-MAC under K; last block ^= K1 (complete) or pad10*(last) ^ K2.
 */
export function aesCmac(key: Uint8Array, msg: Uint8Array): Uint8Array {
  requireAesKey(key, 'AES-CMAC');
  const l = aesEcbBlock(key, new Uint8Array(BLOCK));
  const k1 = dbl(l);
  const k2 = dbl(k1);
  return cbcMacWithFinal(key, msg, k1, k2);
}

/** An IKEv2 integrity transform (RFC 7296 §3.3.2, transform type 3). */
export interface Integ {
  readonly id: number;
  readonly keyLength: number;
  readonly icvLength: number;
  /** Returns the truncated ICV. */
  compute(key: Uint8Array, data: Uint8Array): Uint8Array;
}

export function createInteg(id: number): Integ {
  const d = integDescriptor(id);
  if (d === undefined) throw new CryptoError('IKE_ERR_UNSUPPORTED', `unsupported integrity transform ${id}`);
  const { keyLength, icvLength } = d;
  const full: (key: Uint8Array, data: Uint8Array) => Uint8Array =
    d.kind === 'xcbc' ? aesXcbcMac
    : d.kind === 'cmac' ? aesCmac
    : (key, data) => new Uint8Array(createHmac(d.hash ?? 'sha256', key).update(data).digest());
  return {
    id,
    keyLength,
    icvLength,
    compute(key: Uint8Array, data: Uint8Array): Uint8Array {
      // RFC 4868 §2.1 / RFC 2404: the key is exactly the transform's key size.
      if (key.length !== keyLength) {
        throw new CryptoError('IKE_ERR_KEY_LENGTH', `${d.name} needs a ${keyLength}-byte key, got ${key.length}`);
      }
      return full(key, data).subarray(0, icvLength);
    },
  };
}
