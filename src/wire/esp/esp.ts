/**
 * ESP packet codec (RFC 4303 §2). Pure: no crypto, no SA state. The
 * userspace dataplane uses it to cut received packets into their fields and
 * to lay out the packets it sends.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 * |               Security Parameters Index (SPI)                 | ^Int.
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
 * |                      Sequence Number                          | |ered
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
 * |              IV (explicit, per transform) ...                 | |   ^
 * ~                    Payload Data (variable)                    ~ |   |
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Conf.
 * |               |     Padding (0-255 bytes)                     | |Cov-
 * +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |ered*
 * |                               |  Pad Length   | Next Header   | v   v
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
 * |         Integrity Check Value-ICV   (variable)                |
 * ~                                                               ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Every decoder bounds-checks before reading and throws only WireError.
 */
import { WireError } from '../../util/errors.js';

/** SPI + Sequence Number (RFC 4303 §2). */
export const ESP_HEADER_LEN = 8;
/** Pad Length + Next Header (RFC 4303 §2.4-2.6). */
export const ESP_TRAILER_LEN = 2;
/** RFC 4303 §2.4: at most 255 padding bytes. */
export const ESP_MAX_PAD = 255;

/** Next Header values the dataplane cares about (IANA protocol numbers). */
export const NextHeader = {
  ICMP: 1,
  IPV4: 4,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ICMPV6: 58,
  /** RFC 4303 §2.6: a dummy packet (TFC), to be discarded by the receiver */
  NO_NEXT_HEADER: 59,
} as const;

export interface EspHeader {
  readonly spi: number;
  /** low 32 bits of the sequence number as sent */
  readonly seq: number;
}

/** The parts of a received ESP packet, as views into the input (no copies). */
export interface EspParts extends EspHeader {
  /** SPI + Sequence Number (+ IV for the AEAD AAD it is not needed) */
  readonly header: Uint8Array;
  readonly iv: Uint8Array;
  /** encrypted Payload + Padding + Pad Length + Next Header */
  readonly ciphertext: Uint8Array;
  readonly icv: Uint8Array;
  /** everything the ICV covers for non-AEAD transforms: header, IV, ciphertext (RFC 4303 §2.8) */
  readonly authenticated: Uint8Array;
}

export interface EspTrailer {
  /** length of the Payload Data before Padding */
  readonly payloadLength: number;
  readonly padLength: number;
  readonly nextHeader: number;
}

function u32(b: Uint8Array, off: number): number {
  return (((b[off] ?? 0) << 24) | ((b[off + 1] ?? 0) << 16) | ((b[off + 2] ?? 0) << 8) | (b[off + 3] ?? 0)) >>> 0;
}

/**
 * SPI and sequence number of an ESP packet. SPI 0 is reserved and never sent
 * (RFC 4303 §2.1), so it is malformed here.
 */
export function decodeEspHeader(packet: Uint8Array): EspHeader {
  if (packet.length < ESP_HEADER_LEN) {
    throw new WireError('ESP_TRUNCATED', `ESP packet of ${packet.length} bytes is shorter than its ${ESP_HEADER_LEN}-byte header`, 0);
  }
  const spi = u32(packet, 0);
  if (spi === 0) throw new WireError('ESP_SPI_ZERO', 'ESP SPI 0 is reserved (RFC 4303 §2.1)', 0);
  return { spi, seq: u32(packet, 4) };
}

/**
 * Splits a packet into header, IV, ciphertext and ICV for a transform with
 * the given sizes. `blockSize` > 1 requires the ciphertext to be a whole
 * number of blocks (RFC 4303 §2.4); every transform needs room for at least
 * the two trailer bytes.
 */
