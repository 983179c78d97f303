/**
 * Dispatch from a payload type to its body codec (RFC 7296 §3.2 "Next
 * Payload" values). Types we do not decode become UnknownPayload so the
 * rules can apply §2.5 (critical bit) to them.
 */
import { PayloadType } from '../../iana/ikev2.js';
import type { Payload } from './types.js';
import { decodeSaBody, encodeSaBody } from './payloads/sa.js';
import { decodeKeBody, encodeKeBody } from './payloads/ke.js';
import { decodeIdBody, encodeIdBody } from './payloads/id.js';
import { decodeCertBody, encodeCertBody } from './payloads/cert.js';
import { decodeCertReqBody, encodeCertReqBody } from './payloads/certreq.js';
import { decodeAuthBody, encodeAuthBody } from './payloads/auth.js';
import { decodeNonceBody, encodeNonceBody } from './payloads/nonce.js';
import { decodeNotifyBody, encodeNotifyBody } from './payloads/notify.js';
import { decodeDeleteBody, encodeDeleteBody } from './payloads/delete.js';
import { decodeVendorBody, encodeVendorBody } from './payloads/vendor.js';
import { decodeTsBody, encodeTsBody } from './payloads/ts.js';
import { decodeSkBody, decodeSkfBody, encodeSkBody, encodeSkfBody } from './payloads/sk.js';
import { decodeCpBody, encodeCpBody } from './payloads/cp.js';
import { decodeEapBody, encodeEapBody } from './payloads/eap.js';

/** Wire type number of a payload value. */
export function payloadTypeOf(p: Payload): number {
  return p.type === 'unknown' ? p.rawType : p.type;
}

/**
 * Decodes one payload body. `nextPayload` is only used by SK/SKF, whose
 * generic header names the first inner payload (§3.14).
 */
export function decodePayloadBody(type: number, nextPayload: number, body: Uint8Array, critical: boolean): Payload {
  switch (type) {
    case PayloadType.SA: return decodeSaBody(body, critical);
    case PayloadType.KE: return decodeKeBody(body, critical);
    case PayloadType.IDi: return decodeIdBody(PayloadType.IDi, body, critical);
    case PayloadType.IDr: return decodeIdBody(PayloadType.IDr, body, critical);
    case PayloadType.CERT: return decodeCertBody(body, critical);
    case PayloadType.CERTREQ: return decodeCertReqBody(body, critical);
    case PayloadType.AUTH: return decodeAuthBody(body, critical);
    case PayloadType.NONCE: return decodeNonceBody(body, critical);
    case PayloadType.NOTIFY: return decodeNotifyBody(body, critical);
    case PayloadType.DELETE: return decodeDeleteBody(body, critical);
    case PayloadType.VENDOR_ID: return decodeVendorBody(body, critical);
    case PayloadType.TSi: return decodeTsBody(PayloadType.TSi, body, critical);
    case PayloadType.TSr: return decodeTsBody(PayloadType.TSr, body, critical);
    case PayloadType.SK: return decodeSkBody(nextPayload, body, critical);
    case PayloadType.CP: return decodeCpBody(body, critical);
    case PayloadType.EAP: return decodeEapBody(body, critical);
    case PayloadType.SKF: return decodeSkfBody(nextPayload, body, critical);
    default: return { type: 'unknown', rawType: type, critical, data: body.slice() };
  }
}

export function encodePayloadBody(p: Payload): Uint8Array {
  switch (p.type) {
    case 33: return encodeSaBody(p);
    case 34: return encodeKeBody(p);
    case 35:
    case 36: return encodeIdBody(p);
    case 37: return encodeCertBody(p);
    case 38: return encodeCertReqBody(p);
    case 39: return encodeAuthBody(p);
    case 40: return encodeNonceBody(p);
    case 41: return encodeNotifyBody(p);
    case 42: return encodeDeleteBody(p);
    case 43: return encodeVendorBody(p);
    case 44:
    case 45: return encodeTsBody(p);
    case 46: return encodeSkBody(p);
    case 47: return encodeCpBody(p);
    case 48: return encodeEapBody(p);
    case 53: return encodeSkfBody(p);
    case 'unknown': return p.data.slice();
  }
}
