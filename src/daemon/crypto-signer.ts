/**
 * The daemon's Signer (src/ike/ports.ts): RSA signatures on the crypto
 * worker pool, everything else in this thread.
 *
 * An RSA-2048 signature costs about 0.25 ms and RSA-3072 about 1.8 ms
 * (NODE-CRYPTO.md), against 25-30 µs of main-thread time for a worker round
 * trip, so a responder with certificates moves most of its IKE_AUTH work off
 * the event loop. ECDSA (≈ 26 µs) and Ed25519 (≈ 36 µs) cost about a round
 * trip and stay here, as X25519 does for the key exchange. The sim and
 * tests keep the engine's default in-thread signer (deterministic, no
 * threads).
 *
 * Keys are looked up by file in the current config, as the in-thread signer
 * does, so a reload takes effect for the next signature.
 */
import type { KeywayConfig } from '../config/model.js';
import { configSigner, privateKeyDer } from '../ike/v1/signing.js';
import type { KeyRef, SignatureScheme, Signer } from '../ike/ports.js';
import { CryptoError } from '../util/errors.js';
import type { CryptoPool } from './crypto-pool.js';

/** RSA schemes: IKEv1 SIG (raw PKCS#1) and the IKEv2 RSA AUTH schemes. */
export function isRsaScheme(scheme: SignatureScheme): boolean {
  return scheme === 'rsa-pkcs1-raw' || scheme.startsWith('rsa-');
}

export function poolSigner(pool: CryptoPool, config: () => KeywayConfig, inThread: Signer = configSigner(config)): Signer {
  return {
    sign(key: KeyRef, scheme: SignatureScheme, data: Uint8Array): Promise<Uint8Array> {
      if (!isRsaScheme(scheme)) return inThread.sign(key, scheme, data);
      const der = privateKeyDer(config(), key.file);
      if (der === undefined) return Promise.reject(new CryptoError('IKE_ERR_NO_KEY', `no private key loaded from ${key.file}`));
      return pool.sign(der, scheme, data);
    },
  };
}
