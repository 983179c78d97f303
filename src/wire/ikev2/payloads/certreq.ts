/**
 * Certificate Request payload body (RFC 7296 §3.7). For X.509 the
 * Certification Authority field is a list of 20-octet SHA-1 hashes of CA
 * public keys; splitting it is left to pki/ (other encodings differ).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                    Certification Authority                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { CertReqPayload } from '../types.js';

export function decodeCertReqBody(body: Uint8Array, critical: boolean): CertReqPayload {
  const r = new ByteReader(body);
  const encoding = r.u8('cert encoding');
  return { type: PayloadType.CERTREQ, critical, encoding, data: r.rest().slice() };
}

export function encodeCertReqBody(p: CertReqPayload): Uint8Array {
  return new ByteWriter(1 + p.data.length).u8(p.encoding).bytes(p.data).finish();
}
