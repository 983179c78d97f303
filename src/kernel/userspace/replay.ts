/**
 * Anti-replay sliding window (RFC 4303 §3.4.3) with Extended Sequence Numbers
 * (RFC 4303 Appendix A2). The window is a ring of 32-bit words (RFC 6479), so
 * sliding it costs one word clear per 32 packets instead of a bit shift of
 * the whole map.
 *
 * Use: `check()` before integrity verification (cheap reject of duplicates
 * and packets left of the window), then `accept()` only once the ICV was
 * verified (§3.4.3: "the receive window is updated only if the integrity
 * verification succeeds").
 *
 * Sequence numbers are JS numbers: 64-bit ESN values stay exact up to 2^53,
 * which no SA reaches (it would take 285 years at a billion packets/s).
 */

/** RFC 4303 §3.4.3 SHOULD default; strongSwan's replay_window default is 32. */
export const DEFAULT_REPLAY_WINDOW = 64;
/** cap so a config typo cannot allocate a huge bitmap */
export const MAX_REPLAY_WINDOW = 65536;

const TWO32 = 0x1_0000_0000;

export type ReplayVerdict =
  /** the full 64-bit (or 32-bit) sequence number to pass to accept() */
  | { readonly ok: true; readonly seq: number; readonly seqHi: number }
  | { readonly ok: false; readonly reason: 'replay' | 'old' | 'zero' };

export class ReplayWindow {
  readonly size: number;
  readonly esn: boolean;
  /** highest authenticated sequence number (T in RFC 4303 App. A2) */
  #top = 0;
  readonly #bits: Uint32Array;
  readonly #mask: number;

  /** `size` 0 disables replay protection (strongSwan replay_window = 0). */
  constructor(size: number, esn: boolean) {
    this.size = Math.min(Math.max(0, Math.floor(size)), MAX_REPLAY_WINDOW);
    this.esn = esn;
    // one spare word so that the word being slid in never overlaps the window (RFC 6479 §2)
    let words = 1;
    while (words * 32 < this.size + 32) words *= 2;
    this.#bits = new Uint32Array(words);
    this.#mask = words - 1;
  }

  get top(): number {
    return this.#top;
  }

  /**
   * Full sequence number for the received low 32 bits and whether it may be
   * new. With ESN the high half is inferred from the window (Appendix A2.1):
   *   Bl = Tl - W + 1;  window inside one 2^32 subspace (Tl >= W - 1):
   *     Seqh = Th if Seql >= Bl else Th + 1
   *   window spanning two subspaces (Tl < W - 1):
   *     Seqh = Th - 1 if Seql >= Bl (mod 2^32) else Th
   */
  check(seqLo: number): ReplayVerdict {
    const w = Math.max(this.size, 1);
    let seq = seqLo;
    let hi = 0;
    if (this.esn) {
      const th = Math.floor(this.#top / TWO32);
      const tl = this.#top % TWO32;
      if (tl >= w - 1) {
        hi = seqLo >= tl - w + 1 ? th : th + 1;
      } else {
        hi = seqLo >= tl - w + 1 + TWO32 ? th - 1 : th;
      }
      if (hi < 0) hi = 0;
      seq = hi * TWO32 + seqLo;
    }
    // RFC 4303 §3.3.3: the first packet has sequence number 1; 0 is never sent
    if (seq === 0) return { ok: false, reason: 'zero' };
    if (this.size === 0 || seq > this.#top) return { ok: true, seq, seqHi: hi };
    if (this.#top - seq >= this.size) return { ok: false, reason: 'old' };
    const idx = Math.floor(seq / 32) & this.#mask;
    const bit = 1 << (seq % 32);
    if ((this.#bits[idx] ?? 0) & bit) return { ok: false, reason: 'replay' };
    return { ok: true, seq, seqHi: hi };
  }

  /** Marks `seq` as received (after its ICV was verified), sliding the window if needed. */
  accept(seq: number): void {
    if (this.size === 0) {
      if (seq > this.#top) this.#top = seq;
      return;
    }
    if (seq > this.#top) {
      const oldWord = Math.floor(this.#top / 32);
      const newWord = Math.floor(seq / 32);
      // clear the words that slide into the window (all of them after a big jump)
      const n = Math.min(newWord - oldWord, this.#bits.length);
      for (let i = 1; i <= n; i++) this.#bits[(oldWord + i) & this.#mask] = 0;
      this.#top = seq;
    }
    const idx = Math.floor(seq / 32) & this.#mask;
    this.#bits[idx] = (this.#bits[idx] ?? 0) | (1 << (seq % 32));
  }
}
