/**
 * IKEv2 numeric registries (IANA "Internet Key Exchange Version 2 (IKEv2)
 * Parameters"; RFC 7296 §3 and later RFCs). Imports only the reverse lookup helper.
 *
 * Members keep the IANA spelling so that grepping for the RFC term finds the code.
 */
import { reverseOf } from './reverse.js';

/** RFC 7296 §3.1 Exchange Type */
export const ExchangeType = {
  IKE_SA_INIT: 34,
  IKE_AUTH: 35,
  CREATE_CHILD_SA: 36,
  INFORMATIONAL: 37,
  IKE_SESSION_RESUME: 38,
  IKE_INTERMEDIATE: 43,
} as const;
export type ExchangeType = (typeof ExchangeType)[keyof typeof ExchangeType];

/** RFC 7296 §3.1 header flags */
export const HeaderFlag = {
  INITIATOR: 0x08,
  VERSION: 0x10,
  RESPONSE: 0x20,
} as const;

/** RFC 7296 §3.2 Next Payload types */
export const PayloadType = {
  NONE: 0,
  SA: 33,
  KE: 34,
  IDi: 35,
  IDr: 36,
  CERT: 37,
  CERTREQ: 38,
  AUTH: 39,
  NONCE: 40,
  NOTIFY: 41,
  DELETE: 42,
  VENDOR_ID: 43,
  TSi: 44,
  TSr: 45,
  SK: 46,
  CP: 47,
  EAP: 48,
  GSPM: 49,
  IDg: 50,
  GSA: 51,
  KD: 52,
  SKF: 53,
  PS: 54,
} as const;
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];

/** RFC 7296 §3.3.2 Transform Type */
export const TransformType = {
  ENCR: 1,
  PRF: 2,
  INTEG: 3,
  /** "Diffie-Hellman Group" in RFC 7296, renamed "Key Exchange Method" by RFC 9370 */
  KE: 4,
  ESN: 5,
} as const;
export type TransformType = (typeof TransformType)[keyof typeof TransformType];

/** RFC 7296 §3.3.2 Transform Type 1 - Encryption Algorithm Transform IDs */
export const EncrId = {
  ENCR_DES_IV64: 1,
  ENCR_DES: 2,
  ENCR_3DES: 3,
  ENCR_NULL: 11,
  ENCR_AES_CBC: 12,
  ENCR_AES_CTR: 13,
  ENCR_AES_CCM_8: 14,
  ENCR_AES_CCM_12: 15,
  ENCR_AES_CCM_16: 16,
  ENCR_AES_GCM_8: 18,
  ENCR_AES_GCM_12: 19,
  ENCR_AES_GCM_16: 20,
  ENCR_NULL_AUTH_AES_GMAC: 21,
  ENCR_CAMELLIA_CBC: 23,
  ENCR_CHACHA20_POLY1305: 28,
} as const;
export type EncrId = (typeof EncrId)[keyof typeof EncrId];

/** RFC 7296 §3.3.2 Transform Type 2 - Pseudorandom Function Transform IDs */
export const PrfId = {
  PRF_HMAC_MD5: 1,
  PRF_HMAC_SHA1: 2,
  PRF_AES128_XCBC: 4,
  PRF_HMAC_SHA2_256: 5,
  PRF_HMAC_SHA2_384: 6,
  PRF_HMAC_SHA2_512: 7,
  PRF_AES128_CMAC: 8,
} as const;
export type PrfId = (typeof PrfId)[keyof typeof PrfId];

/** RFC 7296 §3.3.2 Transform Type 3 - Integrity Algorithm Transform IDs */
export const IntegId = {
  NONE: 0,
  AUTH_HMAC_MD5_96: 1,
  AUTH_HMAC_SHA1_96: 2,
  AUTH_AES_XCBC_96: 5,
  AUTH_AES_CMAC_96: 8,
  AUTH_AES_128_GMAC: 9,
  AUTH_AES_256_GMAC: 11,
  AUTH_HMAC_SHA2_256_128: 12,
  AUTH_HMAC_SHA2_384_192: 13,
  AUTH_HMAC_SHA2_512_256: 14,
} as const;
export type IntegId = (typeof IntegId)[keyof typeof IntegId];

