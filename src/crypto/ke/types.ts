/** Key exchange port (RFC 7296 §1.2 KE payload, §2.12 reuse rules). */
export interface KeyExchange {
  /** Transform type 4 id (RFC 7296 §3.3.2). */
  readonly group: number;
  /** Our KE payload data (RFC 7296 §3.4), exactly the group's public length. */
  readonly publicValue: Uint8Array;
  /**
   * Validates the peer's KE payload data and returns g^ir as fed to the KDF.
   * Throws CryptoError('IKE_ERR_KE_INVALID') for any invalid value.
   */
  computeSharedSecret(peer: Uint8Array): Uint8Array;
}

export interface KeyExchangeOptions {
  /**
   * MODP private exponent size: 'short' = 2 × the group's security strength
   * (RFC 7296 §2.12 and NIST SP 800-56A allow it; ~7× faster), 'full' = the
   * prime's size (what strongSwan does by default). Default 'short'.
   */
  readonly modpExponent?: 'short' | 'full';
}

/** Left-pads big-endian bytes to len (throws nothing; caller guarantees value fits). */
export function padStart(b: Uint8Array, len: number): Uint8Array {
  if (b.length === len) return new Uint8Array(b);
  const out = new Uint8Array(len);
  out.set(b.subarray(Math.max(0, b.length - len)), Math.max(0, len - b.length));
  return out;
}

export function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}