export function splitEsp(packet: Uint8Array, ivLength: number, icvLength: number, blockSize: number): EspParts {
  const { spi, seq } = decodeEspHeader(packet);
  const ctStart = ESP_HEADER_LEN + ivLength;
  const ctLen = packet.length - ctStart - icvLength;
  if (ctLen < ESP_TRAILER_LEN) {
    throw new WireError('ESP_TRUNCATED', `ESP packet of ${packet.length} bytes has no room for IV ${ivLength}, trailer and ICV ${icvLength}`, ESP_HEADER_LEN);
  }
  const align = Math.max(blockSize, 4);
  // RFC 4303 §2.4: the ciphertext ends on a 4-byte boundary (or the cipher's block)
  if (ctLen % align !== 0) {
    throw new WireError('ESP_ALIGNMENT', `ESP ciphertext of ${ctLen} bytes is not a multiple of ${align}`, ctStart);
  }
  return {
    spi,
    seq,
    header: packet.subarray(0, ESP_HEADER_LEN),
    iv: packet.subarray(ESP_HEADER_LEN, ctStart),
    ciphertext: packet.subarray(ctStart, ctStart + ctLen),
    icv: packet.subarray(ctStart + ctLen),
    authenticated: packet.subarray(0, ctStart + ctLen),
  };
}

/** Writes SPI and sequence number at `off` (network byte order). */
export function encodeEspHeader(out: Uint8Array, off: number, spi: number, seq: number): void {
  if (off < 0 || off + ESP_HEADER_LEN > out.length) throw new WireError('ESP_ENCODE', 'no room for the ESP header', off);
  out[off] = spi >>> 24;
  out[off + 1] = (spi >>> 16) & 0xff;
  out[off + 2] = (spi >>> 8) & 0xff;
  out[off + 3] = spi & 0xff;
  out[off + 4] = seq >>> 24;
  out[off + 5] = (seq >>> 16) & 0xff;
  out[off + 6] = (seq >>> 8) & 0xff;
  out[off + 7] = seq & 0xff;
}

/**
 * Padding bytes needed after `payloadLength` bytes so that payload + padding
 * + the two trailer bytes fill whole cipher blocks and end on a 4-byte
 * boundary (RFC 4303 §2.4):
 *   pad = (-(payloadLength + 2)) mod max(blockSize, 4)
 */
export function espPadLength(payloadLength: number, blockSize: number): number {
  const align = Math.max(blockSize, 4);
  const rem = (payloadLength + ESP_TRAILER_LEN) % align;
  return rem === 0 ? 0 : align - rem;
}

/**
 * Writes Padding (the default monotonic 1, 2, 3, ... of RFC 4303 §2.4),
 * Pad Length and Next Header at `off`; returns the offset after them.
 */
export function writeEspTrailer(out: Uint8Array, off: number, padLength: number, nextHeader: number): number {
  if (padLength < 0 || padLength > ESP_MAX_PAD) throw new WireError('ESP_ENCODE', `invalid pad length ${padLength}`, off);
  const end = off + padLength + ESP_TRAILER_LEN;
  if (off < 0 || end > out.length) throw new WireError('ESP_ENCODE', 'no room for the ESP trailer', off);
  for (let i = 0; i < padLength; i++) out[off + i] = i + 1;
  out[off + padLength] = padLength;
  out[off + padLength + 1] = nextHeader & 0xff;
  return end;
}

/**
 * Reads the trailer of a decrypted ESP payload. With `checkPadding` the
 * padding must be the default 1, 2, 3, ... sequence (RFC 4303 §2.4: the
 * receiver SHOULD inspect it; a mismatch points at a wrong key or a bug).
 */
export function decodeEspTrailer(plaintext: Uint8Array, checkPadding = true): EspTrailer {
  const n = plaintext.length;
  if (n < ESP_TRAILER_LEN) throw new WireError('ESP_TRUNCATED', 'decrypted ESP payload has no trailer', 0);
  const padLength = plaintext[n - 2] ?? 0;
  const nextHeader = plaintext[n - 1] ?? 0;
  const payloadLength = n - ESP_TRAILER_LEN - padLength;
  if (payloadLength < 0) {
    throw new WireError('ESP_PAD_LENGTH', `pad length ${padLength} exceeds the ${n - ESP_TRAILER_LEN} bytes before it`, n - 2);
  }
  if (checkPadding) {
    for (let i = 0; i < padLength; i++) {
      if (plaintext[payloadLength + i] !== i + 1) {
        throw new WireError('ESP_PADDING', `padding byte ${i + 1} is ${plaintext[payloadLength + i] ?? 0}, expected ${i + 1}`, payloadLength + i);
      }
    }
  }
  return { payloadLength, padLength, nextHeader };
}
