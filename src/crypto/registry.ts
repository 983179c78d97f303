/**
 * Transform descriptors keyed by IANA id (RFC 7296 §3.3.2). Pure data: what
 * key material, IV, block and ICV sizes each algorithm needs, and which
 * node:crypto primitive implements it. Names follow strongSwan's list-sas
 * output ("AES_GCM_16", "PRF_HMAC_SHA2_256", "CURVE_25519", ...).
 */
import { EncrId, IntegId, KeId, PrfId } from '../iana/ikev2.js';

export interface EncrDescriptor {
  readonly id: number;
  readonly name: string;
  /** Cipher key size in bits (without salt/nonce). 0 for ENCR_NULL. */
  readonly keyBits: number;
  /** Bytes of SK_e / KEYMAT to take: cipher key + salt or nonce (RFC 5930, RFC 5282, RFC 7634). */
  readonly keyLength: number;
  /** Explicit IV carried in each SK payload / ESP packet. */
  readonly ivLength: number;
  /** Padding alignment for the SK payload plaintext (1 = no alignment needed). */
  readonly blockSize: number;
  readonly aead: boolean;
  /** AEAD tag length (0 for non-AEAD: the integrity transform supplies the ICV). */
  readonly icvLength: number;
  /** Implicit salt/nonce bytes at the END of the key material. */
  readonly saltLength: number;
  readonly supportedKeyBits: readonly number[];
  /** Present only for fixed-key algorithms that take no KEY_LENGTH attribute. */
  readonly defaultKeyBits?: number;
  /** false for ENCR_NULL, which is defined for ESP only (RFC 7296 §3.3.2). */
  readonly ikeAllowed: boolean;
  /** node:crypto cipher name ('' for NULL). */
  readonly nodeCipher: string;
}

export interface PrfDescriptor {
  readonly id: number;
  readonly name: string;
  readonly outputLength: number;
  /** Length of SK_d, SK_pi, SK_pr (RFC 7296 §2.14: the PRF's preferred key size). */
  readonly preferredKeyLength: number;
  readonly kind: 'hmac' | 'xcbc' | 'cmac';
  /** Hash name for HMAC PRFs. */
  readonly hash?: string;
}

export interface IntegDescriptor {
  readonly id: number;
  readonly name: string;
  readonly keyLength: number;
  readonly icvLength: number;
  readonly kind: 'hmac' | 'xcbc' | 'cmac';
  readonly hash?: string;
}

export interface KeDescriptor {
  readonly id: number;
  readonly name: string;
  readonly kind: 'modp' | 'ecp' | 'ecx';
  /** Length of the KE payload data (RFC 7296 §3.4). */
  readonly publicLength: number;
  /** Length of the shared secret g^ir fed to the KDF. */
  readonly secretLength: number;
  /** node:crypto curve name (ecp), 'x25519'/'x448' (ecx), or '' (modp). */
  readonly curve: string;
  /** Security strength in bits (NIST SP 800-57 Part 1 Table 2). */
  readonly strength: number;
}

interface EncrBase {
  name: string;
  mode: 'cbc' | 'ctr' | 'gcm' | 'chacha' | '3des' | 'null';
  ivLength: number;
  blockSize: number;
  icvLength: number;
  saltLength: number;
  supportedKeyBits: readonly number[];
  fixed: boolean;
}

const AES_BITS = [128, 192, 256] as const;

const ENCR: ReadonlyMap<number, EncrBase> = new Map<number, EncrBase>([
  // RFC 3602: 16-byte random IV, 16-byte block.
  [EncrId.ENCR_AES_CBC, { name: 'AES_CBC', mode: 'cbc', ivLength: 16, blockSize: 16, icvLength: 0, saltLength: 0, supportedKeyBits: AES_BITS, fixed: false }],
  // RFC 5930 / RFC 3686: 4-byte nonce after the key, 8-byte IV; stream cipher so no block alignment.
  [EncrId.ENCR_AES_CTR, { name: 'AES_CTR', mode: 'ctr', ivLength: 8, blockSize: 1, icvLength: 0, saltLength: 4, supportedKeyBits: AES_BITS, fixed: false }],
  // RFC 5282 §7.1 / RFC 4106: 4-byte salt after the key, 8-byte explicit IV.
  [EncrId.ENCR_AES_GCM_8, { name: 'AES_GCM_8', mode: 'gcm', ivLength: 8, blockSize: 1, icvLength: 8, saltLength: 4, supportedKeyBits: AES_BITS, fixed: false }],
  [EncrId.ENCR_AES_GCM_12, { name: 'AES_GCM_12', mode: 'gcm', ivLength: 8, blockSize: 1, icvLength: 12, saltLength: 4, supportedKeyBits: AES_BITS, fixed: false }],
  [EncrId.ENCR_AES_GCM_16, { name: 'AES_GCM_16', mode: 'gcm', ivLength: 8, blockSize: 1, icvLength: 16, saltLength: 4, supportedKeyBits: AES_BITS, fixed: false }],
  // RFC 7634 §2/§4: 256-bit key + 4-byte salt, 8-byte IV, 16-byte tag; no KEY_LENGTH attribute.
  [EncrId.ENCR_CHACHA20_POLY1305, { name: 'CHACHA20_POLY1305', mode: 'chacha', ivLength: 8, blockSize: 1, icvLength: 16, saltLength: 4, supportedKeyBits: [256], fixed: true }],
  // RFC 2451: 3 × 64-bit keys (parity bits included), 8-byte IV and block.
  [EncrId.ENCR_3DES, { name: '3DES_CBC', mode: '3des', ivLength: 8, blockSize: 8, icvLength: 0, saltLength: 0, supportedKeyBits: [192], fixed: true }],
  // RFC 2410: ESP only.
  [EncrId.ENCR_NULL, { name: 'NULL', mode: 'null', ivLength: 0, blockSize: 1, icvLength: 0, saltLength: 0, supportedKeyBits: [0], fixed: true }],
]);

