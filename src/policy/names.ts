/**
 * Readable transform names for logs, diagnostics and the CLI, in the style
 * strongSwan prints them ("AES_CBC_256", "PRF_HMAC_SHA2_256", "MODP_2048").
 * Derived from the IANA tables so a new registry entry needs no change here.
 */
import { EncrId, EsnId, IntegId, KeId, PrfId, TransformType, nameOf } from '../iana/ikev2.js';

const TYPE_LABEL: Readonly<Record<number, string>> = {
  [TransformType.ENCR]: 'ENCR',
  [TransformType.PRF]: 'PRF',
  [TransformType.INTEG]: 'INTEG',
  [TransformType.KE]: 'KE',
  [TransformType.ESN]: 'ESN',
};

/** Label of a transform type ("ENCR", "KE", ...; "TYPE_6" for unknown ones). */
export function transformTypeName(type: number): string {
  return TYPE_LABEL[type] ?? `TYPE_${type}`;
}

function known(table: Readonly<Record<string, number>>, id: number): string | undefined {
  const n = nameOf(table, id);
  return n.startsWith('UNKNOWN_') ? undefined : n;
}

/**
 * transformName(ENCR, ENCR_AES_GCM_16, 128) === "AES_GCM_16_128";
 * transformName(INTEG, AUTH_HMAC_SHA2_256_128) === "HMAC_SHA2_256_128";
 * transformName(KE, CURVE25519) === "CURVE_25519".
 */
export function transformName(type: number, id: number, keyBits?: number): string {
  switch (type) {
    case TransformType.ENCR: {
      const n = known(EncrId, id);
      const base = n === undefined ? `ENCR_${id}` : n.replace(/^ENCR_/, '');
      return keyBits === undefined ? base : `${base}_${keyBits}`;
    }
    case TransformType.PRF:
      return known(PrfId, id) ?? `PRF_${id}`;
    case TransformType.INTEG: {
      const n = known(IntegId, id);
      return n === undefined ? `INTEG_${id}` : n.replace(/^AUTH_/, '');
    }
    case TransformType.KE: {
      const n = known(KeId, id);
      if (n === undefined) return `KE_${id}`;
      // strongSwan spells the Edwards/Montgomery curves with a separator
      return n.replace(/^CURVE(\d+)$/, 'CURVE_$1');
    }
    case TransformType.ESN:
      return known(EsnId, id) ?? `ESN_${id}`;
    default:
      return `${transformTypeName(type)}_${id}`;
  }
}
