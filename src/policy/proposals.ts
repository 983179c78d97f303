/**
 * IKE and ESP proposal negotiation (RFC 7296 §2.7, §3.3).
 *
 *  - proposalsToWire: our ProposalSpecs as SA payload proposals (initiator).
 *  - selectProposal: the responder picks one offered proposal and one
 *    transform per type, or explains why nothing fits.
 *  - validateResponseProposal: the initiator checks the responder's choice.
 *  - keGroupsOf: KE groups for the first KE payload / INVALID_KE_PAYLOAD.
 */
import { EsnId, IntegId, KeId, ProtocolId, TransformAttr, TransformType } from '../iana/ikev2.js';
import type { ProposalSpec } from '../config/model.js';
import type { Proposal, Transform } from '../wire/ikev2/types.js';
import { KeywayError } from '../util/errors.js';
import { buildProposalDiagnostic, type ProposalDiagnostic, type ProposalMiss } from './proposal-diagnostic.js';
import { matchProposal, type Picks } from './proposal-match.js';
import { normalizeOffer, normalizeSpec, protocolIdOf, type NormOffer } from './proposal-norm.js';
import { isAeadEncr, sameKey, typesFor, type ProtocolName } from './transforms.js';

export type { ProposalDiagnostic, ProposalSummary, TransformTypeSummary } from './proposal-diagnostic.js';
export type { ProtocolName } from './transforms.js';

/** The negotiated algorithms, one per transform type. */
export interface SelectedAlgorithms {
  readonly encrId: number;
  readonly encrKeyBits?: number;
  /** IKE only */
  readonly prfId?: number;
  /** undefined for AEAD ciphers */
  readonly integId?: number;
  /** undefined = no key exchange (ESP without PFS) */
  readonly keId?: number;
  /** ESP only: true when extended sequence numbers were chosen */
  readonly esn?: boolean;
}

export type SelectionResult =
  | { readonly ok: true; readonly chosen: Proposal; readonly selected: SelectedAlgorithms }
  | { readonly ok: false; readonly diagnostic: ProposalDiagnostic };

export interface SelectOptions {
  /** walk our configured order instead of the initiator's (strongSwan prefer_configured_proposals) */
  readonly preferConfigured?: boolean;
}

const MAX_PROPOSALS = 255; // RFC 7296 §3.3.1: Proposal Num is one octet

function encrTransform(id: number, keyBits: number | undefined): Transform {
  // RFC 7296 §3.3.5: KEY_LENGTH is a TV attribute, only for variable-length ciphers
  const attributes = keyBits === undefined ? [] : [{ type: TransformAttr.KEY_LENGTH, tv: true, value: keyBits, data: new Uint8Array(0) }];
  return { type: TransformType.ENCR, id, attributes };
}

function plain(type: number, id: number): Transform {
  return { type, id, attributes: [] };
}

/**
 * One wire proposal per spec, numbered from 1 (RFC 7296 §3.3.1), transforms
 * in the §3.3.3 order. ESP carries no PRF, KE only when PFS is configured and
 * always an ESN transform (§3.3.3 makes ESN mandatory for ESP).
 */
export function proposalsToWire(specs: readonly ProposalSpec[], protocol: ProtocolName, spi: Uint8Array): Proposal[] {
  if (specs.length > MAX_PROPOSALS) throw new KeywayError('POLICY_TOO_MANY_PROPOSALS', `at most ${MAX_PROPOSALS} proposals`);
  const okSpi = protocol === 'ike' ? spi.length === 0 || spi.length === 8 : spi.length === 4;
  if (!okSpi) throw new KeywayError('POLICY_BAD_SPI', `bad ${protocol} SPI length ${spi.length}`);
  return specs.map((s, i) => {
    const transforms: Transform[] = s.encr.map((e) => encrTransform(e.id, e.keyBits));
    if (protocol === 'ike') transforms.push(...s.prf.map((id) => plain(TransformType.PRF, id)));
    transforms.push(...s.integ.map((id) => plain(TransformType.INTEG, id)));
    transforms.push(...s.ke.map((id) => plain(TransformType.KE, id)));
    if (protocol === 'esp') {
      const esn = s.esn.length > 0 ? s.esn : [EsnId.NO_ESN];
      transforms.push(...esn.map((id) => plain(TransformType.ESN, id)));
    }
    return { number: i + 1, protocolId: protocolIdOf(protocol), spi, transforms };
  });
}

function toSelected(picks: Picks, protocol: ProtocolName): SelectedAlgorithms | undefined {
  const e = picks.ENCR;
  if (e === undefined) return undefined;
  const ke = picks.KE;
  return {
    encrId: e.id,
    ...(e.keyBits !== undefined ? { encrKeyBits: e.keyBits } : {}),
    ...(protocol === 'ike' && picks.PRF !== undefined ? { prfId: picks.PRF.id } : {}),
    ...(picks.INTEG !== undefined && picks.INTEG.id !== IntegId.NONE ? { integId: picks.INTEG.id } : {}),
    ...(ke !== undefined && ke.id !== KeId.NONE ? { keId: ke.id } : {}),
    ...(protocol === 'esp' ? { esn: picks.ESN?.id === EsnId.ESN } : {}),
  };
}

function chosenProposal(off: NormOffer, picks: Picks, protocol: ProtocolName): Proposal {
  const transforms: Transform[] = [];
  for (const label of typesFor(protocol)) {
    const wire = picks[label]?.wire;
    // defaults we filled in (absent KE/ESN) are not echoed back
    if (wire !== undefined) transforms.push(wire);
  }
  // §3.3.1: same proposal number, protocol and SPI as the accepted offer
  return { number: off.proposal.number, protocolId: off.proposal.protocolId, spi: off.proposal.spi, transforms };
}

