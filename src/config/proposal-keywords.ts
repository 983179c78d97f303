/**
 * strongSwan proposal keywords (https://docs.strongswan.org/docs/5.9/config/IKEv2CipherSuites.html)
 * mapped to IANA transform IDs (RFC 7296 §3.3.2, RFC 4106, RFC 7634, RFC 8031).
 * Only what Keyway implements is listed; anything else is rejected by proposals.ts.
 */
import { EncrId, EsnId, IntegId, KeId, PrfId } from '../iana/ikev2.js';

export type Keyword =
  | { readonly type: 'encr'; readonly id: number; readonly keyBits?: number; readonly aead: boolean; readonly espOnly?: boolean }
  | { readonly type: 'integ'; readonly id: number }
  | { readonly type: 'prf'; readonly id: number }
  | { readonly type: 'ke'; readonly id: number }
  | { readonly type: 'esn'; readonly id: number };

const table = new Map<string, Keyword>();
/** canonical keyword per transform, for formatProposal() */
const canonical = new Map<string, string>();

const key = (type: string, id: number, keyBits?: number): string => `${type}/${id}/${keyBits ?? ''}`;

function add(names: readonly string[], kw: Keyword): void {
  for (const n of names) table.set(n, kw);
  const first = names[0];
  if (first !== undefined) canonical.set(key(kw.type, kw.id, kw.type === 'encr' ? kw.keyBits : undefined), first);
}

for (const bits of [128, 192, 256]) {
  // AES-CBC (RFC 3602) and AES-CTR (RFC 5930) take the key size as KEY_LENGTH attribute
  add([`aes${bits}`], { type: 'encr', id: EncrId.ENCR_AES_CBC, keyBits: bits, aead: false });
  add([`aes${bits}ctr`], { type: 'encr', id: EncrId.ENCR_AES_CTR, keyBits: bits, aead: false });
  // AES-GCM (RFC 4106, RFC 5282): the ICV length selects the transform ID;
  // strongSwan accepts the ICV in bytes (8/12/16) or bits (64/96/128), and plain
  // "aesNNNgcm" means the 16-byte ICV.
  add([`aes${bits}gcm16`, `aes${bits}gcm128`, `aes${bits}gcm`], { type: 'encr', id: EncrId.ENCR_AES_GCM_16, keyBits: bits, aead: true });
  add([`aes${bits}gcm12`, `aes${bits}gcm96`], { type: 'encr', id: EncrId.ENCR_AES_GCM_12, keyBits: bits, aead: true });
  add([`aes${bits}gcm8`, `aes${bits}gcm64`], { type: 'encr', id: EncrId.ENCR_AES_GCM_8, keyBits: bits, aead: true });
}
add(['chacha20poly1305'], { type: 'encr', id: EncrId.ENCR_CHACHA20_POLY1305, aead: true });
add(['3des'], { type: 'encr', id: EncrId.ENCR_3DES, aead: false });
// RFC 4303 §3.2: ESP with NULL encryption (authentication only); meaningless for IKE
add(['null'], { type: 'encr', id: EncrId.ENCR_NULL, aead: false, espOnly: true });

add(['sha1', 'sha'], { type: 'integ', id: IntegId.AUTH_HMAC_SHA1_96 });
add(['sha256', 'sha2_256'], { type: 'integ', id: IntegId.AUTH_HMAC_SHA2_256_128 });
add(['sha384', 'sha2_384'], { type: 'integ', id: IntegId.AUTH_HMAC_SHA2_384_192 });
add(['sha512', 'sha2_512'], { type: 'integ', id: IntegId.AUTH_HMAC_SHA2_512_256 });
add(['aesxcbc'], { type: 'integ', id: IntegId.AUTH_AES_XCBC_96 });
add(['aescmac'], { type: 'integ', id: IntegId.AUTH_AES_CMAC_96 });

add(['prfsha1'], { type: 'prf', id: PrfId.PRF_HMAC_SHA1 });
add(['prfsha256', 'prfsha2_256'], { type: 'prf', id: PrfId.PRF_HMAC_SHA2_256 });
add(['prfsha384', 'prfsha2_384'], { type: 'prf', id: PrfId.PRF_HMAC_SHA2_384 });
add(['prfsha512', 'prfsha2_512'], { type: 'prf', id: PrfId.PRF_HMAC_SHA2_512 });
add(['prfaesxcbc'], { type: 'prf', id: PrfId.PRF_AES128_XCBC });
add(['prfaescmac'], { type: 'prf', id: PrfId.PRF_AES128_CMAC });

add(['modp2048'], { type: 'ke', id: KeId.MODP_2048 });
add(['modp3072'], { type: 'ke', id: KeId.MODP_3072 });
add(['modp4096'], { type: 'ke', id: KeId.MODP_4096 });
add(['modp6144'], { type: 'ke', id: KeId.MODP_6144 });
add(['modp8192'], { type: 'ke', id: KeId.MODP_8192 });
add(['ecp256'], { type: 'ke', id: KeId.ECP_256 });
add(['ecp384'], { type: 'ke', id: KeId.ECP_384 });
add(['ecp521'], { type: 'ke', id: KeId.ECP_521 });
add(['ecp256bp'], { type: 'ke', id: KeId.BRAINPOOL_P256R1 });
add(['ecp384bp'], { type: 'ke', id: KeId.BRAINPOOL_P384R1 });
add(['ecp512bp'], { type: 'ke', id: KeId.BRAINPOOL_P512R1 });
add(['x25519', 'curve25519'], { type: 'ke', id: KeId.CURVE25519 });
add(['x448', 'curve448'], { type: 'ke', id: KeId.CURVE448 });

add(['esn'], { type: 'esn', id: EsnId.ESN });
add(['noesn'], { type: 'esn', id: EsnId.NO_ESN });

export function lookupKeyword(word: string): Keyword | undefined {
  return table.get(word.toLowerCase());
}

/** The keyword formatProposal() prints for a transform. */
export function keywordFor(type: Keyword['type'], id: number, keyBits?: number): string {
  return canonical.get(key(type, id, keyBits)) ?? `${type}${id}${keyBits !== undefined ? `_${keyBits}` : ''}`;
}

/** All accepted keywords of one type, for "valid keywords are ..." hints. */
export function keywordsOfType(type: Keyword['type']): string[] {
  return [...table.entries()].filter(([, kw]) => kw.type === type).map(([n]) => n);
}

/** RFC 7296 §3.3.2 / strongSwan: the PRF implied by an integrity algorithm (IKE only). */
export const PRF_FOR_INTEG: ReadonlyMap<number, number> = new Map([
  [IntegId.AUTH_HMAC_SHA1_96, PrfId.PRF_HMAC_SHA1],
  [IntegId.AUTH_HMAC_SHA2_256_128, PrfId.PRF_HMAC_SHA2_256],
  [IntegId.AUTH_HMAC_SHA2_384_192, PrfId.PRF_HMAC_SHA2_384],
  [IntegId.AUTH_HMAC_SHA2_512_256, PrfId.PRF_HMAC_SHA2_512],
  [IntegId.AUTH_AES_XCBC_96, PrfId.PRF_AES128_XCBC],
  [IntegId.AUTH_AES_CMAC_96, PrfId.PRF_AES128_CMAC],
]);
