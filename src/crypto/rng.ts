/**
 * Randomness port. All SPIs, nonces, DH secrets and IVs come from an Rng so
 * that tests can seed it and get byte-identical runs (ARCHITECTURE B1.1).
 */
export interface Rng {
  /** Returns n fresh random bytes. */
  bytes(n: number): Uint8Array;
}