/** RFC 7296 §3.3.2 Transform Type 4 - Key Exchange Method (Diffie-Hellman group) IDs */
export const KeId = {
  NONE: 0,
  MODP_768: 1,
  MODP_1024: 2,
  MODP_1536: 5,
  MODP_2048: 14,
  MODP_3072: 15,
  MODP_4096: 16,
  MODP_6144: 17,
  MODP_8192: 18,
  ECP_256: 19,
  ECP_384: 20,
  ECP_521: 21,
  MODP_1024_160: 22,
  MODP_2048_224: 23,
  MODP_2048_256: 24,
  ECP_192: 25,
  ECP_224: 26,
  BRAINPOOL_P224R1: 27,
  BRAINPOOL_P256R1: 28,
  BRAINPOOL_P384R1: 29,
  BRAINPOOL_P512R1: 30,
  CURVE25519: 31,
  CURVE448: 32,
} as const;
export type KeId = (typeof KeId)[keyof typeof KeId];

/** RFC 7296 §3.3.2 Transform Type 5 - Extended Sequence Numbers */
export const EsnId = {
  NO_ESN: 0,
  ESN: 1,
} as const;
export type EsnId = (typeof EsnId)[keyof typeof EsnId];

/** RFC 7296 §3.3.5 Transform attribute types */
export const TransformAttr = {
  KEY_LENGTH: 14,
} as const;

/** RFC 7296 §3.3.1 Protocol ID */
export const ProtocolId = {
  IKE: 1,
  AH: 2,
  ESP: 3,
} as const;
export type ProtocolId = (typeof ProtocolId)[keyof typeof ProtocolId];

/** RFC 7296 §3.5 ID Type */
export const IdType = {
  ID_IPV4_ADDR: 1,
  ID_FQDN: 2,
  ID_RFC822_ADDR: 3,
  ID_IPV6_ADDR: 5,
  ID_DER_ASN1_DN: 9,
  ID_DER_ASN1_GN: 10,
  ID_KEY_ID: 11,
  ID_FC_NAME: 12,
  ID_NULL: 13,
} as const;
export type IdType = (typeof IdType)[keyof typeof IdType];

/** RFC 7296 §3.6 Certificate Encoding */
export const CertEncoding = {
  PKCS7_WRAPPED_X509: 1,
  PGP: 2,
  DNS_SIGNED_KEY: 3,
  X509_SIGNATURE: 4,
  KERBEROS_TOKEN: 6,
  CRL: 7,
  ARL: 8,
  SPKI: 9,
  X509_ATTRIBUTE: 10,
  RAW_RSA_KEY: 11,
  HASH_URL_X509_CERT: 12,
  HASH_URL_X509_BUNDLE: 13,
  OCSP_CONTENT: 14,
  RAW_PUBLIC_KEY: 15,
} as const;
export type CertEncoding = (typeof CertEncoding)[keyof typeof CertEncoding];

/** RFC 7296 §3.8 Authentication Method (+ RFC 7427 digital signature) */
export const AuthMethod = {
  RSA_SIG: 1,
  SHARED_KEY_MIC: 2,
  DSS_SIG: 3,
  ECDSA_SHA256_P256: 9,
  ECDSA_SHA384_P384: 10,
  ECDSA_SHA512_P521: 11,
  GENERIC_SECURE_PASSWORD: 12,
  NULL_AUTH: 13,
  DIGITAL_SIGNATURE: 14,
} as const;
export type AuthMethod = (typeof AuthMethod)[keyof typeof AuthMethod];

/** RFC 7296 §3.13.1 Traffic Selector Type */
export const TsType = {
  TS_IPV4_ADDR_RANGE: 7,
  TS_IPV6_ADDR_RANGE: 8,
  TS_FC_ADDR_RANGE: 9,
} as const;
export type TsType = (typeof TsType)[keyof typeof TsType];

/** RFC 7296 §3.15 Configuration Payload CFG Type */
export const CfgType = {
  CFG_REQUEST: 1,
  CFG_REPLY: 2,
  CFG_SET: 3,
  CFG_ACK: 4,
} as const;
export type CfgType = (typeof CfgType)[keyof typeof CfgType];

/** RFC 7296 §3.15.1 Configuration Attributes */
export const CfgAttr = {
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP4_NBNS: 4,
  INTERNAL_IP4_DHCP: 6,
  APPLICATION_VERSION: 7,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_DNS: 10,
  INTERNAL_IP6_DHCP: 12,
  INTERNAL_IP4_SUBNET: 13,
  SUPPORTED_ATTRIBUTES: 14,
  INTERNAL_IP6_SUBNET: 15,
} as const;

/** RFC 7296 §3.16 EAP codes */
export const EapCode = {
  REQUEST: 1,
  RESPONSE: 2,
  SUCCESS: 3,
  FAILURE: 4,
} as const;

