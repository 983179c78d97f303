/**
 * The 28-octet header layout that IKEv2 kept from ISAKMP (RFC 2408 §3.1,
 * RFC 7296 §3.1): two 8-octet SPIs (cookies), next payload, version nibbles,
 * exchange type, flags, message ID and length. Both versions' header codecs
 * read it here and only interpret the flags and check the version themselves.
 */
import { ByteReader } from '../../util/bytes.js';

export const HEADER_LAYOUT_LENGTH = 28;

export interface RawHeaderLayout {
  readonly spiI: Uint8Array;
  readonly spiR: Uint8Array;
  readonly nextPayload: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly exchangeType: number;
  readonly flags: number;
  readonly messageId: number;
  readonly length: number;
}

/** Reads the 28 header octets without judging them; throws WireError if fewer are there. */
export function readHeaderLayout(bytes: Uint8Array, what: string): RawHeaderLayout {
  const r = new ByteReader(bytes);
  r.need(HEADER_LAYOUT_LENGTH, what);
  const spiI = r.bytes(8).slice();
  const spiR = r.bytes(8).slice();
  const nextPayload = r.u8();
  const ver = r.u8();
  const exchangeType = r.u8();
  const flags = r.u8();
  const messageId = r.u32();
  const length = r.u32();
  return { spiI, spiR, nextPayload, majorVersion: ver >>> 4, minorVersion: ver & 0x0f, exchangeType, flags, messageId, length };
}
