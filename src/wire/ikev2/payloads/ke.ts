/**
 * Key Exchange payload body (RFC 7296 §3.4). The data's length is checked
 * against the group by the KE task (INVALID_SYNTAX / INVALID_KE_PAYLOAD).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Key Exchange Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { KePayload } from '../types.js';

export function decodeKeBody(body: Uint8Array, critical: boolean): KePayload {
  const r = new ByteReader(body);
  const group = r.u16('KE group');
  r.skip(2, 'KE reserved'); // RESERVED: ignored on receipt
  return { type: PayloadType.KE, critical, group, data: r.rest().slice() };
}

export function encodeKeBody(p: KePayload): Uint8Array {
  return new ByteWriter(4 + p.data.length).u16(p.group).u16(0).bytes(p.data).finish();
}
