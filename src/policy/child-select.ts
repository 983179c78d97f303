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
import type { ChildConfig, TsSpec } from '../config/model.js';
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

/**
 * Configured selectors as ranges. Fixed ones (subnets, ranges) are converted
 * once per config object; only "dynamic" ones depend on the SA's addresses.
 */
const fixedRanges = new WeakMap<readonly TsSpec[], readonly TsRange[]>();

function resolveAll(specs: readonly TsSpec[], dynamicAddress: string): readonly TsRange[] {
  const cached = fixedRanges.get(specs);
  if (cached !== undefined) return cached;
  const out = specs.map((t) => resolveTs(t, dynamicAddress));
  if (!specs.some((t) => t.dynamic)) fixedRanges.set(specs, out);
  return out;
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
  // what each candidate made of the proposal; turned into text only if none fits (formatting
  // every selector of every candidate on each CHILD SA showed in handshake profiles)
  const tried: { c: ChildCandidate; local: readonly TsRange[]; remote: readonly TsRange[]; why: (l: string[], r: string[]) => string }[] = [];
  let best: { c: ChildCandidate; tsi: TsRange[]; tsr: TsRange[]; score: number; size: bigint } | undefined;
  for (const c of candidates) {
    let local: readonly TsRange[];
    let remote: readonly TsRange[];
    try {
      local = resolveAll(c.child.localTs, dyn.local);
      remote = resolveAll(c.child.remoteTs, dyn.remote);
    } catch (e) {
      if (!(e instanceof KeywayError)) throw e;
      const message = e.message;
      tried.push({ c, local: [], remote: [], why: () => `cannot resolve selectors: ${message}` });
      continue;
    }
    const nTsi = narrowTs(tsi, remote);
    const nTsr = narrowTs(tsr, local);
    if (nTsi.length === 0 || nTsr.length === 0) {
      tried.push({
        c,
        local,
        remote,
        why: (localText, remoteText) => {
          const whys: string[] = [];
          if (nTsi.length === 0) whys.push(`TSi ${tsi.map(formatTs).join(', ') || '(none)'} does not overlap remote_ts ${remoteText.join(', ') || '(none)'}`);
          if (nTsr.length === 0) whys.push(`TSr ${tsr.map(formatTs).join(', ') || '(none)'} does not overlap local_ts ${localText.join(', ') || '(none)'}`);
          return whys.join('; ');
        },
      });
      continue;
    }
    const score = sideScore(tsi, remote) + sideScore(tsr, local);
    const size = total(nTsi) + total(nTsr);
    tried.push({ c, local, remote, why: () => `acceptable (score ${score})` });
    if (best === undefined || score > best.score || (score === best.score && size > best.size)) {
      best = { c, tsi: nTsi, tsr: nTsr, score, size };
    }
  }
  if (best !== undefined) return { ok: true, candidate: best.c, tsi: best.tsi, tsr: best.tsr };
  const report = tried.map((t) => {
    const localTs = t.local.map(formatTs);
    const remoteTs = t.remote.map(formatTs);
    return { child: `${t.c.connection}/${t.c.child.name}`, localTs, remoteTs, why: t.why(localTs, remoteTs) };
  });
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
