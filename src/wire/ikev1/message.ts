/**
 * Whole ISAKMP messages: header + payload chain. When the header's E flag is
 * set the body is ciphertext (RFC 2408 §3.1); decodeIsakmp then returns it
 * undecoded and message/v1-protect.ts decrypts it before decodeV1Chain.
 */
import { concatBytes } from '../../util/bytes.js';
import { decodeV1Chain, encodeV1Chain } from './chain.js';
import { decodeIsakmpHeader, encodeIsakmpHeader } from './header.js';
import { ISAKMP_HEADER_LENGTH } from './limits.js';
import type { IsakmpHeader, IsakmpHeaderFields, IsakmpPayload, PayloadEntry } from './types.js';

export interface IsakmpMessage {
  readonly header: IsakmpHeader;
  /** decoded payloads; empty when the message is encrypted */
  readonly entries: readonly PayloadEntry[];
  /** the bytes after the header, up to the header's Length */
  readonly body: Uint8Array;
}

export function decodeIsakmp(bytes: Uint8Array): IsakmpMessage {
  const header = decodeIsakmpHeader(bytes);
  const body = bytes.subarray(ISAKMP_HEADER_LENGTH, header.length);
  if (header.encrypted) return { header, entries: [], body };
  return { header, entries: decodeV1Chain(header.nextPayload, body), body };
}

/** Encodes a cleartext message. */
export function encodeIsakmp(h: IsakmpHeaderFields, payloads: readonly IsakmpPayload[]): Uint8Array {
  const chain = encodeV1Chain(payloads);
  return concatBytes(encodeIsakmpHeader({ ...h, encrypted: false }, chain.firstType, ISAKMP_HEADER_LENGTH + chain.bytes.length), chain.bytes);
}
