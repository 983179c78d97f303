/**
 * Authentication payload body (RFC 7296 §3.8).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Auth Method   |                RESERVED                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Authentication Data                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { AuthPayload } from '../types.js';

export function decodeAuthBody(body: Uint8Array, critical: boolean): AuthPayload {
  const r = new ByteReader(body);
  const method = r.u8('auth method');
  r.skip(3, 'auth reserved'); // RESERVED: ignored on receipt
  return { type: PayloadType.AUTH, critical, method, data: r.rest().slice() };
}

export function encodeAuthBody(p: AuthPayload): Uint8Array {
  return new ByteWriter(4 + p.data.length).u8(p.method).u8(0).u16(0).bytes(p.data).finish();
}
