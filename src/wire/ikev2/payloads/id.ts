/**
 * Identification payload body, IDi (35) and IDr (36) (RFC 7296 §3.5).
 * The three RESERVED octets are kept: §2.15 signs the payload body
 * (RestOfInitIDPayload) exactly as sent, reserved octets included.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   ID Type     |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Identification Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { KeywayError } from '../../../util/errors.js';
import type { IdPayload } from '../types.js';

export function decodeIdBody(type: 35 | 36, body: Uint8Array, critical: boolean): IdPayload {
  const r = new ByteReader(body);
  const idType = r.u8('ID type');
  const reserved = r.bytes(3, 'ID reserved').slice();
  return { type, critical, idType, reserved, data: r.rest().slice() };
}

export function encodeIdBody(p: IdPayload): Uint8Array {
  if (p.reserved.length !== 3) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'ID reserved must be 3 bytes');
  return new ByteWriter(4 + p.data.length).u8(p.idType).bytes(p.reserved).bytes(p.data).finish();
}