/**
 * Responder side of RFC 7296 §2.7: choose one proposal and a single transform
 * of each type. Default order is the initiator's (first acceptable offered
 * proposal, first acceptable transform within it), like strongSwan.
 */
export function selectProposal(
  offered: readonly Proposal[],
  configured: readonly ProposalSpec[],
  protocol: ProtocolName,
  opts?: SelectOptions,
): SelectionResult {
  const prefer = opts?.preferConfigured === true;
  const pid = protocolIdOf(protocol);
  const offers = offered.slice(0, MAX_PROPOSALS).map((p) => normalizeOffer(p, protocol));
  const mine = offers.filter((o) => o.proposal.protocolId === pid);
  const specs = configured.map((s) => normalizeSpec(s, protocol));

  const pairs: [NormOffer, (typeof specs)[number]][] = [];
  if (prefer) for (const s of specs) for (const o of mine) pairs.push([o, s]);
  else for (const o of mine) for (const s of specs) pairs.push([o, s]);

  const misses = new Map<NormOffer, ProposalMiss>();
  for (const [o, s] of pairs) {
    const r = matchProposal(o, s, protocol, prefer);
    if (r.ok) {
      const selected = toSelected(r.picks, protocol);
      if (selected !== undefined) return { ok: true, chosen: chosenProposal(o, r.picks, protocol), selected };
      continue;
    }
    const prev = misses.get(o);
    if (prev === undefined || r.depth > prev.depth) misses.set(o, { number: o.proposal.number, reason: r.reason, depth: r.depth });
  }
  const ordered = mine.map((o) => misses.get(o)).filter((m): m is ProposalMiss => m !== undefined);
  return { ok: false, diagnostic: buildProposalDiagnostic(protocol, offers, specs, ordered) };
}

/**
 * Initiator side: the responder "MUST choose a single suite" (RFC 7296 §2.7)
 * out of what we sent; anything else is a protocol violation.
 */
export function validateResponseProposal(sent: readonly Proposal[], received: Proposal): SelectedAlgorithms | { readonly error: string } {
  const protocol: ProtocolName | undefined =
    received.protocolId === ProtocolId.IKE ? 'ike' : received.protocolId === ProtocolId.ESP ? 'esp' : undefined;
  if (protocol === undefined) return { error: `unexpected protocol ID ${received.protocolId} in the response` };
  const ours = sent.find((p) => p.number === received.number && p.protocolId === received.protocolId);
  if (ours === undefined) return { error: `responder chose proposal #${received.number}, which we did not offer` };
  const mine = normalizeOffer(ours, protocol);
  const theirs = normalizeOffer(received, protocol);
  if (theirs.unknownTypes.length > 0) return { error: `response has unexpected transform type(s) ${theirs.unknownTypes.join(', ')}` };

  const picks: Record<string, (typeof theirs.byType.ENCR)[number] | undefined> = {};
  for (const label of typesFor(protocol)) {
    const got = theirs.byType[label];
    if (got.length > 1) return { error: `response has ${got.length} ${label} transforms, expected one` };
    const t = got[0];
    if (t === undefined) continue;
    if (t.problem !== undefined) return { error: `response ${label} transform ${t.name} is not acceptable` };
    if (!mine.byType[label].some((m) => m.problem === undefined && sameKey(m, t))) {
      return { error: `responder chose ${label} ${t.name}, which we did not offer in proposal #${ours.number}` };
    }
    picks[label] = t;
  }
  const encr = picks['ENCR'];
  if (encr === undefined) return { error: 'response lacks an ENCR transform' };
  const integ = picks['INTEG'];
  const aead = isAeadEncr(encr.id);
  if (aead && integ !== undefined && integ.id !== IntegId.NONE) return { error: `AEAD ${encr.name} combined with ${integ.name}` };
  if (!aead && (integ === undefined || integ.id === IntegId.NONE)) return { error: 'response lacks an INTEG transform' };
  if (protocol === 'ike') {
    if (picks['PRF'] === undefined) return { error: 'response lacks a PRF transform' };
    const ke = picks['KE'];
    if (ke === undefined || ke.id === KeId.NONE) return { error: 'response lacks a KE transform' };
  }
  const full: Picks = {
    ENCR: encr,
    PRF: picks['PRF'],
    INTEG: integ,
    KE: picks['KE'],
    ESN: picks['ESN'],
  };
  return toSelected(full, protocol) ?? { error: 'response lacks an ENCR transform' };
}

/**
 * KE groups from our proposals (RFC 7296 §1.2, §2.7): `preferred` is what the
 * initiator guesses for its first KE payload; `acceptable` lists every group we
 * would accept in an INVALID_KE_PAYLOAD notify (§3.10.1) or from a peer.
 */
export function keGroupsOf(specs: readonly ProposalSpec[]): { readonly preferred: number | undefined; readonly acceptable: readonly number[] } {
  const acceptable: number[] = [];
  for (const s of specs) for (const g of s.ke) if (g !== KeId.NONE && !acceptable.includes(g)) acceptable.push(g);
  return { preferred: acceptable[0], acceptable };
}

/** True when `group` is one we configured (checks a peer's INVALID_KE_PAYLOAD suggestion). */
export function isAcceptableKeGroup(specs: readonly ProposalSpec[], group: number): boolean {
  return keGroupsOf(specs).acceptable.includes(group);
}
