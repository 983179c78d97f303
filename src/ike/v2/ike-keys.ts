/**
 * Turns a negotiated IKE proposal plus the DH result into the IKE SA's keys
 * and SK ciphers (RFC 7296 §2.14), and reports them to the debug key log.
 */
import { createPrf } from '../../crypto/prf.js';
import { createSkCipher } from '../../crypto/protect.js';
import { encrDescriptor, integDescriptor, keDescriptor, prfDescriptor } from '../../crypto/registry.js';
import { deriveIkeSaKeys, deriveRekeyedIkeSaKeys } from '../../crypto/keymat-v2.js';
import type { Prf } from '../../crypto/prf.js';
import type { SelectedAlgorithms } from '../../policy/proposals.js';
import { KeywayError } from '../../util/errors.js';
import type { AlgorithmInfo } from '../info.js';
import type { IkeSa } from '../ike-sa.js';

export function ikeAlgorithmInfo(sel: SelectedAlgorithms): AlgorithmInfo {
  const encr = encrDescriptor(sel.encrId, sel.encrKeyBits);
  const integ = sel.integId !== undefined && sel.integId !== 0 ? integDescriptor(sel.integId) : undefined;
  const prf = sel.prfId !== undefined ? prfDescriptor(sel.prfId) : undefined;
  const ke = sel.keId !== undefined && sel.keId !== 0 ? keDescriptor(sel.keId) : undefined;
  return {
    encryption: encr?.name ?? `ENCR_${sel.encrId}`,
    ...(sel.encrKeyBits !== undefined ? { encryptionKeyBits: sel.encrKeyBits } : encr?.keyBits ? { encryptionKeyBits: encr.keyBits } : {}),
    ...(integ ? { integrity: integ.name } : {}),
    ...(prf ? { prf: prf.name } : {}),
    ...(ke ? { keyExchange: ke.name } : {}),
    ...(sel.esn !== undefined ? { esn: sel.esn } : {}),
  };
}

/**
 *   SKEYSEED = prf(Ni | Nr, g^ir)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 */
export function establishIkeKeys(
  sa: IkeSa,
  sel: SelectedAlgorithms,
  sharedSecret: Uint8Array,
  /** §2.18 rekey: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF */
  rekeyFrom?: { readonly prf: Prf; readonly skD: Uint8Array },
): void {
  if (sel.prfId === undefined) throw new KeywayError('IKE_NO_PRF', 'IKE proposal without PRF');
  const prf = createPrf(sel.prfId);
  const encr = encrDescriptor(sel.encrId, sel.encrKeyBits);
  if (encr === undefined) throw new KeywayError('IKE_BAD_ENCR', `unsupported encryption ${sel.encrId}`);
  const integ = sel.integId !== undefined && sel.integId !== 0 ? integDescriptor(sel.integId) : undefined;
  const input = {
    prf,
    sharedSecret,
    ni: sa.ni,
    nr: sa.nr,
    spiI: sa.spiI,
    spiR: sa.spiR,
    encrKeyLength: encr.keyLength,
    integKeyLength: integ?.keyLength ?? 0,
  };
  const k = rekeyFrom === undefined ? deriveIkeSaKeys(input) : deriveRekeyedIkeSaKeys({ ...input, oldPrf: rekeyFrom.prf, oldSkD: rekeyFrom.skD });
  const suite = { encrId: sel.encrId, encrKeyBits: encr.keyBits, integId: sel.integId ?? 0 };
  const iCipher = createSkCipher(suite, k.skEi, k.skAi, sa.ctx.rng);
  const rCipher = createSkCipher(suite, k.skEr, k.skAr, sa.ctx.rng);
  sa.prf = prf;
  sa.keys = { skD: k.skD, skPi: k.skPi, skPr: k.skPr };
  // The original initiator sends with SK_ei/SK_ai, the responder with SK_er/SK_ar (§2.14).
  sa.outCipher = sa.isOriginalInitiator ? iCipher : rCipher;
  sa.inCipher = sa.isOriginalInitiator ? rCipher : iCipher;
  sa.algorithms = ikeAlgorithmInfo(sel);
  sa.ctx.keyLog?.ikeSaKeys({
    spiI: sa.spiI,
    spiR: sa.spiR,
    skEi: k.skEi,
    skEr: k.skEr,
    skAi: k.skAi,
    skAr: k.skAr,
    encrId: sel.encrId,
    encrKeyBits: encr.keyBits,
    integId: sel.integId ?? 0,
  });
}
