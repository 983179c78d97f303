/**
 * EAP payload body (RFC 7296 §3.16). The EAP message (RFC 3748 §4) is
 * carried opaque; the EAP layer parses Code/Identifier/Length/Type.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       EAP Message                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { PayloadType } from '../../../iana/ikev2.js';
import type { EapPayload } from '../types.js';

export function decodeEapBody(body: Uint8Array, critical: boolean): EapPayload {
  return { type: PayloadType.EAP, critical, data: body.slice() };
}

export function encodeEapBody(p: EapPayload): Uint8Array {
  return p.data.slice();
}
