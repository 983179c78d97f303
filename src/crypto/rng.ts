import { createHmac, randomFillSync } from 'node:crypto';
import { CryptoError } from '../util/errors.js';

/**
 * Randomness port. All SPIs, nonces, DH secrets and IVs come from an Rng so
 * that tests can seed it and get byte-identical runs (ARCHITECTURE B1.1).
 */
export interface Rng {
  /** Returns n fresh random bytes. */
  bytes(n: number): Uint8Array;
}

/** Production Rng: the operating system CSPRNG via OpenSSL. */
export class NodeRng implements Rng {
  /**
   * Small requests (SPIs, nonces, IVs: most of them) are served from a pool
   * refilled 4 KiB at a time: one randomFillSync call per many requests
   * instead of one each (the call overhead dominated the handshake profile).
   * Served bytes are zeroed in the pool so they exist in one place only.
   */
  private readonly pool = new Uint8Array(4096);
  private pos = 4096;

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    if (n > 256) {
      randomFillSync(out);
      return out;
    }
    if (this.pos + n > this.pool.length) {
      randomFillSync(this.pool);
      this.pos = 0;
    }
    const slice = this.pool.subarray(this.pos, this.pos + n);
    out.set(slice);
    slice.fill(0);
    this.pos += n;
    return out;
  }
}

/**
 * Deterministic Rng for tests and simulation ONLY (never for real keys).
 *
 *   block_i = HMAC-SHA256(K = seed, "keyway-seeded-rng" | uint64be(i)),  i = 0, 1, 2, ...
 *   output  = block_0 | block_1 | ...   (consumed as one stream)
 *
 * A counter-mode construction in the style of NIST SP 800-108, so the same
 * seed always yields the same stream regardless of how requests are split.
 */
export class SeededRng implements Rng {
  private readonly key: Uint8Array;
  private counter = 0n;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;

  constructor(seed: Uint8Array | string) {
    this.key = typeof seed === 'string' ? new TextEncoder().encode(seed) : Uint8Array.from(seed);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      if (this.pos >= this.buf.length) this.refill();
      const take = Math.min(n - off, this.buf.length - this.pos);
      out.set(this.buf.subarray(this.pos, this.pos + take), off);
      this.pos += take;
      off += take;
    }
    return out;
  }

  private refill(): void {
    const ctr = Buffer.alloc(8);
    ctr.writeBigUInt64BE(this.counter);
    this.counter += 1n;
    const h = createHmac('sha256', this.key);
    h.update('keyway-seeded-rng');
    h.update(ctr);
    this.buf = new Uint8Array(h.digest());
    this.pos = 0;
  }
}

/**
 * Test helper: replays fixed bytes in order (e.g. to inject a known IV or DH
 * private value), then fails loudly rather than inventing randomness.
 */
export class FixedRng implements Rng {
  private readonly data: Uint8Array;
  private pos = 0;
  constructor(...chunks: Uint8Array[]) {
    const total = chunks.reduce((s, c) => s + c.length, 0);
    this.data = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      this.data.set(c, o);
      o += c.length;
    }
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.data.length) {
      throw new CryptoError('IKE_ERR_RNG', `FixedRng exhausted: wanted ${n} bytes, ${this.data.length - this.pos} left`);
    }
    const out = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