function nodeCipherName(mode: EncrBase['mode'], keyBits: number): string {
  switch (mode) {
    case 'cbc': return `aes-${keyBits}-cbc`;
    case 'ctr': return `aes-${keyBits}-ctr`;
    case 'gcm': return `aes-${keyBits}-gcm`;
    case 'chacha': return 'chacha20-poly1305';
    case '3des': return 'des-ede3-cbc';
    case 'null': return '';
  }
}

/**
 * Descriptor of an encryption transform. AES variants need the KEY_LENGTH
 * attribute (RFC 7296 §3.3.5) so keyBits is mandatory for them; fixed-key
 * algorithms accept keyBits only if it equals their key size.
 */
export function encrDescriptor(id: number, keyBits?: number): EncrDescriptor | undefined {
  const b = ENCR.get(id);
  if (b === undefined) return undefined;
  const bits = keyBits ?? (b.fixed ? b.supportedKeyBits[0] : undefined);
  if (bits === undefined || !b.supportedKeyBits.includes(bits)) return undefined;
  const d: EncrDescriptor = {
    id,
    name: b.name,
    keyBits: bits,
    keyLength: bits / 8 + b.saltLength,
    ivLength: b.ivLength,
    blockSize: b.blockSize,
    aead: b.mode === 'gcm' || b.mode === 'chacha',
    icvLength: b.icvLength,
    saltLength: b.saltLength,
    supportedKeyBits: b.supportedKeyBits,
    ikeAllowed: b.mode !== 'null',
    nodeCipher: nodeCipherName(b.mode, bits),
  };
  return b.fixed ? { ...d, defaultKeyBits: bits } : d;
}

/** Key sizes an encryption transform accepts, or undefined if unknown. */
export function encrKeySizes(id: number): readonly number[] | undefined {
  return ENCR.get(id)?.supportedKeyBits;
}

/** true if the transform needs a KEY_LENGTH attribute (RFC 7296 §3.3.5). */
export function encrNeedsKeyLength(id: number): boolean {
  const b = ENCR.get(id);
  return b !== undefined && !b.fixed;
}

const PRF: ReadonlyMap<number, PrfDescriptor> = new Map<number, PrfDescriptor>([
  // RFC 2104 / RFC 4868 §2.1: preferred key length = output length.
  [PrfId.PRF_HMAC_SHA1, { id: PrfId.PRF_HMAC_SHA1, name: 'PRF_HMAC_SHA1', outputLength: 20, preferredKeyLength: 20, kind: 'hmac', hash: 'sha1' }],
  [PrfId.PRF_HMAC_SHA2_256, { id: PrfId.PRF_HMAC_SHA2_256, name: 'PRF_HMAC_SHA2_256', outputLength: 32, preferredKeyLength: 32, kind: 'hmac', hash: 'sha256' }],
  [PrfId.PRF_HMAC_SHA2_384, { id: PrfId.PRF_HMAC_SHA2_384, name: 'PRF_HMAC_SHA2_384', outputLength: 48, preferredKeyLength: 48, kind: 'hmac', hash: 'sha384' }],
  [PrfId.PRF_HMAC_SHA2_512, { id: PrfId.PRF_HMAC_SHA2_512, name: 'PRF_HMAC_SHA2_512', outputLength: 64, preferredKeyLength: 64, kind: 'hmac', hash: 'sha512' }],
  // RFC 4434 / RFC 4615: 128-bit key and output.
  [PrfId.PRF_AES128_XCBC, { id: PrfId.PRF_AES128_XCBC, name: 'PRF_AES128_XCBC', outputLength: 16, preferredKeyLength: 16, kind: 'xcbc' }],
  [PrfId.PRF_AES128_CMAC, { id: PrfId.PRF_AES128_CMAC, name: 'PRF_AES128_CMAC', outputLength: 16, preferredKeyLength: 16, kind: 'cmac' }],
]);

export function prfDescriptor(id: number): PrfDescriptor | undefined {
  return PRF.get(id);
}

