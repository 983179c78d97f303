/**
 * Typed values of the ISAKMP codec (RFC 2408 §3, RFC 2407 §4.6, RFC 3947).
 * Decoded payloads form a discriminated union keyed by the payload type.
 */
import type { V1Payload } from '../../iana/ikev1.js';

/** RFC 2408 §3.1 ISAKMP header */
export interface IsakmpHeader {
  /** Initiator / Responder cookies (8 octets each) */
  readonly spiI: Uint8Array;
  readonly spiR: Uint8Array;
  readonly nextPayload: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly exchangeType: number;
  /** E: the payloads after the header are encrypted (§3.1) */
  readonly encrypted: boolean;
  readonly commit: boolean;
  readonly authOnly: boolean;
  readonly messageId: number;
  /** total message length including the header */
  readonly length: number;
}

export type IsakmpHeaderFields = Omit<IsakmpHeader, 'length' | 'nextPayload'>;

/**
 * RFC 2408 §3.3 Data Attribute: AF = 1 is the short TV form (16-bit value),
 * AF = 0 the TLV form (length + value bytes). The form is kept so that a
 * decoded message re-encodes byte for byte.
 */
export type DataAttribute =
  | { readonly type: number; readonly format: 'tv'; readonly value: number }
  | { readonly type: number; readonly format: 'tlv'; readonly value: Uint8Array };

/** RFC 2408 §3.6 Transform payload */
export interface V1Transform {
  readonly number: number;
  readonly id: number;
  readonly attributes: readonly DataAttribute[];
}

/** RFC 2408 §3.5 Proposal payload (proposals sharing a number are ANDed, §4.2) */
export interface V1Proposal {
  readonly number: number;
  readonly protocolId: number;
  readonly spi: Uint8Array;
  readonly transforms: readonly V1Transform[];
}

type P = typeof V1Payload;

export interface SaPayload {
  readonly type: P['SA'];
  readonly doi: number;
  /** the Situation field (4 octets in the IPsec DOI, RFC 2407 §4.6.1) */
  readonly situation: Uint8Array;
  readonly proposals: readonly V1Proposal[];
  /** body bytes after DOI+Situation for DOIs we do not parse */
  readonly opaque?: Uint8Array;
}

export interface RawPayload<T extends number> {
  readonly type: T;
  readonly data: Uint8Array;
}

/** RFC 2408 §3.8 + RFC 2407 §4.6.2 Identification payload */
export interface IdPayload {
  readonly type: P['ID'];
  readonly idType: number;
  /** IPsec DOI: IP protocol and port (0 = any) */
  readonly protocolId: number;
  readonly port: number;
  readonly data: Uint8Array;
}

/** RFC 2408 §3.9 / §3.10 CERT and CR payloads */
export interface CertPayload<T extends P['CERT'] | P['CR'] = P['CERT'] | P['CR']> {
  readonly type: T;
  readonly encoding: number;
  readonly data: Uint8Array;
}

/** RFC 2408 §3.14 Notification payload */
export interface NotifyPayload {
  readonly type: P['N'];
  readonly doi: number;
  readonly protocolId: number;
  readonly notifyType: number;
  readonly spi: Uint8Array;
  readonly data: Uint8Array;
}

/** RFC 2408 §3.15 Delete payload */
export interface DeletePayload {
  readonly type: P['D'];
  readonly doi: number;
  readonly protocolId: number;
  readonly spiSize: number;
  readonly spis: readonly Uint8Array[];
}

/** RFC 3947 §5.1 NAT-OA payload (also the draft number 131) */
export interface NatOaPayload<T extends P['NAT_OA'] | P['NAT_OA_DRAFT'] = P['NAT_OA'] | P['NAT_OA_DRAFT']> {
  readonly type: T;
  readonly idType: number;
  readonly address: Uint8Array;
}

/** A payload type this codec does not interpret (kept as raw bytes). */
export interface UnknownPayload {
  readonly type: number;
  readonly unknown: true;
  readonly data: Uint8Array;
}

export type IsakmpPayload =
  | SaPayload
  | RawPayload<P['KE']>
  | IdPayload
  | CertPayload<P['CERT']>
  | CertPayload<P['CR']>
  | RawPayload<P['HASH']>
  | RawPayload<P['SIG']>
  | RawPayload<P['NONCE']>
  | NotifyPayload
  | DeletePayload
  | RawPayload<P['VID']>
  | RawPayload<P['NAT_D']>
  | RawPayload<P['NAT_D_DRAFT']>
  | NatOaPayload<P['NAT_OA']>
  | NatOaPayload<P['NAT_OA_DRAFT']>
  | UnknownPayload;

/** A decoded payload plus where it sat in the buffer (for HASH computations). */
export interface PayloadEntry {
  readonly payload: IsakmpPayload;
  /** payload body without the 4-octet generic header ("_b" in RFC 2409 §5) */
  readonly body: Uint8Array;
  /** offsets of the whole payload (generic header included) in the chain buffer */
  readonly start: number;
  readonly end: number;
}
