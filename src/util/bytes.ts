/**
 * Bounds-checked big-endian byte reading and writing (network byte order,
 * RFC 7296 §3: "all multi-octet fields ... are sent in network byte order").
 *
 * Every read checks the remaining length first and throws a WireError with
 * the offset, so hostile input can never cause a RangeError or an
 * out-of-bounds read (ARCHITECTURE B5.1).
 */
import { KeywayError, WireError } from './errors.js';

export const ERR_TRUNCATED = 'IKE_ERR_DECODE_TRUNCATED';

/** Sequential reader over a byte buffer. `base` is added to offsets in errors. */
export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #base: number;
  #pos = 0;

  constructor(buf: Uint8Array, base = 0) {
    this.#buf = buf;
    this.#base = base;
  }

  /** Current position, relative to the start of this reader's buffer. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  /** Throws IKE_ERR_DECODE_TRUNCATED unless `n` more bytes are available. */
  need(n: number, what = 'field'): void {
    if (!Number.isInteger(n) || n < 0 || n > this.remaining) {
      throw new WireError(
        ERR_TRUNCATED,
        `truncated ${what}: need ${n} bytes at offset ${this.#base + this.#pos}, have ${this.remaining}`,
        this.#base + this.#pos,
      );
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    const v = this.#buf[this.#pos] ?? 0;
    this.#pos += 1;
    return v;
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const b = this.#buf;
    const p = this.#pos;
    this.#pos += 2;
    return ((b[p] ?? 0) << 8) | (b[p + 1] ?? 0);
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const b = this.#buf;
    const p = this.#pos;
    this.#pos += 4;
    // multiply instead of << 24 so the result stays an unsigned number
    return (b[p] ?? 0) * 0x1000000 + (((b[p + 1] ?? 0) << 16) | ((b[p + 2] ?? 0) << 8) | (b[p + 3] ?? 0));
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Skips `n` bytes. */
  skip(n: number, what = 'bytes'): void {
    this.need(n, what);
    this.#pos += n;
  }

  /** Everything not yet read (a view). */
  rest(): Uint8Array {
    const out = this.#buf.subarray(this.#pos);
    this.#pos = this.#buf.length;
    return out;
  }

  /** Absolute offset (including `base`) of the current position, for error messages. */
  get absoluteOffset(): number {
    return this.#base + this.#pos;
  }
}

/** Growable big-endian writer. */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #ensure(extra: number): void {
    const want = this.#len + extra;
    if (want <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < want) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  u8(v: number): this {
    checkUint(v, 0xff, 'u8');
    this.#ensure(1);
    this.#buf[this.#len++] = v;
    return this;
  }

  u16(v: number): this {
    checkUint(v, 0xffff, 'u16');
    this.#ensure(2);
    this.#buf[this.#len++] = v >>> 8;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    checkUint(v, 0xffffffff, 'u32');
    this.#ensure(4);
    this.#buf[this.#len++] = (v >>> 24) & 0xff;
    this.#buf[this.#len++] = (v >>> 16) & 0xff;
    this.#buf[this.#len++] = (v >>> 8) & 0xff;
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** Overwrites a 16-bit value already written at `at` (used for length fields). */
  patchU16(at: number, v: number): this {
    checkUint(v, 0xffff, 'u16');
    checkPatch(at, 2, this.#len);
    this.#buf[at] = v >>> 8;
    this.#buf[at + 1] = v & 0xff;
    return this;
  }

  patchU32(at: number, v: number): this {
    checkUint(v, 0xffffffff, 'u32');
    checkPatch(at, 4, this.#len);
    this.#buf[at] = (v >>> 24) & 0xff;
    this.#buf[at + 1] = (v >>> 16) & 0xff;
    this.#buf[at + 2] = (v >>> 8) & 0xff;
    this.#buf[at + 3] = v & 0xff;
    return this;
  }

  /** A copy of the bytes written, exactly `length` long. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new KeywayError('IKE_ERR_ENCODE_RANGE', `${what} out of range: ${v}`);
  }
}

function checkPatch(at: number, n: number, len: number): void {
  if (!Number.isInteger(at) || at < 0 || at + n > len) {
    throw new KeywayError('IKE_ERR_ENCODE_RANGE', `patch at ${at} outside written bytes (${len})`);
  }
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Plain equality for non-secret data. Not constant-time: compare MACs and
 * AUTH values with crypto.timingSafeEqual instead.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX = '0123456789abcdef';

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += (HEX[x >>> 4] ?? '') + (HEX[x & 15] ?? '');
  return s;
}

/** Parses hex, ignoring any whitespace; throws KeywayError on anything else. */
export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new KeywayError('IKE_ERR_HEX', 'hex string has an odd number of digits');
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw new KeywayError('IKE_ERR_HEX', 'hex string has a non-hex character');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
