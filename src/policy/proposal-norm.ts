/**
 * Normalised views of offered (wire) proposals and configured ProposalSpecs,
 * so that selection and diagnostics compare like with like.
 *
 * Normalisation rules (RFC 7296 §3.3.3): for ESP a missing KE transform means
 * "no PFS" and is treated as an offer of KE NONE; a missing ESN transform is
 * treated as NO_ESN. A configured ESP spec with no KE means NONE (no PFS) and
 * with no ESN means NO_ESN. IKE has no such defaults: KE is mandatory.
 */
import { EsnId, KeId, ProtocolId, TransformType } from '../iana/ikev2.js';
import type { ProposalSpec } from '../config/model.js';
import type { Proposal, Transform } from '../wire/ikev2/types.js';
import { transformName } from './names.js';
import {
  TYPE_OF_LABEL,
  transformKey,
  typesFor,
  type ProtocolName,
  type SpecKey,
  type TransformKey,
  type TypeLabel,
} from './transforms.js';

export interface OfferedKey extends TransformKey {
  /** the wire transform, or undefined when synthesised by a default (absent KE/ESN) */
  readonly wire: Transform | undefined;
}

export interface NormOffer {
  readonly proposal: Proposal;
  readonly byType: Readonly<Record<TypeLabel, readonly OfferedKey[]>>;
  /** transform types we do not know (RFC 7296 §3.3.6: proposal unacceptable) */
  readonly unknownTypes: readonly number[];
}

export interface NormSpec {
  readonly spec: ProposalSpec;
  readonly byType: Readonly<Record<TypeLabel, readonly SpecKey[]>>;
}

export function protocolIdOf(protocol: ProtocolName): number {
  return protocol === 'ike' ? ProtocolId.IKE : ProtocolId.ESP;
}

function synthetic(type: number, id: number): OfferedKey {
  return { type, id, keyBits: undefined, problem: undefined, name: transformName(type, id), wire: undefined };
}

export function normalizeOffer(p: Proposal, protocol: ProtocolName): NormOffer {
  const byType: Record<TypeLabel, OfferedKey[]> = { ENCR: [], PRF: [], INTEG: [], KE: [], ESN: [] };
  const unknownTypes: number[] = [];
  const labels = typesFor(protocol);
  for (const t of p.transforms) {
    const label = labels.find((l) => TYPE_OF_LABEL[l] === t.type);
    if (label === undefined) {
      // a known type that does not belong to this protocol (e.g. PRF in ESP) is
      // as unacceptable as an unknown one (§3.3.3 lists the types per protocol)
      if (!unknownTypes.includes(t.type)) unknownTypes.push(t.type);
      continue;
    }
    byType[label].push({ ...transformKey(t), wire: t });
  }
  if (protocol === 'esp') {
    if (byType.KE.length === 0) byType.KE.push(synthetic(TransformType.KE, KeId.NONE));
    if (byType.ESN.length === 0) byType.ESN.push(synthetic(TransformType.ESN, EsnId.NO_ESN));
  }
  return { proposal: p, byType, unknownTypes };
}

/**
 * Configured proposals are normalised once per spec object and protocol (a
 * reloaded config brings new objects); selection asks on every exchange.
 */
const specCache = { ike: new WeakMap<ProposalSpec, NormSpec>(), esp: new WeakMap<ProposalSpec, NormSpec>() };

export function normalizeSpec(spec: ProposalSpec, protocol: ProtocolName): NormSpec {
  const cache = specCache[protocol];
  let n = cache.get(spec);
  if (n === undefined) {
    n = buildSpec(spec, protocol);
    cache.set(spec, n);
  }
  return n;
}

function buildSpec(spec: ProposalSpec, protocol: ProtocolName): NormSpec {
  const ids = (xs: readonly number[]): SpecKey[] => xs.map((id) => ({ id, keyBits: undefined }));
  const ke = ids(spec.ke);
  const esn = ids(spec.esn);
  return {
    spec,
    byType: {
      ENCR: spec.encr.map((c) => ({ id: c.id, keyBits: c.keyBits })),
      PRF: protocol === 'ike' ? ids(spec.prf) : [],
      INTEG: ids(spec.integ),
      KE: protocol === 'esp' && ke.length === 0 ? [{ id: KeId.NONE, keyBits: undefined }] : ke,
      ESN: protocol === 'esp' ? (esn.length === 0 ? [{ id: EsnId.NO_ESN, keyBits: undefined }] : esn) : [],
    },
  };
}

export function specKeyName(label: TypeLabel, k: SpecKey): string {
  return transformName(TYPE_OF_LABEL[label], k.id, k.keyBits);
}
