/**
 * Caps and error codes of the IKEv2 codec. The caps are our own policy
 * (RFC 7296 sets no upper bounds for most counts); they bound the work a
 * hostile datagram can cause, following strongSwan's MAX_* constants.
 */
import { WireError } from '../../util/errors.js';

/** RFC 7296 §3.1: the fixed IKE header is 28 octets. */
export const IKE_HEADER_LENGTH = 28;
/**
 * Largest IKE message we accept or build. A UDP datagram carries at most
 * 65535 - 8 octets of payload, and RFC 8229 §3 (IKE over TCP) frames each
 * message with a 16-bit length, so no valid message is longer than 65535.
 */
export const MAX_IKE_MESSAGE = 65535;
/** RFC 7296 §3.2: the generic payload header is 4 octets. */
export const GENERIC_HEADER_LENGTH = 4;

export const MAX_PAYLOADS = 128;
export const MAX_PROPOSALS = 64;
export const MAX_TRANSFORMS = 64;
export const MAX_ATTRIBUTES = 32;
export const MAX_TRAFFIC_SELECTORS = 64;
export const MAX_DELETE_SPIS = 256;
export const MAX_NOTIFIES = 64;
export const MAX_CFG_ATTRIBUTES = 64;
/** RFC 7296 §3.9: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive." */
export const MIN_NONCE = 16;
export const MAX_NONCE = 256;

/** Stable error codes (ARCHITECTURE B4). */
export const WireCode = {
  TRUNCATED: 'IKE_ERR_DECODE_TRUNCATED',
  VERSION: 'IKE_ERR_VERSION',
  LENGTH: 'IKE_ERR_DECODE_LENGTH',
  TOO_MANY: 'IKE_ERR_DECODE_TOO_MANY',
  TOO_LARGE: 'IKE_ERR_DECODE_TOO_LARGE',
  TRAILING: 'IKE_ERR_DECODE_TRAILING',
  SPI_SIZE: 'IKE_ERR_DECODE_SPI_SIZE',
  STRUCTURE: 'IKE_ERR_DECODE_STRUCTURE',
  VALUE: 'IKE_ERR_DECODE_VALUE',
  SK_NOT_LAST: 'IKE_ERR_DECODE_SK_NOT_LAST',
} as const;

/** Shorthand for throwing a WireError from a payload decoder. */
export function wireFail(code: string, message: string, offset: number, payloadType?: number): never {
  throw new WireError(code, message, offset, payloadType);
}

/** Runs a body decoder and rebases its errors to the enclosing buffer. */
export function withOffset<T>(base: number, payloadType: number | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WireError) {
      throw new WireError(e.code, e.message, e.offset + base, e.payloadType ?? payloadType);
    }
    throw e;
  }
}
