/**
 * Signing and verification for IKEv1 phase 1 with RSA signatures
 * (RFC 2409 §5.1). Signing goes through the Signer port (src/ike/ports.ts);
 * until the composition root provides one, the in-process signer below uses
 * the private key the config loaded (as PSKs, key material lives in the
 * validated config and is never logged).
 */
import type { ConnectionConfig, KeywayConfig } from '../../config/model.js';
import { rsaSignV1, rsaVerifyV1 } from '../../crypto/sig-v1.js';
import { signV2 } from '../../crypto/sig-v2.js';
import { CryptoError } from '../../util/errors.js';
import type { EngineContext } from '../context.js';
import type { KeyRef, SignatureScheme, Signer } from '../ports.js';

/**
 * An in-process Signer over the private keys named in the config (`local {
 * private_key = ... }` or secrets matched to `pubkeys`), for both IKE
 * versions: IKEv1 SIG blocks and IKEv2 AUTH signatures (RFC 7427).
 */
export function configSigner(config: () => KeywayConfig): Signer {
  return {
    sign(key: KeyRef, scheme: SignatureScheme, data: Uint8Array): Promise<Uint8Array> {
      const der = privateKeyDer(config(), key.file);
      if (der !== undefined) {
        try {
          return Promise.resolve(scheme === 'rsa-pkcs1-raw' ? rsaSignV1(der, data) : signV2(scheme, der, data));
        } catch (e) {
          return Promise.reject(e instanceof CryptoError ? e : new CryptoError('IKE_ERR_SIGN', `signing with ${key.file} failed`));
        }
      }
      return Promise.reject(new CryptoError('IKE_ERR_NO_KEY', `no private key loaded from ${key.file}`));
    },
  };
}

/** The PKCS#8 DER of the private key the config loaded from `file` (local rounds). */
export function privateKeyDer(config: KeywayConfig, file: string): Uint8Array | undefined {
  for (const c of config.connections) {
    for (const a of c.local) if (a.privateKey?.file === file) return a.privateKey.der;
  }
  return undefined;
}

/** The engine's Signer if it was given one, else the in-process one. */
export function signerOf(ctx: EngineContext): Signer {
  return ctx.signer ?? configSigner(() => ctx.config);
}

/** Does the peer's SIG verify with one of the public keys `conn` trusts for it? */
export function verifyWithConn(conn: ConnectionConfig, hash: Uint8Array, sig: Uint8Array): boolean {
  return (conn.remote[0]?.pubkeys ?? []).some((k) => rsaVerifyV1(k.der, hash, sig));
}
