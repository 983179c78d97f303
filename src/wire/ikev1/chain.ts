/**
 * ISAKMP payload chain (RFC 2408 §3.2): each payload starts with the generic
 * header, whose Next Payload names the following payload; NONE (0) ends it.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Proposal and Transform payloads live only inside an SA payload; seeing
 * them at the top level is malformed. In decrypted messages the chain is
 * followed by CBC padding (RFC 2408 §3.1 / RFC 2409 App. B), so trailing
 * bytes are allowed there.
 */
import { V1Payload } from '../../iana/ikev1.js';
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import { MAX_ISAKMP_MESSAGE, MAX_V1_PAYLOADS, V1_GENERIC_HEADER_LENGTH, WireCode, wireFail, withOffset } from './limits.js';
import { decodeV1PayloadBody, encodeV1PayloadBody } from './payloads.js';
import type { IsakmpPayload, PayloadEntry } from './types.js';

export interface V1ChainOptions {
  /** the chain is decrypted plaintext: bytes after the last payload are padding */
  readonly allowTrailing?: boolean;
}

export function decodeV1Chain(firstType: number, bytes: Uint8Array, opts: V1ChainOptions = {}): PayloadEntry[] {
  const r = new ByteReader(bytes);
  const out: PayloadEntry[] = [];
  let type = firstType;
  while (type !== V1Payload.NONE) {
    const at = r.offset;
    // every payload consumes >= 4 bytes, so the loop ends; the cap bounds work further
    if (out.length >= MAX_V1_PAYLOADS) wireFail(WireCode.TOO_MANY, `more than ${MAX_V1_PAYLOADS} payloads`, at, type);
    if (type === V1Payload.PROPOSAL || type === V1Payload.TRANSFORM) wireFail(WireCode.STRUCTURE, `payload type ${type} outside an SA payload`, at, type);
    if (r.remaining < V1_GENERIC_HEADER_LENGTH) wireFail(WireCode.TRUNCATED, `payload type ${type} announced but ${r.remaining} bytes remain`, at, type);
    const next = r.u8();
    r.u8(); // RESERVED: "MUST be set to 0" on send; ignored on receipt
    const length = r.u16();
    if (length < V1_GENERIC_HEADER_LENGTH) wireFail(WireCode.LENGTH, `payload length ${length} < 4`, at + 2, type);
    if (length - V1_GENERIC_HEADER_LENGTH > r.remaining) wireFail(WireCode.TRUNCATED, `payload length ${length} exceeds the ${r.remaining + 4} bytes left`, at + 2, type);
    const body = r.bytes(length - V1_GENERIC_HEADER_LENGTH);
    const payload = withOffset(at + V1_GENERIC_HEADER_LENGTH, type, () => decodeV1PayloadBody(type, body));
    out.push({ payload, body, start: at, end: r.offset });
    type = next;
  }
  if (r.remaining !== 0 && opts.allowTrailing !== true) wireFail(WireCode.TRAILING, `${r.remaining} bytes after the last payload`, r.offset);
  return out;
}

/** Encodes a chain, filling the Next Payload fields; returns the first payload's type. */
export function encodeV1Chain(payloads: readonly IsakmpPayload[]): { firstType: number; bytes: Uint8Array } {
  if (payloads.length > MAX_V1_PAYLOADS) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'too many payloads');
  const w = new ByteWriter(512);
  payloads.forEach((p, i) => {
    const next = payloads[i + 1]?.type ?? V1Payload.NONE;
    const body = encodeV1PayloadBody(p);
    const len = body.length + V1_GENERIC_HEADER_LENGTH;
    if (len > 0xffff) throw new KeywayError('IKE_ERR_ENCODE_TOO_LARGE', `payload length ${len} out of range`);
    w.u8(next).u8(0).u16(len).bytes(body);
    if (w.length > MAX_ISAKMP_MESSAGE) throw new KeywayError('IKE_ERR_ENCODE_TOO_LARGE', 'payload chain too large');
  });
  return { firstType: payloads[0]?.type ?? V1Payload.NONE, bytes: w.finish() };
}

/** Typed finders over decoded entries. */
export function findV1<T extends number>(entries: readonly PayloadEntry[], type: T): Extract<IsakmpPayload, { type: T }> | undefined {
  return findV1Entry(entries, type)?.payload;
}

export function allV1<T extends number>(entries: readonly PayloadEntry[], type: T): Extract<IsakmpPayload, { type: T }>[] {
  return entries.filter((x) => x.payload.type === type && !('unknown' in x.payload)).map((x) => x.payload as Extract<IsakmpPayload, { type: T }>);
}

/** The first entry of a type together with its typed payload (for HASH/ID bodies). */
export function findV1Entry<T extends number>(entries: readonly PayloadEntry[], type: T): { readonly entry: PayloadEntry; readonly payload: Extract<IsakmpPayload, { type: T }> } | undefined {
  const entry = entries.find((x) => x.payload.type === type && !('unknown' in x.payload));
  return entry === undefined ? undefined : { entry, payload: entry.payload as Extract<IsakmpPayload, { type: T }> };
}
