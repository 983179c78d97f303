/**
 * ISAKMP / IKEv1 / IPsec DOI numeric registries (RFC 2407, RFC 2408,
 * RFC 2409, RFC 3947, RFC 3706; IANA "Internet Key Exchange (IKE)
 * Attributes" and "ISAKMP Identifiers"). Imports only the reverse lookup helper.
 *
 * Members keep the RFC spelling so that grepping for the RFC term finds the code.
 */
import { reverseOf } from './reverse.js';

/** RFC 2408 §3.1 Exchange Type (§4.4-4.8), RFC 2409 §5.5 Quick Mode, §5.6 New Group Mode */
export const V1Exchange = {
  NONE: 0,
  BASE: 1,
  /** "Identity Protection" = Main Mode (RFC 2409 §5) */
  IDENTITY_PROTECTION: 2,
  AUTHENTICATION_ONLY: 3,
  AGGRESSIVE: 4,
  INFORMATIONAL: 5,
  /** draft-ietf-ipsec-isakmp-mode-cfg (XAUTH / Mode Config) */
  TRANSACTION: 6,
  QUICK_MODE: 32,
  NEW_GROUP_MODE: 33,
} as const;

/** RFC 2408 §3.1 header flags */
export const V1Flag = {
  ENCRYPTION: 0x01,
  COMMIT: 0x02,
  AUTHENTICATION_ONLY: 0x04,
} as const;

/** RFC 2408 §3.1 Next Payload types; RFC 3947 §3.1/§5.1 NAT-D/NAT-OA (drafts used 130/131) */
export const V1Payload = {
  NONE: 0,
  SA: 1,
  PROPOSAL: 2,
  TRANSFORM: 3,
  KE: 4,
  ID: 5,
  CERT: 6,
  CR: 7,
  HASH: 8,
  SIG: 9,
  NONCE: 10,
  N: 11,
  D: 12,
  VID: 13,
  /** Mode Config attributes payload */
  ATTRIBUTE: 14,
  NAT_D: 20,
  NAT_OA: 21,
  NAT_D_DRAFT: 130,
  NAT_OA_DRAFT: 131,
  FRAGMENT: 132,
} as const;

/** RFC 2407 §4.2 Domain of Interpretation */
export const Doi = { ISAKMP: 0, IPSEC: 1 } as const;
/** RFC 2407 §4.2 IPsec Situation bits */
export const Situation = { SIT_IDENTITY_ONLY: 1, SIT_SECRECY: 2, SIT_INTEGRITY: 4 } as const;

/** RFC 2407 §4.4.1 Protocol IDs */
export const V1Protocol = { ISAKMP: 1, IPSEC_AH: 2, IPSEC_ESP: 3, IPCOMP: 4 } as const;

/** RFC 2407 §4.4.2 phase 1 transform id */
export const KEY_IKE = 1;

/** RFC 2407 §4.4.4 IPsec ESP Transform Identifiers (same numbers as IKEv2 ENCR ids) */
export const EspTransform = {
  ESP_DES: 2,
  ESP_3DES: 3,
  ESP_NULL: 11,
  ESP_AES: 12,
  ESP_AES_CTR: 13,
  ESP_AES_CCM_8: 14,
  ESP_AES_CCM_12: 15,
  ESP_AES_CCM_16: 16,
  ESP_AES_GCM_8: 18,
  ESP_AES_GCM_12: 19,
  ESP_AES_GCM_16: 20,
} as const;

/** RFC 2409 Appendix A: phase 1 SA attribute classes ("B" = basic, "V" = variable) */
export const P1Attr = {
  ENCRYPTION_ALGORITHM: 1,
  HASH_ALGORITHM: 2,
  AUTHENTICATION_METHOD: 3,
  GROUP_DESCRIPTION: 4,
  GROUP_TYPE: 5,
  GROUP_PRIME: 6,
  GROUP_GENERATOR_ONE: 7,
  GROUP_GENERATOR_TWO: 8,
  GROUP_CURVE_A: 9,
  GROUP_CURVE_B: 10,
  LIFE_TYPE: 11,
  LIFE_DURATION: 12,
  PRF: 13,
  KEY_LENGTH: 14,
  FIELD_SIZE: 15,
  GROUP_ORDER: 16,
} as const;

/** RFC 2409 Appendix A Encryption Algorithm; RFC 3602 AES-CBC */
export const P1Encr = {
  DES_CBC: 1,
  IDEA_CBC: 2,
  BLOWFISH_CBC: 3,
  RC5_R16_B64_CBC: 4,
  '3DES_CBC': 5,
  CAST_CBC: 6,
  AES_CBC: 7,
  CAMELLIA_CBC: 8,
} as const;

/** RFC 2409 Appendix A Hash Algorithm; RFC 4868 §2.2 SHA2 */
export const P1Hash = { MD5: 1, SHA: 2, TIGER: 3, SHA2_256: 4, SHA2_384: 5, SHA2_512: 6 } as const;

/** RFC 2409 Appendix A Authentication Method; RFC 4754 ECDSA; XAUTH draft */
export const P1Auth = {
  PRE_SHARED_KEY: 1,
  DSS_SIGNATURES: 2,
  RSA_SIGNATURES: 3,
  RSA_ENCRYPTION: 4,
  RSA_REVISED_ENCRYPTION: 5,
  ECDSA_SHA256_P256: 9,
  ECDSA_SHA384_P384: 10,
  ECDSA_SHA512_P521: 11,
  XAUTH_INIT_PSK: 65001,
} as const;

