/**
 * Phase 1 key derivation and authentication hashes for the Main Mode task
 * (RFC 2409 §5, §5.4, App. B), shared by both roles.
 */
import { deriveSkeyids, encryptionKeyV1, phase1Hash, phase1Iv, skeyidPsk, skeyidSig, v1Hash } from '../../crypto/keymat-v1.js';
import { encrDescriptor, integDescriptor, keDescriptor, prfDescriptor } from '../../crypto/registry.js';
import { IvChain } from '../../message/v1-protect.js';
import { IntegId, PrfId } from '../../iana/ikev2.js';
import { P1Hash } from '../../iana/ikev1.js';
import type { P1Choice } from '../../policy/v1-proposals.js';
import type { V1Sa } from './v1-sa.js';

const PRF_NAME: Readonly<Record<number, number>> = { [P1Hash.SHA]: PrfId.PRF_HMAC_SHA1, [P1Hash.SHA2_256]: PrfId.PRF_HMAC_SHA2_256, [P1Hash.SHA2_384]: PrfId.PRF_HMAC_SHA2_384, [P1Hash.SHA2_512]: PrfId.PRF_HMAC_SHA2_512 };
/** The hash shown as the truncated-HMAC integrity algorithm of the same hash, as strongSwan lists IKEv1 SAs. */
const INTEG_NAME: Readonly<Record<number, number>> = { [P1Hash.MD5]: IntegId.AUTH_HMAC_MD5_96, [P1Hash.SHA]: IntegId.AUTH_HMAC_SHA1_96, [P1Hash.SHA2_256]: IntegId.AUTH_HMAC_SHA2_256_128, [P1Hash.SHA2_384]: IntegId.AUTH_HMAC_SHA2_384_192, [P1Hash.SHA2_512]: IntegId.AUTH_HMAC_SHA2_512_256 };

/** Records the negotiated transform on the SA (algorithms shown by list-sas). */
export function adoptChoice(sa: V1Sa, c: P1Choice): void {
  const h = v1Hash(c.hash);
  sa.hash = h;
  sa.lifeSeconds = c.lifeSeconds;
  const encr = encrDescriptor(c.encrId, c.keyBits);
  sa.algorithms = {
    encryption: encr?.name ?? String(c.encrId),
    encryptionKeyBits: c.keyBits,
    integrity: integDescriptor(INTEG_NAME[c.hash] ?? 0)?.name ?? `HMAC_${h.name}`,
    prf: prfDescriptor(PRF_NAME[c.hash] ?? 0)?.name ?? `PRF_HMAC_${h.name}`,
    keyExchange: keDescriptor(c.group)?.name ?? String(c.group),
  };
}

/**
 *   SKEYID = prf(pre-shared-key, Ni_b | Nr_b)        (PSK, RFC 2409 §5)
 *   SKEYID = prf(Ni_b | Nr_b, g^xy)                  (signatures, `psk` undefined)
 *   SKEYID_d/a/e as in keymat-v1.ts; Ka from SKEYID_e (App. B)
 *   IV(MM5) = hash(g^xi | g^xr)
 */
export function derivePhase1(sa: V1Sa, c: P1Choice, psk: Uint8Array | undefined, gxy: Uint8Array): void {
  const h = v1Hash(c.hash);
  const m = sa.material;
  const skeyid = psk === undefined ? skeyidSig(h, m.ni, m.nr, gxy) : skeyidPsk(h, psk, m.ni, m.nr);
  sa.keys = deriveSkeyids(h, skeyid, gxy, sa.spiI, sa.spiR);
  const encr = encrDescriptor(c.encrId, c.keyBits);
  if (encr === undefined) throw new Error('negotiated cipher vanished');
  sa.cipher = { node: encr.nodeCipher, key: encryptionKeyV1(h, sa.keys.skeyidE, encr.keyLength), blockSize: encr.blockSize };
  const first = phase1Iv(h, m.gxi, m.gxr, encr.blockSize);
  sa.ivs = new IvChain((mid) => (mid === 0 ? first : sa.phase2IvFor(mid)));
}

/** HASH_I / HASH_R over the ID payload body (RFC 2409 §5). */
export function authHash(sa: V1Sa, who: 'I' | 'R', idB: Uint8Array): Uint8Array {
  if (sa.hash === undefined || sa.keys === undefined) throw new Error('no phase 1 keys');
  const m = sa.material;
  return phase1Hash(sa.hash, sa.keys.skeyid, who, { gxi: m.gxi, gxr: m.gxr, ckyI: sa.spiI, ckyR: sa.spiR, saiB: m.saiB, idB });
}
