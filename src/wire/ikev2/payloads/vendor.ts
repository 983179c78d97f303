/**
 * Vendor ID payload body (RFC 7296 §3.12): an opaque identifier.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        Vendor ID (VID)                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { PayloadType } from '../../../iana/ikev2.js';
import type { VendorIdPayload } from '../types.js';

export function decodeVendorBody(body: Uint8Array, critical: boolean): VendorIdPayload {
  return { type: PayloadType.VENDOR_ID, critical, data: body.slice() };
}

export function encodeVendorBody(p: VendorIdPayload): Uint8Array {
  return p.data.slice();
}
