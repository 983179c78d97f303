/**
 * Responder-side choice of a CHILD_SA config for received TSi/TSr
 * (RFC 7296 §2.9): the config whose narrowed selectors are non-empty on both
 * sides and which matches the proposal most closely.
 *
 * Score per side (summed over both sides), then total overlap size, then
 * config order:
 *   3 = one of our selectors equals a proposed one,
 *   2 = one of ours contains a proposed one (we accept it unnarrowed),
 *   1 = only partial overlaps (we narrow).
 */
import type { ChildConfig } from '../config/model.js';
import { KeywayError } from '../util/errors.js';
import { narrowTs, tsContains, tsEquals, tsSize } from './ts-narrow.js';
import { formatTs, resolveTs, type TsRange } from './ts-range.js';

export interface ChildCandidate {
  /** connection name, for diagnostics */
  readonly connection: string;
  readonly child: ChildConfig;
}

/** Addresses that "dynamic" selectors stand for on each side. */
export interface DynamicAddresses {
  /** our IKE address (local_ts = dynamic) */
  readonly local: string;
  /** the peer's IKE address or assigned virtual IP (remote_ts = dynamic) */
  readonly remote: string;
}

export interface ChildSelectDiagnostic {
  readonly proposed: { readonly tsi: readonly string[]; readonly tsr: readonly string[] };
  readonly candidates: readonly { readonly child: string; readonly localTs: readonly string[]; readonly remoteTs: readonly string[]; readonly why: string }[];
  readonly reason: string;
}

export type ChildSelection =
  | { readonly ok: true; readonly candidate: ChildCandidate; readonly tsi: readonly TsRange[]; readonly tsr: readonly TsRange[] }
  | { readonly ok: false; readonly diagnostic: ChildSelectDiagnostic };

/** All children of the given connections, in config order. */
export function childCandidatesOf(conns: readonly { readonly name: string; readonly children: readonly ChildConfig[] }[]): ChildCandidate[] {
  return conns.flatMap((c) => c.children.map((child) => ({ connection: c.name, child })));
}

function sideScore(proposed: readonly TsRange[], ours: readonly TsRange[]): number {
  let best = 1;
  for (const o of ours) {
    for (const p of proposed) {
      if (tsEquals(o, p)) return 3;
      if (tsContains(o, p)) best = 2;
    }
  }
  return best;
}

function total(rs: readonly TsRange[]): bigint {
  return rs.reduce((acc, r) => acc + tsSize(r), 0n);
}

/**
 * Narrowing as responder: TSi (initiator side) against our remote_ts, TSr
 * (our side) against our local_ts. Both must be non-empty, else the caller
 * answers TS_UNACCEPTABLE (RFC 7296 §2.9).
 */
export function selectChildConfig(
  candidates: readonly ChildCandidate[],
  tsi: readonly TsRange[],
  tsr: readonly TsRange[],
  dyn: DynamicAddresses,
): ChildSelection {
  const report: { child: string; localTs: string[]; remoteTs: string[]; why: string }[] = [];
  let best: { c: ChildCandidate; tsi: TsRange[]; tsr: TsRange[]; score: number; size: bigint } | undefined;
  for (const c of candidates) {
    const label = `${c.connection}/${c.child.name}`;
    let local: TsRange[];
    let remote: TsRange[];
    try {
      local = c.child.localTs.map((t) => resolveTs(t, dyn.local));
      remote = c.child.remoteTs.map((t) => resolveTs(t, dyn.remote));
    } catch (e) {
      if (!(e instanceof KeywayError)) throw e;
      report.push({ child: label, localTs: [], remoteTs: [], why: `cannot resolve selectors: ${e.message}` });
      continue;
    }
    const entry = { child: label, localTs: local.map(formatTs), remoteTs: remote.map(formatTs) };
    const nTsi = narrowTs(tsi, remote);
    const nTsr = narrowTs(tsr, local);
    if (nTsi.length === 0 || nTsr.length === 0) {
      const whys: string[] = [];
      if (nTsi.length === 0) whys.push(`TSi ${tsi.map(formatTs).join(', ') || '(none)'} does not overlap remote_ts ${entry.remoteTs.join(', ') || '(none)'}`);
      if (nTsr.length === 0) whys.push(`TSr ${tsr.map(formatTs).join(', ') || '(none)'} does not overlap local_ts ${entry.localTs.join(', ') || '(none)'}`);
      report.push({ ...entry, why: whys.join('; ') });
      continue;
    }
    const score = sideScore(tsi, remote) + sideScore(tsr, local);
    const size = total(nTsi) + total(nTsr);
    report.push({ ...entry, why: `acceptable (score ${score})` });
    if (best === undefined || score > best.score || (score === best.score && size > best.size)) {
      best = { c, tsi: nTsi, tsr: nTsr, score, size };
    }
  }
  if (best !== undefined) return { ok: true, candidate: best.c, tsi: best.tsi, tsr: best.tsr };
  return {
    ok: false,
    diagnostic: {
      proposed: { tsi: tsi.map(formatTs), tsr: tsr.map(formatTs) },
      candidates: report,
      reason:
        candidates.length === 0
          ? 'no CHILD_SA config to match traffic selectors against'
          : `no CHILD_SA config matches TSi ${tsi.map(formatTs).join(', ') || '(none)'} / TSr ${tsr.map(formatTs).join(', ') || '(none)'} (${candidates.length} considered)`,
    },
  };
}
