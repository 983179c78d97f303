/**
 * IANA IKEv2 transform ids (RFC 7296 §3.3.2) to Linux crypto API names as
 * XFRM expects them, with ICV / truncation lengths.
 *
 * Keys: the engine hands us the ENCR key INCLUDING its salt/nonce, which is
 * exactly what the kernel's rfc4106/rfc4309/rfc3686/rfc7539esp templates
 * want as one key (RFC 4106 §8.1, RFC 4309 §7.1, RFC 3686 §5.1, RFC 7634 §2).
 */
import { EncrId, IntegId } from '../../iana/ikev2.js';
import { KernelError } from '../../util/errors.js';
import { XfrmAttr } from './xfrm-const.js';

export interface KernelAlgorithm {
  /** XFRMA_ALG_AEAD, XFRMA_ALG_CRYPT or XFRMA_ALG_AUTH_TRUNC */
  readonly attr: number;
  readonly name: string;
  /** ICV bits (AEAD) or truncation bits (integrity); undefined for plain ciphers */
  readonly extraBits?: number;
  /** octets of salt/nonce at the end of the key (for key-length checks) */
  readonly saltBytes: number;
  readonly keyBits?: readonly number[];
}

const AEAD = XfrmAttr.ALG_AEAD;
const CRYPT = XfrmAttr.ALG_CRYPT;
const AES = [128, 192, 256] as const;

const ENCR = new Map<number, KernelAlgorithm>([
  [EncrId.ENCR_AES_GCM_8, { attr: AEAD, name: 'rfc4106(gcm(aes))', extraBits: 64, saltBytes: 4, keyBits: AES }],
  [EncrId.ENCR_AES_GCM_12, { attr: AEAD, name: 'rfc4106(gcm(aes))', extraBits: 96, saltBytes: 4, keyBits: AES }],
  [EncrId.ENCR_AES_GCM_16, { attr: AEAD, name: 'rfc4106(gcm(aes))', extraBits: 128, saltBytes: 4, keyBits: AES }],
  [EncrId.ENCR_AES_CCM_8, { attr: AEAD, name: 'rfc4309(ccm(aes))', extraBits: 64, saltBytes: 3, keyBits: AES }],
  [EncrId.ENCR_AES_CCM_12, { attr: AEAD, name: 'rfc4309(ccm(aes))', extraBits: 96, saltBytes: 3, keyBits: AES }],
  [EncrId.ENCR_AES_CCM_16, { attr: AEAD, name: 'rfc4309(ccm(aes))', extraBits: 128, saltBytes: 3, keyBits: AES }],
  // RFC 4543: GMAC is an AEAD in the kernel (authentication only, ICV 128)
  [EncrId.ENCR_NULL_AUTH_AES_GMAC, { attr: AEAD, name: 'rfc4543(gcm(aes))', extraBits: 128, saltBytes: 4, keyBits: AES }],
  [EncrId.ENCR_CHACHA20_POLY1305, { attr: AEAD, name: 'rfc7539esp(chacha20,poly1305)', extraBits: 128, saltBytes: 4, keyBits: [256] }],
  [EncrId.ENCR_AES_CBC, { attr: CRYPT, name: 'cbc(aes)', saltBytes: 0, keyBits: AES }],
  [EncrId.ENCR_AES_CTR, { attr: CRYPT, name: 'rfc3686(ctr(aes))', saltBytes: 4, keyBits: AES }],
  [EncrId.ENCR_3DES, { attr: CRYPT, name: 'cbc(des3_ede)', saltBytes: 0, keyBits: [192] }],
  [EncrId.ENCR_CAMELLIA_CBC, { attr: CRYPT, name: 'cbc(camellia)', saltBytes: 0, keyBits: AES }],
  [EncrId.ENCR_NULL, { attr: CRYPT, name: 'ecb(cipher_null)', saltBytes: 0 }],
]);

const INTEG = new Map<number, KernelAlgorithm>([
  [IntegId.AUTH_HMAC_MD5_96, { attr: XfrmAttr.ALG_AUTH_TRUNC, name: 'hmac(md5)', extraBits: 96, saltBytes: 0 }],
  [IntegId.AUTH_HMAC_SHA1_96, { attr: XfrmAttr.ALG_AUTH_TRUNC, name: 'hmac(sha1)', extraBits: 96, saltBytes: 0 }],
  [IntegId.AUTH_AES_XCBC_96, { attr: XfrmAttr.ALG_AUTH_TRUNC, name: 'xcbc(aes)', extraBits: 96, saltBytes: 0 }],
  [IntegId.AUTH_AES_CMAC_96, { attr: XfrmAttr.ALG_AUTH_TRUNC, name: 'cmac(aes)', extraBits: 96, saltBytes: 0 }],
  // RFC 4868 §2.3: SHA-2 HMACs truncated to half their output
  [IntegId.AUTH_HMAC_SHA2_256_128, { attr: XfrmAttr.ALG_AUTH_TRUNC, name: 'hmac(sha256)', extraBits: 128, saltBytes: 0 }],
  [IntegId.AUTH_HMAC_SHA2_384_192, { attr: XfrmAttr.ALG_AUTH_TRUNC, name: 'hmac(sha384)', extraBits: 192, saltBytes: 0 }],
  [IntegId.AUTH_HMAC_SHA2_512_256, { attr: XfrmAttr.ALG_AUTH_TRUNC, name: 'hmac(sha512)', extraBits: 256, saltBytes: 0 }],
]);

export function isAeadEncr(encrId: number): boolean {
  return ENCR.get(encrId)?.attr === AEAD;
}

/** The kernel cipher for an ENCR id; KernelError when the kernel dataplane cannot do it. */
export function kernelEncr(encrId: number, keyBytes: number): KernelAlgorithm {
  const a = ENCR.get(encrId);
  if (a === undefined) throw new KernelError('KERNEL_ALG', `ESP encryption transform ${encrId} has no Linux XFRM equivalent`);
  const bits = (keyBytes - a.saltBytes) * 8;
  if (a.keyBits !== undefined && !a.keyBits.includes(bits)) {
    throw new KernelError('KERNEL_ALG', `${a.name}: ${bits}-bit key (plus ${a.saltBytes} octets salt) is not valid`);
  }
  return a;
}

export function kernelInteg(integId: number): KernelAlgorithm {
  const a = INTEG.get(integId);
  if (a === undefined) throw new KernelError('KERNEL_ALG', `ESP integrity transform ${integId} has no Linux XFRM equivalent`);
  return a;
}