/** RFC 2409 Appendix A Life Type (phase 1) and RFC 2407 §4.5 SA Life Type (phase 2) */
export const LifeType = { SECONDS: 1, KILOBYTES: 2 } as const;

/** RFC 2407 §4.5 IPsec SA attributes (phase 2) */
export const P2Attr = {
  SA_LIFE_TYPE: 1,
  SA_LIFE_DURATION: 2,
  GROUP_DESCRIPTION: 3,
  ENCAPSULATION_MODE: 4,
  AUTHENTICATION_ALGORITHM: 5,
  KEY_LENGTH: 6,
  KEY_ROUNDS: 7,
  COMPRESS_DICTIONARY_SIZE: 8,
  COMPRESS_PRIVATE_ALGORITHM: 9,
} as const;

/** RFC 2407 §4.5 Encapsulation Mode; RFC 3947 §5.2 UDP-encapsulated modes (draft values 61443/61444) */
export const EncapMode = {
  TUNNEL: 1,
  TRANSPORT: 2,
  UDP_ENCAPSULATED_TUNNEL: 3,
  UDP_ENCAPSULATED_TRANSPORT: 4,
  UDP_ENCAPSULATED_TUNNEL_DRAFT: 61443,
  UDP_ENCAPSULATED_TRANSPORT_DRAFT: 61444,
} as const;

/** RFC 2407 §4.5 Authentication Algorithm; RFC 4868 §2.4 SHA2; RFC 3566 XCBC */
export const P2Auth = {
  HMAC_MD5: 1,
  HMAC_SHA: 2,
  DES_MAC: 3,
  KPDK: 4,
  HMAC_SHA2_256: 5,
  HMAC_SHA2_384: 6,
  HMAC_SHA2_512: 7,
  HMAC_RIPEMD: 8,
  AES_XCBC_MAC: 9,
} as const;

/** RFC 2407 §4.6.2.1 Identification Type Values (same numbers as IKEv2 where shared) */
export const V1IdType = {
  ID_IPV4_ADDR: 1,
  ID_FQDN: 2,
  ID_USER_FQDN: 3,
  ID_IPV4_ADDR_SUBNET: 4,
  ID_IPV6_ADDR: 5,
  ID_IPV6_ADDR_SUBNET: 6,
  ID_IPV4_ADDR_RANGE: 7,
  ID_IPV6_ADDR_RANGE: 8,
  ID_DER_ASN1_DN: 9,
  ID_DER_ASN1_GN: 10,
  ID_KEY_ID: 11,
} as const;

/** RFC 2408 §3.14.1 Notify Message Types; RFC 2407 §4.6.3 IPsec DOI status; RFC 3706 §5 DPD */
export const V1Notify = {
  INVALID_PAYLOAD_TYPE: 1,
  DOI_NOT_SUPPORTED: 2,
  SITUATION_NOT_SUPPORTED: 3,
  INVALID_COOKIE: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_MINOR_VERSION: 6,
  INVALID_EXCHANGE_TYPE: 7,
  INVALID_FLAGS: 8,
  INVALID_MESSAGE_ID: 9,
  INVALID_PROTOCOL_ID: 10,
  INVALID_SPI: 11,
  INVALID_TRANSFORM_ID: 12,
  ATTRIBUTES_NOT_SUPPORTED: 13,
  NO_PROPOSAL_CHOSEN: 14,
  BAD_PROPOSAL_SYNTAX: 15,
  PAYLOAD_MALFORMED: 16,
  INVALID_KEY_INFORMATION: 17,
  INVALID_ID_INFORMATION: 18,
  INVALID_CERT_ENCODING: 19,
  INVALID_CERTIFICATE: 20,
  CERT_TYPE_UNSUPPORTED: 21,
  INVALID_CERT_AUTHORITY: 22,
  INVALID_HASH_INFORMATION: 23,
  AUTHENTICATION_FAILED: 24,
  INVALID_SIGNATURE: 25,
  ADDRESS_NOTIFICATION: 26,
  NOTIFY_SA_LIFETIME: 27,
  CERTIFICATE_UNAVAILABLE: 28,
  UNSUPPORTED_EXCHANGE_TYPE: 29,
  UNEQUAL_PAYLOAD_LENGTHS: 30,
  CONNECTED: 16384,
  RESPONDER_LIFETIME: 24576,
  REPLAY_STATUS: 24577,
  INITIAL_CONTACT: 24578,
  R_U_THERE: 36136,
  R_U_THERE_ACK: 36137,
} as const;

/** RFC 2408 §3.9 Certificate Encoding */
export const CertEncoding = {
  PKCS7: 1,
  PGP: 2,
  DNS_SIGNED_KEY: 3,
  X509_SIGNATURE: 4,
  X509_KEY_EXCHANGE: 5,
  KERBEROS: 6,
  CRL: 7,
  ARL: 8,
  SPKI: 9,
  X509_ATTRIBUTE: 10,
} as const;

/** Well-known vendor IDs (hex). RFC 3947 §3.1: MD5("RFC 3947"); RFC 3706 §7: DPD. */
export const VendorIdHex = {
  RFC3947_NATT: '4a131c81070358455c5728f20e95452f',
  NATT_DRAFT_02N: '90cb80913ebb696e086381b5ec427b1f',
  NATT_DRAFT_02: 'cd60464335df21f87cfdb2fc68b6a448',
  NATT_DRAFT_03: '7d9419a65310ca6f2c179d9215529d56',
  DPD: 'afcad71368a1f1c96b8696fc77570100',
} as const;

/** Name of a registry member by value, or the number as text. */
export function nameOfV1(registry: Readonly<Record<string, number>>, value: number): string {
  return reverseOf(registry).get(value) ?? String(value);
}
