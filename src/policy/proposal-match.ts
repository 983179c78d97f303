/**
 * Matching one offered proposal against one configured ProposalSpec
 * (RFC 7296 §2.7, §3.3). The result is either one transform per type or a
 * one-line reason, used by selectProposal and its diagnostics.
 */
import { IntegId, KeId, TransformType } from '../iana/ikev2.js';
import type { NormOffer, NormSpec, OfferedKey } from './proposal-norm.js';
import { specKeyName } from './proposal-norm.js';
import { transformName } from './names.js';
import { isAeadEncr, sameKey, typesFor, type ProtocolName, type SpecKey, type TypeLabel } from './transforms.js';

export type Picks = Readonly<Record<TypeLabel, OfferedKey | undefined>>;

export type MatchResult =
  | { readonly ok: true; readonly picks: Picks }
  | { readonly ok: false; readonly reason: string; /** how many checks passed, to find the closest miss */ readonly depth: number };

const NONE_KE = transformName(TransformType.KE, KeId.NONE);

export const TYPE_PHRASE: Readonly<Record<TypeLabel, string>> = {
  ENCR: 'encryption algorithm',
  PRF: 'PRF',
  INTEG: 'integrity algorithm',
  KE: 'KE method',
  ESN: 'ESN mode',
};

/**
 * Acceptable offered transforms of one type, best first. By default the
 * initiator's order wins (strongSwan's default); preferConfigured walks our
 * list instead. Transforms with a problem (§3.3.6) never match.
 */
export function acceptable(offered: readonly OfferedKey[], ours: readonly SpecKey[], preferConfigured: boolean): OfferedKey[] {
  const usable = offered.filter((o) => o.problem === undefined);
  if (!preferConfigured) return usable.filter((o) => ours.some((s) => sameKey(s, o)));
  const out: OfferedKey[] = [];
  for (const s of ours) {
    const o = usable.find((u) => sameKey(s, u));
    if (o !== undefined && !out.includes(o)) out.push(o);
  }
  return out;
}

/** "no common KE method: peer offered MODP_1024, we allow CURVE_25519, ECP_256" */
export function noCommon(label: TypeLabel, offered: readonly string[], ours: readonly string[]): string {
  const peer = offered.join(', ') || 'none';
  const we = ours.join(', ') || 'none';
  if (label === 'KE' && offered.length > 0 && ours.length > 0) {
    // ESP PFS mismatches (RFC 7296 §1.3.1: the KE in CREATE_CHILD_SA is optional)
    if (ours.every((n) => n === NONE_KE)) return `peer requires PFS (offered ${peer}) but no KE method is configured`;
    if (offered.every((n) => n === NONE_KE)) return `PFS required: we allow ${we}, peer offered no KE method`;
  }
  return `no common ${TYPE_PHRASE[label]}: peer offered ${peer}, we allow ${we}`;
}

function noCommonKeys(label: TypeLabel, offered: readonly OfferedKey[], ours: readonly SpecKey[]): string {
  return noCommon(label, offered.map((o) => o.name), ours.map((s) => specKeyName(label, s)));
}

export function matchProposal(off: NormOffer, spec: NormSpec, protocol: ProtocolName, preferConfigured: boolean): MatchResult {
  if (off.unknownTypes.length > 0) {
    // RFC 7296 §3.3.6: a Transform Type we do not understand makes the proposal unacceptable
    return { ok: false, depth: 0, reason: `proposal ${off.proposal.number} has unsupported transform type(s) ${off.unknownTypes.join(', ')}` };
  }
  const picks: Record<TypeLabel, OfferedKey | undefined> = { ENCR: undefined, PRF: undefined, INTEG: undefined, KE: undefined, ESN: undefined };

  // ENCR and INTEG are chosen together: RFC 7296 §3.3 says combined-mode ciphers
  // "MUST either offer no integrity algorithm or a single integrity algorithm of NONE".
  const encrs = acceptable(off.byType.ENCR, spec.byType.ENCR, preferConfigured);
  if (encrs.length === 0) return { ok: false, depth: 0, reason: noCommonKeys('ENCR', off.byType.ENCR, spec.byType.ENCR) };
  const realInteg = off.byType.INTEG.filter((i) => i.id !== IntegId.NONE);
  let integReason: string | undefined;
  for (const e of encrs) {
    if (isAeadEncr(e.id)) {
      if (realInteg.length > 0) {
        integReason = `AEAD cipher ${e.name} offered together with integrity algorithm ${realInteg.map((i) => i.name).join(', ')} (RFC 7296 §3.3)`;
        continue;
      }
      picks.ENCR = e;
      break;
    }
    const integ = acceptable(realInteg, spec.byType.INTEG.filter((s) => s.id !== IntegId.NONE), preferConfigured)[0];
    if (integ === undefined) {
      integReason ??= noCommonKeys('INTEG', off.byType.INTEG, spec.byType.INTEG);
      continue;
    }
    picks.ENCR = e;
    picks.INTEG = integ;
    break;
  }
  if (picks.ENCR === undefined) return { ok: false, depth: 1, reason: integReason ?? noCommonKeys('INTEG', off.byType.INTEG, spec.byType.INTEG) };

  let depth = 2;
  for (const label of typesFor(protocol)) {
    if (label === 'ENCR' || label === 'INTEG') continue;
    let offered = off.byType[label];
    // IKE SAs always need a real key exchange (RFC 7296 §1.2); NONE is ESP-only (no PFS)
    if (protocol === 'ike' && label === 'KE') offered = offered.filter((k) => k.id !== KeId.NONE);
    const pick = acceptable(offered, spec.byType[label], preferConfigured)[0];
    if (pick === undefined) return { ok: false, depth, reason: noCommonKeys(label, off.byType[label], spec.byType[label]) };
    picks[label] = pick;
    depth++;
  }
  return { ok: true, picks };
}
