/**
 * Finite-field Diffie-Hellman over the RFC 3526 MODP groups 14-18.
 * KE data = g^x mod p as a big-endian integer left-padded to the prime's
 * length (RFC 7296 §3.4); shared secret g^xy mod p padded the same way.
 */
import { createDiffieHellman, getDiffieHellman } from 'node:crypto';
import type { DiffieHellman } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';
import type { Rng } from '../rng.js';
import type { KeDescriptor } from '../registry.js';
import { padStart } from './types.js';
import type { KeyExchange } from './types.js';

// Node ships the RFC 3526 primes under these names; reusing them avoids
// transcribing 8 KiB of hex. Generator is 2 for all of them.
const NODE_GROUP: Readonly<Record<number, string>> = { 14: 'modp14', 15: 'modp15', 16: 'modp16', 17: 'modp17', 18: 'modp18' };
const primes = new Map<number, Uint8Array>();
const GEN = new Uint8Array([2]);

export function modpPrime(group: number): Uint8Array {
  let p = primes.get(group);
  if (p === undefined) {
    const name = NODE_GROUP[group];
    if (name === undefined) throw new CryptoError('IKE_ERR_UNSUPPORTED', `unsupported MODP group ${group}`);
    p = new Uint8Array(getDiffieHellman(name).getPrime());
    primes.set(group, p);
  }
  return p;
}

/** Big-endian compare of equal-length byte strings: -1, 0, 1. */
function cmp(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Private exponent from the Rng: 2 ≤ x ≤ p-2, with `bits` bits at most. */
function drawExponent(rng: Rng, p: Uint8Array, bits: number): Uint8Array {
  const bytes = Math.ceil(bits / 8);
  const topMask = 0xff >>> (bytes * 8 - bits);
  for (let attempt = 0; attempt < 64; attempt++) {
    const x = rng.bytes(bytes);
    x[0] = (x[0] ?? 0) & topMask;
    const padded = padStart(x, p.length);
    const two = padStart(new Uint8Array([2]), p.length);
    const pMinus1 = new Uint8Array(p);
    pMinus1[pMinus1.length - 1] = (pMinus1[pMinus1.length - 1] ?? 1) - 1; // p is odd
    if (cmp(padded, two) >= 0 && cmp(padded, pMinus1) < 0) return x;
  }
  throw new CryptoError('IKE_ERR_RNG', 'could not draw a MODP private exponent');
}

export function createModp(desc: KeDescriptor, priv: Uint8Array): KeyExchange {
  const p = modpPrime(desc.id);
  const len = p.length;
  const dh: DiffieHellman = createDiffieHellman(p, GEN);
  dh.setPrivateKey(priv);
  const publicValue = padStart(dh.generateKeys(), len);
  const pMinus1 = new Uint8Array(p);
  pMinus1[len - 1] = (pMinus1[len - 1] ?? 1) - 1;
  const one = padStart(new Uint8Array([1]), len);
  return {
    group: desc.id,
    publicValue,
    computeSharedSecret(peer: Uint8Array): Uint8Array {
      // RFC 7296 §3.4 fixes the length; NIST SP 800-56A §5.6.2.3.1 requires 1 < y < p-1.
      if (peer.length !== len) {
        throw new CryptoError('IKE_ERR_KE_INVALID', `${desc.name} KE data must be ${len} bytes, got ${peer.length}`);
      }
      if (cmp(peer, one) <= 0 || cmp(peer, pMinus1) >= 0) {
        throw new CryptoError('IKE_ERR_KE_INVALID', `${desc.name} public value out of range`);
      }
      try {
        return padStart(dh.computeSecret(peer), len);
      } catch {
        throw new CryptoError('IKE_ERR_KE_INVALID', `${desc.name} public value rejected`);
      }
    },
  };
}

export function modpPrivateFromRng(desc: KeDescriptor, rng: Rng, exponent: 'short' | 'full'): Uint8Array {
  const p = modpPrime(desc.id);
  const bits = exponent === 'full' ? p.length * 8 : 2 * desc.strength;
  return drawExponent(rng, p, bits);
}
