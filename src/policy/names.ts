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
  // Every offered transform is named on each IKE_SA_INIT / CREATE_CHILD_SA (for
  // diagnostics), so names are memoised. Ids come off the wire: only in-range
  // values are cached and the memo is bounded.
  const k = memoKey(type, id, keyBits);
  if (k === undefined) return computeName(type, id, keyBits);
  let n = memo.get(k);
  if (n === undefined) {
    n = computeName(type, id, keyBits);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(k, n);
  }
  return n;
}

const memo = new Map<number, string>();
const MEMO_MAX = 1024;

/** type (8 bits) | id (16 bits) | keyBits + 1 (17 bits, 0 = none): < 2^41, an exact number. */
function memoKey(type: number, id: number, keyBits: number | undefined): number | undefined {
  const kb = keyBits === undefined ? 0 : keyBits + 1;
  const ok = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;
  if (!ok(type, 0xff) || !ok(id, 0xffff) || !ok(kb, 0x10000)) return undefined;
  return (type * 0x10000 + id) * 0x20000 + kb;
}

function computeName(type: number, id: number, keyBits: number | undefined): string {
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
