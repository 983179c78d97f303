/**
 * Nonce payload body (RFC 7296 §3.9).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                            Nonce Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * §3.9: "The size of the Nonce Data MUST be between 16 and 256 octets,
 * inclusive." Enforced here so every caller gets it (INVALID_SYNTAX).
 */
import { KeywayError } from '../../../util/errors.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { NoncePayload } from '../types.js';
import { MAX_NONCE, MIN_NONCE, WireCode, wireFail } from '../limits.js';

export function decodeNonceBody(body: Uint8Array, critical: boolean): NoncePayload {
  if (body.length < MIN_NONCE || body.length > MAX_NONCE) {
    wireFail(WireCode.VALUE, `nonce of ${body.length} bytes is outside ${MIN_NONCE}..${MAX_NONCE}`, 0, PayloadType.NONCE);
  }
  return { type: PayloadType.NONCE, critical, data: body.slice() };
}

export function encodeNonceBody(p: NoncePayload): Uint8Array {
  if (p.data.length < MIN_NONCE || p.data.length > MAX_NONCE) {
    throw new KeywayError('IKE_ERR_ENCODE_INVALID', `nonce must be ${MIN_NONCE}..${MAX_NONCE} bytes`);
  }
  return p.data.slice();
}
