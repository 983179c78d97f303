/**
 * Classification of wire transforms for proposal negotiation (RFC 7296 §3.3).
 * Turns a wire Transform into a comparable key (type, id, key length) and
 * decides whether we understand it at all (§3.3.6).
 */
import { EncrId, TransformAttr, TransformType } from '../iana/ikev2.js';
import type { Transform } from '../wire/ikev2/types.js';
import { transformName } from './names.js';

export type ProtocolName = 'ike' | 'esp';
export type TypeLabel = 'ENCR' | 'PRF' | 'INTEG' | 'KE' | 'ESN';

export const TYPE_OF_LABEL: Readonly<Record<TypeLabel, number>> = {
  ENCR: TransformType.ENCR,
  PRF: TransformType.PRF,
  INTEG: TransformType.INTEG,
  KE: TransformType.KE,
  ESN: TransformType.ESN,
};

/**
 * Transform types negotiated per protocol, in the order we put them on the
 * wire (RFC 7296 §3.3.3: IKE = ENCR, PRF, INTEG, KE; ESP = ENCR, INTEG, KE, ESN).
 */
export function typesFor(protocol: ProtocolName): readonly TypeLabel[] {
  return protocol === 'ike' ? ['ENCR', 'PRF', 'INTEG', 'KE'] : ['ENCR', 'INTEG', 'KE', 'ESN'];
}

/** Combined-mode (AEAD) ciphers carry their own ICV: RFC 5282 §8, RFC 7634, RFC 4543 (GMAC). */
const AEAD_IDS: ReadonlySet<number> = new Set<number>([
  EncrId.ENCR_AES_CCM_8,
  EncrId.ENCR_AES_CCM_12,
  EncrId.ENCR_AES_CCM_16,
  EncrId.ENCR_AES_GCM_8,
  EncrId.ENCR_AES_GCM_12,
  EncrId.ENCR_AES_GCM_16,
  EncrId.ENCR_NULL_AUTH_AES_GMAC,
  EncrId.ENCR_CHACHA20_POLY1305,
]);

export function isAeadEncr(id: number): boolean {
  return AEAD_IDS.has(id);
}

const KNOWN_TYPES: ReadonlySet<number> = new Set<number>(Object.values(TYPE_OF_LABEL));

export function isKnownTransformType(type: number): boolean {
  return KNOWN_TYPES.has(type);
}

/** A wire transform reduced to what negotiation compares. */
export interface TransformKey {
  readonly type: number;
  readonly id: number;
  readonly keyBits: number | undefined;
  /** why we cannot accept this transform (RFC 7296 §3.3.6), undefined if fine */
  readonly problem: string | undefined;
  readonly name: string;
}

/**
 * RFC 7296 §3.3.6: "if the responder receives a transform that it does not
 * understand, or one that contains a Transform Attribute it does not
 * understand, it MUST consider this transform unacceptable". The only
 * attribute defined is KEY_LENGTH (§3.3.5), TV format, on ENCR transforms.
 */
export function transformKey(t: Transform): TransformKey {
  let keyBits: number | undefined;
  let problem: string | undefined;
  for (const a of t.attributes) {
    if (a.type === TransformAttr.KEY_LENGTH && a.tv && t.type === TransformType.ENCR && keyBits === undefined) {
      keyBits = a.value;
    } else if (a.type === TransformAttr.KEY_LENGTH && keyBits !== undefined) {
      problem = 'duplicate KEY_LENGTH attribute';
    } else if (a.type === TransformAttr.KEY_LENGTH) {
      problem = a.tv ? 'KEY_LENGTH on a non-ENCR transform' : 'KEY_LENGTH in TLV format';
    } else {
      problem = `unknown transform attribute ${a.type}`;
    }
  }
  const base = transformName(t.type, t.id, keyBits);
  return { type: t.type, id: t.id, keyBits, problem, name: problem === undefined ? base : `${base}{${problem}}` };
}

/** The spec-side transforms of one ProposalSpec, per type, as keys with no problem. */
export interface SpecKey {
  readonly id: number;
  readonly keyBits: number | undefined;
}

export function sameKey(a: SpecKey, b: SpecKey): boolean {
  return a.id === b.id && a.keyBits === b.keyBits;
}
