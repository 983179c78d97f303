/**
 * Payload chain walker (RFC 7296 §3.2). Every payload starts with the
 * generic payload header; its Next Payload field names the type of the
 * payload that follows, NONE (0) ends the chain.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Payload Length includes the 4 header octets. SK and SKF are special
 * (§3.14, RFC 7383 §2.5): they MUST be the last payload, and their Next
 * Payload names the first payload *inside* the encrypted data, so the walk
 * stops there.
 */
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import { PayloadType } from '../../iana/ikev2.js';
import type { Payload } from './types.js';
import { decodePayloadBody, encodePayloadBody, payloadTypeOf } from './body.js';
import { GENERIC_HEADER_LENGTH, MAX_IKE_MESSAGE, MAX_PAYLOADS, WireCode, wireFail, withOffset } from './limits.js';

export { payloadTypeOf } from './body.js';

const CRITICAL_BIT = 0x80;

export interface ChainOptions {
  /**
   * Set when decoding the plaintext of an SK payload: an SK or SKF inside
   * it is malformed (§3.14 allows one Encrypted payload per message).
   */
  readonly inner?: boolean;
}

function isEncrypted(type: number): boolean {
  return type === PayloadType.SK || type === PayloadType.SKF;
}

export function decodePayloadChain(firstType: number, bytes: Uint8Array, opts: ChainOptions = {}): Payload[] {
  const r = new ByteReader(bytes);
  const out: Payload[] = [];
  let type = firstType;
  while (type !== PayloadType.NONE) {
    const at = r.offset;
    // Every payload consumes >= 4 bytes, so the walk is bounded by the buffer
    // length; the count cap bounds the work per message further.
    if (out.length >= MAX_PAYLOADS) wireFail(WireCode.TOO_MANY, `more than ${MAX_PAYLOADS} payloads`, at, type);
    if (type > 0xff || type < 0) wireFail(WireCode.VALUE, `payload type ${type} out of range`, at);
    if (r.remaining < GENERIC_HEADER_LENGTH) {
      wireFail(WireCode.TRUNCATED, `payload type ${type} announced but only ${r.remaining} bytes remain`, at, type);
    }
    const next = r.u8();
    const critical = (r.u8() & CRITICAL_BIT) !== 0; // the 7 RESERVED bits are ignored
    const length = r.u16();
    if (length < GENERIC_HEADER_LENGTH) wireFail(WireCode.LENGTH, `payload length ${length} < 4`, at + 2, type);
    if (length - GENERIC_HEADER_LENGTH > r.remaining) {
      wireFail(WireCode.TRUNCATED, `payload length ${length} exceeds the ${r.remaining + 4} bytes left`, at + 2, type);
    }
    const body = r.bytes(length - GENERIC_HEADER_LENGTH);
    if (isEncrypted(type) && opts.inner === true) {
      wireFail(WireCode.STRUCTURE, 'encrypted payload inside an encrypted payload', at, type);
    }
    out.push(withOffset(at + GENERIC_HEADER_LENGTH, type, () => decodePayloadBody(type, next, body, critical)));
    if (isEncrypted(type)) {
      // §3.14: "the Encrypted payload, if present in a message, MUST be the last payload"
      if (r.remaining !== 0) wireFail(WireCode.SK_NOT_LAST, `${r.remaining} bytes after the encrypted payload`, r.offset, type);
      return out;
    }
    type = next;
  }
  if (r.remaining !== 0) wireFail(WireCode.TRAILING, `${r.remaining} bytes after the last payload`, r.offset);
  return out;
}

/** The 4-octet generic payload header (§3.2). */
export function encodeGenericHeader(next: number, critical: boolean, length: number): Uint8Array {
  if (length < GENERIC_HEADER_LENGTH || length > 0xffff) {
    throw new KeywayError('IKE_ERR_ENCODE_TOO_LARGE', `payload length ${length} out of range`);
  }
  return new ByteWriter(4).u8(next).u8(critical ? CRITICAL_BIT : 0).u16(length).finish();
}

/**
 * Chains payloads, filling each Next Payload field. An SK/SKF payload must
 * be last; its own Next Payload comes from its `nextPayload` value.
 */
export function encodePayloadChain(payloads: readonly Payload[]): { firstType: number; bytes: Uint8Array } {
  if (payloads.length > MAX_PAYLOADS) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'too many payloads');
  const w = new ByteWriter(512);
  payloads.forEach((p, i) => {
    const following = payloads[i + 1];
    let next: number = following === undefined ? PayloadType.NONE : payloadTypeOf(following);
    if (p.type === PayloadType.SK || p.type === PayloadType.SKF) {
      if (following !== undefined) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'SK/SKF must be the last payload');
      next = p.nextPayload;
    }
    const body = encodePayloadBody(p);
    w.bytes(encodeGenericHeader(next, p.critical, body.length + GENERIC_HEADER_LENGTH)).bytes(body);
    if (w.length > MAX_IKE_MESSAGE) throw new KeywayError('IKE_ERR_ENCODE_TOO_LARGE', 'payload chain too large');
  });
  const first = payloads[0];
  return { firstType: first === undefined ? PayloadType.NONE : payloadTypeOf(first), bytes: w.finish() };
}
