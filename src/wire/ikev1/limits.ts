/**
 * Caps of the ISAKMP codec: our own policy (RFC 2408 sets no upper bounds),
 * they bound the work a hostile datagram can cause. Error codes are shared
 * with the IKEv2 codec so counters and tests speak one language.
 */
export { WireCode, wireFail, withOffset } from '../ikev2/limits.js';

/** RFC 2408 §3.1: the fixed ISAKMP header is 28 octets. */
export const ISAKMP_HEADER_LENGTH = 28;
/** RFC 2408 §3.2: the generic payload header is 4 octets. */
export const V1_GENERIC_HEADER_LENGTH = 4;
/** Largest message we accept or build (one UDP datagram). */
export const MAX_ISAKMP_MESSAGE = 65535;

export const MAX_V1_PAYLOADS = 64;
export const MAX_V1_PROPOSALS = 64;
export const MAX_V1_TRANSFORMS = 64;
export const MAX_V1_ATTRIBUTES = 32;
export const MAX_V1_DELETE_SPIS = 256;
/** RFC 2409 §5: "The length of nonce payload MUST be between 8 and 256 bytes inclusive." */
export const MIN_V1_NONCE = 8;
export const MAX_V1_NONCE = 256;
