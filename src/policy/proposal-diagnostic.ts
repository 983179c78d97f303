/**
 * Structured explanation of a failed proposal negotiation, for logs and the
 * CLI (strongSwan prints "received proposals: ... configured proposals: ...";
 * we also say which transform type had nothing in common).
 */
import type { NormOffer, NormSpec } from './proposal-norm.js';
import { protocolIdOf, specKeyName } from './proposal-norm.js';
import { noCommon } from './proposal-match.js';
import { typesFor, type ProtocolName, type TypeLabel } from './transforms.js';

export interface ProposalSummary {
  readonly number: number;
  readonly encr: readonly string[];
  readonly prf: readonly string[];
  readonly integ: readonly string[];
  readonly ke: readonly string[];
  readonly esn: readonly string[];
}

export interface TransformTypeSummary {
  readonly type: TypeLabel;
  readonly offered: readonly string[];
  readonly configured: readonly string[];
  readonly common: readonly string[];
}

export interface ProposalDiagnostic {
  readonly protocol: ProtocolName;
  readonly offered: readonly ProposalSummary[];
  readonly configured: readonly ProposalSummary[];
  /** union over all proposals, per transform type the protocol needs */
  readonly perTransformType: readonly TransformTypeSummary[];
  /** one line, no secrets */
  readonly reason: string;
}

/** One offered proposal's closest miss against our configuration. */
export interface ProposalMiss {
  readonly number: number;
  readonly reason: string;
  readonly depth: number;
}

function uniq(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function offeredSummary(o: NormOffer): ProposalSummary {
  // show what was really on the wire, not the defaults we filled in
  const names = (l: TypeLabel): string[] => o.byType[l].filter((k) => k.wire !== undefined).map((k) => k.name);
  return { number: o.proposal.number, encr: names('ENCR'), prf: names('PRF'), integ: names('INTEG'), ke: names('KE'), esn: names('ESN') };
}

function configuredSummary(s: NormSpec, index: number): ProposalSummary {
  const names = (l: TypeLabel): string[] => s.byType[l].map((k) => specKeyName(l, k));
  return { number: index + 1, encr: names('ENCR'), prf: names('PRF'), integ: names('INTEG'), ke: names('KE'), esn: names('ESN') };
}

export function buildProposalDiagnostic(
  protocol: ProtocolName,
  allOffered: readonly NormOffer[],
  specs: readonly NormSpec[],
  misses: readonly ProposalMiss[],
): ProposalDiagnostic {
  const pid = protocolIdOf(protocol);
  const offers = allOffered.filter((o) => o.proposal.protocolId === pid);
  const perTransformType: TransformTypeSummary[] = typesFor(protocol).map((type) => {
    const offered = uniq(offers.flatMap((o) => o.byType[type].map((k) => k.name)));
    const configured = uniq(specs.flatMap((s) => s.byType[type].map((k) => specKeyName(type, k))));
    let common = offered.filter((n) => configured.includes(n));
    if (protocol === 'ike' && type === 'KE') common = common.filter((n) => n !== 'NONE');
    return { type, offered, configured, common };
  });

  let reason: string;
  // INTEG is legitimately empty on both sides for AEAD-only proposals; its
  // real conflicts are reported by the per-proposal reasons below
  const empty = perTransformType.filter((t) => t.common.length === 0 && t.type !== 'INTEG');
  if (specs.length === 0) {
    reason = `no ${protocol.toUpperCase()} proposals configured`;
  } else if (offers.length === 0) {
    const others = uniq(allOffered.map((o) => String(o.proposal.protocolId)));
    reason = `peer offered no ${protocol.toUpperCase()} proposal` + (others.length > 0 ? ` (protocol IDs offered: ${others.join(', ')})` : '');
  } else if (empty.length > 0) {
    reason = empty.map((t) => noCommon(t.type, t.offered, t.configured)).join('; ');
  } else {
    const detail = misses.map((m) => `#${m.number}: ${m.reason}`).join('; ');
    reason = `no single proposal matches in every transform type (${detail})`;
  }
  return {
    protocol,
    offered: offers.map(offeredSummary),
    configured: specs.map(configuredSummary),
    perTransformType,
    reason,
  };
}
