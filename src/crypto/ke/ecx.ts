/**
 * Curve25519 / Curve448 key exchange in IKEv2 (RFC 8031, groups 31/32).
 *   KE data       = X25519(a, 9) / X448(a, 5): raw 32 / 56-byte u-coordinate
 *   shared secret = X25519(a, peer) / X448(a, peer), rejected if all zero
 *                   (RFC 8031 §2, RFC 7748 §6.1)
 *
 * NODE-CRYPTO.md trap 1: exporting X25519 keys as JWK after generation can
 * deadlock Node 20. We never export: the private key is imported from raw
 * bytes (JWK with d), and the public value is computed as a DH with the base
 * point, which is the definition of the public key (RFC 7748 §6.1).
 * PKCS#8 DER import works too but costs ~380 µs against ~40 µs for JWK.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';
import type { KeDescriptor } from '../registry.js';
import { isAllZero } from './types.js';
import type { KeyExchange } from './types.js';

interface Curve {
  readonly crv: 'X25519' | 'X448';
  readonly len: number;
  readonly baseU: number;
  /** PKCS#8 prefix for a raw private key (RFC 8410 §7), used as a fallback. */
  readonly pkcs8Prefix: string;
}

const CURVES: Readonly<Record<string, Curve>> = {
  x25519: { crv: 'X25519', len: 32, baseU: 9, pkcs8Prefix: '302e020100300506032b656e04220420' },
  x448: { crv: 'X448', len: 56, baseU: 5, pkcs8Prefix: '3046020100300506032b656f043a0438' },
};

const baseKeys = new Map<string, KeyObject>();

function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
}

function publicKeyFromRaw(c: Curve, u: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: c.crv, x: b64u(u) }, format: 'jwk' });
}

function baseKey(c: Curve): KeyObject {
  let k = baseKeys.get(c.crv);
  if (k === undefined) {
    const u = new Uint8Array(c.len);
    u[0] = c.baseU; // little-endian u-coordinate
    k = publicKeyFromRaw(c, u);
    baseKeys.set(c.crv, k);
  }
  return k;
}

function privateKeyFromRaw(c: Curve, d: Uint8Array): KeyObject {
  try {
    // Node derives the key from d alone; x is required by its JWK parser but
    // not used, so we pass the base point instead of computing it first.
    const x = new Uint8Array(c.len);
    x[0] = c.baseU;
    return createPrivateKey({ key: { kty: 'OKP', crv: c.crv, d: b64u(d), x: b64u(x) }, format: 'jwk' });
  } catch {
    // A future Node that checks x against d: fall back to PKCS#8 (slower).
    const der = Buffer.concat([Buffer.from(c.pkcs8Prefix, 'hex'), d]);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }
}

function curveOf(desc: KeDescriptor): Curve {
  const c = CURVES[desc.curve];
  if (c === undefined) throw new CryptoError('IKE_ERR_UNSUPPORTED', `unsupported curve ${desc.curve}`);
  return c;
}

export function createEcx(desc: KeDescriptor, priv: Uint8Array): KeyExchange {
  const c = curveOf(desc);
  if (priv.length !== c.len) {
    throw new CryptoError('IKE_ERR_KE_PRIVATE', `${desc.name} private value must be ${c.len} bytes`);
  }
  const privateKey = privateKeyFromRaw(c, priv);
  const publicValue = new Uint8Array(diffieHellman({ privateKey, publicKey: baseKey(c) }));
  return ecxExchange(desc, c, privateKey, publicValue);
}

/**
 * A key pair drawn by OpenSSL itself (its CSPRNG, not the Rng port): about
 * 40 µs cheaper per exchange than importing a raw scalar, because OpenSSL
 * computes the public key once with its fixed-base method and hands it back
 * as JWK at generation time — the pattern NODE-CRYPTO.md trap 1 found safe
 * (no export of the key object afterwards). Production only: tests that need
 * byte-identical runs use createEcx with Rng bytes.
 */
export function generateEcx(desc: KeDescriptor): KeyExchange {
  const c = curveOf(desc);
  const enc = { publicKeyEncoding: { format: 'jwk' as const } };
  const { privateKey, publicKey } = c.crv === 'X25519' ? generateKeyPairSync('x25519', enc) : generateKeyPairSync('x448', enc);
  const jwk: unknown = publicKey;
  const xs = typeof jwk === 'object' && jwk !== null && 'x' in jwk ? jwk.x : undefined;
  const x = typeof xs === 'string' ? Buffer.from(xs, 'base64url') : undefined;
  if (x === undefined || x.length !== c.len) throw new CryptoError('IKE_ERR_KE_PRIVATE', `${desc.name} key generation failed`);
  return ecxExchange(desc, c, privateKey, new Uint8Array(x));
}

function ecxExchange(desc: KeDescriptor, c: Curve, privateKey: KeyObject, publicValue: Uint8Array): KeyExchange {
  return {
    group: desc.id,
    publicValue,
    computeSharedSecret(peer: Uint8Array): Uint8Array {
      if (peer.length !== c.len) {
        throw new CryptoError('IKE_ERR_KE_INVALID', `${desc.name} KE data must be ${c.len} bytes, got ${peer.length}`);
      }
      let secret: Uint8Array;
      try {
        secret = new Uint8Array(diffieHellman({ privateKey, publicKey: publicKeyFromRaw(c, peer) }));
      } catch {
        // OpenSSL refuses an all-zero result itself (low-order peer point).
        throw new CryptoError('IKE_ERR_KE_INVALID', `${desc.name} public value rejected`);
      }
      // RFC 7748 §6.1 / RFC 8031 §2: an all-zero shared secret MUST be rejected.
      if (isAllZero(secret)) throw new CryptoError('IKE_ERR_KE_INVALID', `${desc.name} shared secret is zero`);
      return secret;
    },
  };
}
