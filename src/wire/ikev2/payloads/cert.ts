/**
 * Certificate payload body (RFC 7296 §3.6).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                       Certificate Data                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { CertPayload } from '../types.js';

export function decodeCertBody(body: Uint8Array, critical: boolean): CertPayload {
  const r = new ByteReader(body);
  const encoding = r.u8('cert encoding');
  return { type: PayloadType.CERT, critical, encoding, data: r.rest().slice() };
}

export function encodeCertBody(p: CertPayload): Uint8Array {
  return new ByteWriter(1 + p.data.length).u8(p.encoding).bytes(p.data).finish();
}
