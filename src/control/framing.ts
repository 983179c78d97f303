/**
 * Length-prefixed frames for the control socket (ARCHITECTURE B8; vici uses
 * the same outer framing).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  Length (body octets, big-endian)             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  Body: UTF-8 JSON (Length octets)             ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A stream socket delivers arbitrary chunk boundaries, so the decoder keeps
 * partial frames and may return several frames from one chunk.
 */
import { WireError } from '../util/errors.js';
import { MAX_FRAME_BYTES } from './protocol.js';

const HEADER = 4;

/** Incremental decoder. After it has thrown, the stream is unusable: close it. */
export class FrameDecoder {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #failed = false;

  constructor(maxFrameBytes: number = MAX_FRAME_BYTES) {
    this.#max = maxFrameBytes;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Adds a chunk and returns the complete frame bodies it finished.
   * Throws WireError('CONTROL_FRAME_TOO_LARGE') as soon as a header announces
   * more than the cap, before buffering the body, so a peer cannot make us
   * hold memory by announcing 4 GiB.
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.#failed) throw new WireError('CONTROL_STREAM_FAILED', 'frame stream already failed');
    if (chunk.length > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.#buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.#buffered < HEADER) break;
      const head = this.#peek(HEADER);
      const len = head.readUInt32BE(0);
      if (len > this.#max) {
        this.#failed = true;
        this.#chunks = [];
        this.#buffered = 0;
        throw new WireError('CONTROL_FRAME_TOO_LARGE', `frame of ${len} bytes exceeds the ${this.#max}-byte limit`);
      }
      if (this.#buffered < HEADER + len) break;
      const all = this.#take(HEADER + len);
      frames.push(all.subarray(HEADER));
    }
    return frames;
  }

  /** Joins the buffered chunks into one (only when a frame boundary needs it). */
  #flatten(): Buffer {
    if (this.#chunks.length !== 1) {
      this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    }
    const only = this.#chunks[0];
    if (only === undefined) return Buffer.alloc(0);
    return only;
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) return first;
    return this.#flatten();
  }

  #take(n: number): Buffer {
    const all = this.#flatten();
    // Copy the frame out so the rest of the buffer can be released independently.
    const frame = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return frame;
  }
}

/** Encodes one JSON document as a frame. Throws WireError if it is too large. */
export function encodeFrame(doc: unknown, maxFrameBytes: number = MAX_FRAME_BYTES): Buffer {
  const body = Buffer.from(JSON.stringify(doc) ?? 'null', 'utf8');
  if (body.length > maxFrameBytes) {
    throw new WireError('CONTROL_FRAME_TOO_LARGE', `frame of ${body.length} bytes exceeds the ${maxFrameBytes}-byte limit`);
  }
  const out = Buffer.allocUnsafe(HEADER + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, HEADER);
  return out;
}

/** Parses a frame body as JSON; `{ ok: false }` on invalid UTF-8 or JSON. */
export function decodeJson(body: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