/** RFC 7296 §3.10.1 Notify Message Types (errors < 16384, status >= 16384) */
export const NotifyType = {
  // Error types
  UNSUPPORTED_CRITICAL_PAYLOAD: 1,
  INVALID_IKE_SPI: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_SYNTAX: 7,
  INVALID_MESSAGE_ID: 9,
  INVALID_SPI: 11,
  NO_PROPOSAL_CHOSEN: 14,
  INVALID_KE_PAYLOAD: 17,
  AUTHENTICATION_FAILED: 24,
  SINGLE_PAIR_REQUIRED: 34,
  NO_ADDITIONAL_SAS: 35,
  INTERNAL_ADDRESS_FAILURE: 36,
  FAILED_CP_REQUIRED: 37,
  TS_UNACCEPTABLE: 38,
  INVALID_SELECTORS: 39,
  TEMPORARY_FAILURE: 43,
  CHILD_SA_NOT_FOUND: 44,
  // Status types
  INITIAL_CONTACT: 16384,
  SET_WINDOW_SIZE: 16385,
  ADDITIONAL_TS_POSSIBLE: 16386,
  IPCOMP_SUPPORTED: 16387,
  NAT_DETECTION_SOURCE_IP: 16388,
  NAT_DETECTION_DESTINATION_IP: 16389,
  COOKIE: 16390,
  USE_TRANSPORT_MODE: 16391,
  HTTP_CERT_LOOKUP_SUPPORTED: 16392,
  REKEY_SA: 16393,
  ESP_TFC_PADDING_NOT_SUPPORTED: 16394,
  NON_FIRST_FRAGMENTS_ALSO: 16395,
  MOBIKE_SUPPORTED: 16396,
  ADDITIONAL_IP4_ADDRESS: 16397,
  ADDITIONAL_IP6_ADDRESS: 16398,
  NO_ADDITIONAL_ADDRESSES: 16399,
  UPDATE_SA_ADDRESSES: 16400,
  COOKIE2: 16401,
  NO_NATS_ALLOWED: 16402,
  AUTH_LIFETIME: 16403,
  MULTIPLE_AUTH_SUPPORTED: 16404,
  ANOTHER_AUTH_FOLLOWS: 16405,
  REDIRECT_SUPPORTED: 16406,
  REDIRECT: 16407,
  REDIRECTED_FROM: 16408,
  TICKET_LT_OPAQUE: 16409,
  TICKET_REQUEST: 16410,
  TICKET_ACK: 16411,
  TICKET_NACK: 16412,
  TICKET_OPAQUE: 16413,
  LINK_ID: 16414,
  USE_WESP_MODE: 16415,
  ROHC_SUPPORTED: 16416,
  EAP_ONLY_AUTHENTICATION: 16417,
  CHILDLESS_IKEV2_SUPPORTED: 16418,
  QUICK_CRASH_DETECTION: 16419,
  IKEV2_MESSAGE_ID_SYNC_SUPPORTED: 16420,
  IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED: 16421,
  IKEV2_MESSAGE_ID_SYNC: 16422,
  IPSEC_REPLAY_COUNTER_SYNC: 16423,
  SECURE_PASSWORD_METHODS: 16424,
  PSK_PERSIST: 16425,
  PSK_CONFIRM: 16426,
  ERX_SUPPORTED: 16427,
  IFOM_CAPABILITY: 16428,
  SENDER_REQUEST_ID: 16429,
  IKEV2_FRAGMENTATION_SUPPORTED: 16430,
  SIGNATURE_HASH_ALGORITHMS: 16431,
  CLONE_IKE_SA_SUPPORTED: 16432,
  CLONE_IKE_SA: 16433,
  PUZZLE: 16434,
  USE_PPK: 16435,
  PPK_IDENTITY: 16436,
  NO_PPK_AUTH: 16437,
  INTERMEDIATE_EXCHANGE_SUPPORTED: 16438,
  IP4_ALLOWED: 16439,
  IP6_ALLOWED: 16440,
  ADDITIONAL_KEY_EXCHANGE: 16441,
  USE_AGGFRAG: 16442,
} as const;
export type NotifyType = (typeof NotifyType)[keyof typeof NotifyType];

/** Reverse lookup for logs and diagnostics: nameOf(NotifyType, 14) === 'NO_PROPOSAL_CHOSEN'. */
export function nameOf(table: Readonly<Record<string, number>>, value: number): string {
  return reverseOf(table).get(value) ?? `UNKNOWN_${value}`;
}

/** RFC 7296 §3.10.1: types below 16384 are errors. */
export function isErrorNotify(type: number): boolean {
  return type < 16384;
}
