/**
 * Typed values of the IKEv2 wire format (RFC 7296 §3). The codec modules turn
 * bytes into these and back; nothing here knows about SAs or crypto.
 */

/** RFC 7296 §3.1 IKE header. Lengths are computed by the encoder. */
export interface IkeHeader {
  /** 8-byte IKE SA Initiator's SPI */
  readonly spiI: Uint8Array;
  /** 8-byte IKE SA Responder's SPI (zero in the first IKE_SA_INIT request) */
  readonly spiR: Uint8Array;
  /** type of the first payload */
  readonly nextPayload: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly exchangeType: number;
  /** I flag: set by the original initiator of the IKE SA */
  readonly initiator: boolean;
  /** R flag: this message is a response */
  readonly response: boolean;
  /** V flag (must be 0 for v2 senders; ignored on receipt) */
  readonly version: boolean;
  readonly messageId: number;
  /** total message length (from the wire when decoding; ignored when encoding) */
  readonly length: number;
}

/** RFC 7296 §3.3.5 transform attribute; TV form when `tv` is true (AF bit). */
export interface TransformAttribute {
  readonly type: number;
  readonly tv: boolean;
  /** for TV: the 16-bit value; for TLV: 0 */
  readonly value: number;
  /** for TLV: the value bytes; for TV: empty */
  readonly data: Uint8Array;
}

/** RFC 7296 §3.3.2 */
export interface Transform {
  readonly type: number;
  readonly id: number;
  readonly attributes: readonly TransformAttribute[];
}

/** RFC 7296 §3.3.1 */
export interface Proposal {
  readonly number: number;
  readonly protocolId: number;
  /** SPI: empty for an initial IKE SA negotiation, 8 bytes for IKE rekey, 4 for ESP/AH */
  readonly spi: Uint8Array;
  readonly transforms: readonly Transform[];
}

export interface SaPayload {
  readonly type: 33;
  readonly critical: boolean;
  readonly proposals: readonly Proposal[];
}

/** RFC 7296 §3.4 */
export interface KePayload {
  readonly type: 34;
  readonly critical: boolean;
  readonly group: number;
  readonly data: Uint8Array;
}

/** RFC 7296 §3.5 (IDi = 35, IDr = 36) */
export interface IdPayload {
  readonly type: 35 | 36;
  readonly critical: boolean;
  readonly idType: number;
  /** the 3 RESERVED bytes are part of the AUTH computation (§2.15); we keep them */
  readonly reserved: Uint8Array;
  readonly data: Uint8Array;
}

/** RFC 7296 §3.6 */
export interface CertPayload {
  readonly type: 37;
  readonly critical: boolean;
  readonly encoding: number;
  readonly data: Uint8Array;
}

/** RFC 7296 §3.7 */
export interface CertReqPayload {
  readonly type: 38;
  readonly critical: boolean;
  readonly encoding: number;
  /** concatenated 20-byte SHA-1 hashes of CA public keys for X.509 */
  readonly data: Uint8Array;
}

/** RFC 7296 §3.8 */
export interface AuthPayload {
  readonly type: 39;
  readonly critical: boolean;
  readonly method: number;
  readonly data: Uint8Array;
}

/** RFC 7296 §3.9 */
export interface NoncePayload {
  readonly type: 40;
  readonly critical: boolean;
  readonly data: Uint8Array;
}

/** RFC 7296 §3.10 */
export interface NotifyPayload {
  readonly type: 41;
  readonly critical: boolean;
  readonly protocolId: number;
  readonly spi: Uint8Array;
  readonly notifyType: number;
  readonly data: Uint8Array;
}

/** RFC 7296 §3.11 */
export interface DeletePayload {
  readonly type: 42;
  readonly critical: boolean;
  readonly protocolId: number;
  /** SPI size is implied: 0 for IKE, 4 for ESP/AH; all SPIs have this size */
  readonly spiSize: number;
  readonly spis: readonly Uint8Array[];
}

/** RFC 7296 §3.12 */
export interface VendorIdPayload {
  readonly type: 43;
  readonly critical: boolean;
  readonly data: Uint8Array;
}

/** RFC 7296 §3.13.1 */
export interface TrafficSelector {
  readonly tsType: number;
  readonly ipProtocol: number;
  readonly startPort: number;
  readonly endPort: number;
  /** 4 bytes for TS_IPV4_ADDR_RANGE, 16 for TS_IPV6_ADDR_RANGE */
  readonly startAddress: Uint8Array;
  readonly endAddress: Uint8Array;
}

/** RFC 7296 §3.13 (TSi = 44, TSr = 45) */
export interface TsPayload {
  readonly type: 44 | 45;
  readonly critical: boolean;
  readonly selectors: readonly TrafficSelector[];
}

/**
 * RFC 7296 §3.14 Encrypted payload. When decoding, `nextPayload` is the type
 * of the first inner payload and `data` is IV | ciphertext | ICV (undecrypted).
 */
export interface SkPayload {
  readonly type: 46;
  readonly critical: boolean;
  readonly nextPayload: number;
  readonly data: Uint8Array;
}

/** RFC 7383 §2.5 Encrypted Fragment payload */
export interface SkfPayload {
  readonly type: 53;
  readonly critical: boolean;
  readonly nextPayload: number;
  readonly fragmentNumber: number;
  readonly totalFragments: number;
  readonly data: Uint8Array;
}

/** RFC 7296 §3.15.1 */
export interface CfgAttribute {
  readonly type: number;
  readonly value: Uint8Array;
}

/** RFC 7296 §3.15 */
export interface CpPayload {
  readonly type: 47;
  readonly critical: boolean;
  readonly cfgType: number;
  readonly attributes: readonly CfgAttribute[];
}

/** RFC 7296 §3.16: the EAP message is carried opaque (RFC 3748 format) */
export interface EapPayload {
  readonly type: 48;
  readonly critical: boolean;
  readonly data: Uint8Array;
}

/** Any payload type we do not decode; kept so the critical-bit rule can be applied (§2.5). */
export interface UnknownPayload {
  readonly type: 'unknown';
  readonly rawType: number;
  readonly critical: boolean;
  readonly data: Uint8Array;
}

export type Payload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | CertReqPayload
  | AuthPayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorIdPayload
  | TsPayload
  | SkPayload
  | SkfPayload
  | CpPayload
  | EapPayload
  | UnknownPayload;

/** A decoded message in the clear: header plus payload chain (SK still sealed if present). */
export interface IkeMessage {
  readonly header: IkeHeader;
  readonly payloads: readonly Payload[];
}
