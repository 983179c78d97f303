/**
 * Key exchange factory (RFC 7296 §1.2, §2.12; transform type 4).
 * All private values come from the Rng so tests and simulations are
 * deterministic.
 */
import { CryptoError } from '../../util/errors.js';
import { keDescriptor } from '../registry.js';
import type { KeDescriptor } from '../registry.js';
import type { Rng } from '../rng.js';
import { createEcp, createEcpFromRng } from './ecp.js';
import { createEcx, generateEcx } from './ecx.js';
import { createModp, modpPrivateFromRng } from './modp.js';
import type { KeyExchange, KeyExchangeOptions } from './types.js';

export type { KeyExchange, KeyExchangeOptions } from './types.js';
export { supportedKeGroups } from '../registry.js';

function describe(group: number): KeDescriptor {
  const d = keDescriptor(group);
  if (d === undefined) throw new CryptoError('IKE_ERR_UNSUPPORTED', `unsupported key exchange method ${group}`);
  return d;
}

export function createKeyExchange(group: number, rng: Rng, opts?: KeyExchangeOptions): KeyExchange {
  const d = describe(group);
  switch (d.kind) {
    case 'modp': {
      const x = modpPrivateFromRng(d, rng, opts?.modpExponent ?? 'short');
      try {
        return createModp(d, x);
      } finally {
        x.fill(0);
      }
    }
    case 'ecp':
      return createEcpFromRng(d, rng);
    case 'ecx': {
      const k = rng.bytes(d.secretLength);
      try {
        return createEcx(d, k);
      } finally {
        k.fill(0);
      }
    }
  }
}

/**
 * Production variant: like createKeyExchange, but X25519/X448 key pairs come
 * from OpenSSL's own generator (faster, see generateEcx). Not reproducible
 * from the Rng: never used where tests need byte-identical runs.
 */
export function createKeyExchangeNative(group: number, rng: Rng, opts?: KeyExchangeOptions): KeyExchange {
  const d = describe(group);
  return d.kind === 'ecx' ? generateEcx(d) : createKeyExchange(group, rng, opts);
}

/**
 * Internal, for known-answer tests: a key exchange with a given private value
 * (MODP exponent, EC scalar, or X25519/X448 raw scalar, all big-endian except
 * the RFC 7748 little-endian scalars).
 */
export function keyExchangeFromPrivate(group: number, priv: Uint8Array): KeyExchange {
  const d = describe(group);
  switch (d.kind) {
    case 'modp': return createModp(d, priv);
    case 'ecp': return createEcp(d, priv);
    case 'ecx': return createEcx(d, priv);
  }
}