const INTEG: ReadonlyMap<number, IntegDescriptor> = new Map<number, IntegDescriptor>([
  // RFC 2404: HMAC-SHA1-96.
  [IntegId.AUTH_HMAC_SHA1_96, { id: IntegId.AUTH_HMAC_SHA1_96, name: 'HMAC_SHA1_96', keyLength: 20, icvLength: 12, kind: 'hmac', hash: 'sha1' }],
  // RFC 4868 §2.1: key = hash output length, ICV = half of it.
  [IntegId.AUTH_HMAC_SHA2_256_128, { id: IntegId.AUTH_HMAC_SHA2_256_128, name: 'HMAC_SHA2_256_128', keyLength: 32, icvLength: 16, kind: 'hmac', hash: 'sha256' }],
  [IntegId.AUTH_HMAC_SHA2_384_192, { id: IntegId.AUTH_HMAC_SHA2_384_192, name: 'HMAC_SHA2_384_192', keyLength: 48, icvLength: 24, kind: 'hmac', hash: 'sha384' }],
  [IntegId.AUTH_HMAC_SHA2_512_256, { id: IntegId.AUTH_HMAC_SHA2_512_256, name: 'HMAC_SHA2_512_256', keyLength: 64, icvLength: 32, kind: 'hmac', hash: 'sha512' }],
  // RFC 3566 and RFC 4494: 128-bit key, 96-bit ICV.
  [IntegId.AUTH_AES_XCBC_96, { id: IntegId.AUTH_AES_XCBC_96, name: 'AES_XCBC_96', keyLength: 16, icvLength: 12, kind: 'xcbc' }],
  [IntegId.AUTH_AES_CMAC_96, { id: IntegId.AUTH_AES_CMAC_96, name: 'AES_CMAC_96', keyLength: 16, icvLength: 12, kind: 'cmac' }],
]);

export function integDescriptor(id: number): IntegDescriptor | undefined {
  return INTEG.get(id);
}

const modp = (id: number, bits: number, strength: number): KeDescriptor => ({
  id, name: `MODP_${bits}`, kind: 'modp', publicLength: bits / 8, secretLength: bits / 8, curve: '', strength,
});
const ecp = (id: number, name: string, curve: string, coord: number, strength: number): KeDescriptor => ({
  id, name, kind: 'ecp', publicLength: 2 * coord, secretLength: coord, curve, strength,
});

const KE: ReadonlyMap<number, KeDescriptor> = new Map<number, KeDescriptor>([
  // RFC 3526; strengths from NIST SP 800-57 Part 1 (interpolated for 4096/6144/8192 as in RFC 3526 §8's lower estimates).
  [KeId.MODP_2048, modp(KeId.MODP_2048, 2048, 112)],
  [KeId.MODP_3072, modp(KeId.MODP_3072, 3072, 128)],
  [KeId.MODP_4096, modp(KeId.MODP_4096, 4096, 152)],
  [KeId.MODP_6144, modp(KeId.MODP_6144, 6144, 176)],
  [KeId.MODP_8192, modp(KeId.MODP_8192, 8192, 200)],
  // RFC 5903 §7: KE data = x | y.
  [KeId.ECP_256, ecp(KeId.ECP_256, 'ECP_256', 'prime256v1', 32, 128)],
  [KeId.ECP_384, ecp(KeId.ECP_384, 'ECP_384', 'secp384r1', 48, 192)],
  [KeId.ECP_521, ecp(KeId.ECP_521, 'ECP_521', 'secp521r1', 66, 256)],
  // RFC 6954 §3: same encoding as RFC 5903.
  [KeId.BRAINPOOL_P256R1, ecp(KeId.BRAINPOOL_P256R1, 'ECP_256_BP', 'brainpoolP256r1', 32, 128)],
  [KeId.BRAINPOOL_P384R1, ecp(KeId.BRAINPOOL_P384R1, 'ECP_384_BP', 'brainpoolP384r1', 48, 192)],
  [KeId.BRAINPOOL_P512R1, ecp(KeId.BRAINPOOL_P512R1, 'ECP_512_BP', 'brainpoolP512r1', 64, 256)],
  // RFC 8031 §2: raw u-coordinates.
  [KeId.CURVE25519, { id: KeId.CURVE25519, name: 'CURVE_25519', kind: 'ecx', publicLength: 32, secretLength: 32, curve: 'x25519', strength: 128 }],
  [KeId.CURVE448, { id: KeId.CURVE448, name: 'CURVE_448', kind: 'ecx', publicLength: 56, secretLength: 56, curve: 'x448', strength: 224 }],
]);

export function keDescriptor(id: number): KeDescriptor | undefined {
  return KE.get(id);
}

/** All supported KE group ids, in registry order. */
export const supportedKeGroups: readonly number[] = [...KE.keys()];
export const supportedEncrIds: readonly number[] = [...ENCR.keys()];
export const supportedPrfIds: readonly number[] = [...PRF.keys()];
export const supportedIntegIds: readonly number[] = [...INTEG.keys()];
