/**
 * IKEv2 key schedules (RFC 7296 §2.13, §2.14, §2.17, §2.18).
 * Pure functions: bytes in, bytes out. Callers own zeroing the results.
 */
import { CryptoError } from '../util/errors.js';
import { concatBytes } from '../util/bytes.js';
import { prfPlus } from './prf.js';
import type { Prf } from './prf.js';
import { PrfId } from '../iana/ikev2.js';

export interface IkeSaKeys {
  readonly skeyseed: Uint8Array;
  readonly skD: Uint8Array;
  readonly skAi: Uint8Array;
  readonly skAr: Uint8Array;
  readonly skEi: Uint8Array;
  readonly skEr: Uint8Array;
  readonly skPi: Uint8Array;
  readonly skPr: Uint8Array;
}

export interface IkeSaKeyInput {
  readonly prf: Prf;
  readonly sharedSecret: Uint8Array;
  readonly ni: Uint8Array;
  readonly nr: Uint8Array;
  readonly spiI: Uint8Array;
  readonly spiR: Uint8Array;
  /** Bytes of SK_e including any salt/nonce (EncrDescriptor.keyLength). */
  readonly encrKeyLength: number;
  /** Bytes of SK_a; 0 with an AEAD cipher. */
  readonly integKeyLength: number;
}

export interface RekeyedIkeSaKeyInput extends IkeSaKeyInput {
  /** PRF of the IKE SA being rekeyed (RFC 7296 §2.18: it computes SKEYSEED). */
  readonly oldPrf: Prf;
  readonly oldSkD: Uint8Array;
}

export interface ChildSaKeyInput {
  readonly prf: Prf;
  readonly skD: Uint8Array;
  /** g^ir (new) of a CREATE_CHILD_SA with PFS, if any. */
  readonly sharedSecret?: Uint8Array;
  readonly ni: Uint8Array;
  readonly nr: Uint8Array;
  readonly encrKeyLength: number;
  readonly integKeyLength: number;
}

export interface ChildSaKeys {
  readonly encrI: Uint8Array;
  readonly integI: Uint8Array;
  readonly encrR: Uint8Array;
  readonly integR: Uint8Array;
}

function isFixedKeyPrf(prf: Prf): boolean {
  return prf.id === PrfId.PRF_AES128_XCBC || prf.id === PrfId.PRF_AES128_CMAC;
}

function checkLengths(encr: number, integ: number): void {
  if (!Number.isInteger(encr) || encr < 0 || !Number.isInteger(integ) || integ < 0) {
    throw new CryptoError('IKE_ERR_KEY_LENGTH', `invalid key lengths encr=${encr} integ=${integ}`);
  }
}

/**
 * Splits prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) (RFC 7296 §2.14):
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *      = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
 * SK_d, SK_pi, SK_pr are the PRF's preferred key length.
 */
function splitIkeKeys(input: IkeSaKeyInput, skeyseed: Uint8Array): IkeSaKeys {
  const { prf, encrKeyLength: e, integKeyLength: a } = input;
  checkLengths(e, a);
  const p = prf.preferredKeyLength;
  const seed = concatBytes(input.ni, input.nr, input.spiI, input.spiR);
  const km = prfPlus(prf, skeyseed, seed, 3 * p + 2 * a + 2 * e);
  let o = 0;
  const take = (n: number): Uint8Array => {
    const s = km.slice(o, o + n);
    o += n;
    return s;
  };
  const skD = take(p);
  const skAi = take(a);
  const skAr = take(a);
  const skEi = take(e);
  const skEr = take(e);
  const skPi = take(p);
  const skPr = take(p);
  km.fill(0);
  return { skeyseed, skD, skAi, skAr, skEi, skEr, skPi, skPr };
}

/**
 * Initial IKE SA keys (RFC 7296 §2.14):
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 * For PRFs with a fixed key size (AES-XCBC-PRF-128, AES-CMAC-PRF-128) the key
 * is the first 64 bits of Ni followed by the first 64 bits of Nr.
 */
export function deriveIkeSaKeys(input: IkeSaKeyInput): IkeSaKeys {
  const { prf, ni, nr } = input;
  let key: Uint8Array;
  if (isFixedKeyPrf(prf)) {
    if (ni.length < 8 || nr.length < 8) {
      throw new CryptoError('IKE_ERR_NONCE_LENGTH', 'nonces must be at least 8 bytes for a fixed-key PRF');
    }
    key = concatBytes(ni.subarray(0, 8), nr.subarray(0, 8));
  } else {
    key = concatBytes(ni, nr);
  }
  const skeyseed = prf.compute(key, input.sharedSecret);
  return splitIkeKeys(input, skeyseed);
}

/**
 * Rekeyed IKE SA keys (RFC 7296 §2.18):
 *   SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)      using the OLD SA's prf
 *   {SK_d | ...} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)   using the NEW SA's prf
 * Ni, Nr, SPIi, SPIr are those of the CREATE_CHILD_SA exchange / new SA.
 */
export function deriveRekeyedIkeSaKeys(input: RekeyedIkeSaKeyInput): IkeSaKeys {
  const skeyseed = input.oldPrf.compute(input.oldSkD, concatBytes(input.sharedSecret, input.ni, input.nr));
  return splitIkeKeys(input, skeyseed);
}

/**
 * Child SA keying material (RFC 7296 §2.17):
 *   KEYMAT = prf+(SK_d, Ni | Nr)                   without PFS
 *   KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)      with a KE payload
 * taken in order: encr I->R, integ I->R, encr R->I, integ R->I.
 */
export function deriveChildSaKeys(input: ChildSaKeyInput): ChildSaKeys {
  const { prf, encrKeyLength: e, integKeyLength: a } = input;
  checkLengths(e, a);
  const seed = input.sharedSecret !== undefined
    ? concatBytes(input.sharedSecret, input.ni, input.nr)
    : concatBytes(input.ni, input.nr);
  const km = prfPlus(prf, input.skD, seed, 2 * (e + a));
  const encrI = km.slice(0, e);
  const integI = km.slice(e, e + a);
  const encrR = km.slice(e + a, 2 * e + a);
  const integR = km.slice(2 * e + a, 2 * (e + a));
  km.fill(0);
  return { encrI, integI, encrR, integR };
}
