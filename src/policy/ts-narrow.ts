/**
 * Traffic selector narrowing (RFC 7296 §2.9): the responder answers with a
 * subset of what the initiator proposed that also fits its own policy; the
 * initiator checks that the answer is such a subset.
 */
import { formatTs, isAnyPort, isOpaquePorts, OPAQUE_END, OPAQUE_START, type TsRange } from './ts-range.js';

/** Port part of an intersection, or undefined when empty. OPAQUE handling per §3.13.1. */
function intersectPorts(a: TsRange, b: TsRange): { startPort: number; endPort: number } | undefined {
  const ao = isOpaquePorts(a);
  const bo = isOpaquePorts(b);
  if (ao || bo) {
    // OPAQUE ("ports not available", e.g. fragments) is only inside OPAQUE or ANY
    if ((ao && (bo || isAnyPort(b))) || (bo && isAnyPort(a))) return { startPort: OPAQUE_START, endPort: OPAQUE_END };
    return undefined;
  }
  const startPort = Math.max(a.startPort, b.startPort);
  const endPort = Math.min(a.endPort, b.endPort);
  return startPort <= endPort ? { startPort, endPort } : undefined;
}

/** a ∩ b: addresses ∩, protocol (0 = any) ∩, ports ∩; undefined if empty. */
export function intersectTs(a: TsRange, b: TsRange): TsRange | undefined {
  if (a.family !== b.family) return undefined;
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  if (start > end) return undefined;
  let protocol: number;
  if (a.protocol === 0) protocol = b.protocol;
  else if (b.protocol === 0 || b.protocol === a.protocol) protocol = a.protocol;
  else return undefined;
  const ports = intersectPorts(a, b);
  if (ports === undefined) return undefined;
  return { family: a.family, start, end, protocol, ...ports };
}

export function tsEquals(a: TsRange, b: TsRange): boolean {
  return (
    a.family === b.family &&
    a.start === b.start &&
    a.end === b.end &&
    a.protocol === b.protocol &&
    a.startPort === b.startPort &&
    a.endPort === b.endPort
  );
}

/** inner ⊆ outer (and inner is not empty). */
export function tsContains(outer: TsRange, inner: TsRange): boolean {
  const i = intersectTs(outer, inner);
  return i !== undefined && tsEquals(i, inner);
}

/**
 * Every non-empty intersection of a proposed selector with a configured one,
 * proposed order first (so results for a §2.9 "triggering packet" selector,
 * which the initiator puts first, come first), exact duplicates removed.
 */
export function narrowTs(proposed: readonly TsRange[], configured: readonly TsRange[]): TsRange[] {
  const out: TsRange[] = [];
  for (const p of proposed) {
    for (const c of configured) {
      const i = intersectTs(p, c);
      if (i !== undefined && !out.some((o) => tsEquals(o, i))) out.push(i);
    }
  }
  return out;
}

/** Number of (address, port) points covered, for "largest overlap" scoring. */
export function tsSize(r: TsRange): bigint {
  const addrs = r.end >= r.start ? r.end - r.start + 1n : 0n;
  const ports = isOpaquePorts(r) ? 1n : r.endPort >= r.startPort ? BigInt(r.endPort - r.startPort + 1) : 0n;
  return addrs * ports;
}

export type TsCheck = { readonly ok: true } | { readonly ok: false; readonly error: string };

/**
 * Initiator check of the responder's TSi or TSr (RFC 7296 §2.9): every
 * returned selector must lie inside one we proposed, and there must be one.
 */
export function validateResponseTs(sent: readonly TsRange[], received: readonly TsRange[]): TsCheck {
  if (received.length === 0) return { ok: false, error: 'responder returned no traffic selectors' };
  for (const r of received) {
    if (!sent.some((s) => tsContains(s, r))) {
      return { ok: false, error: `responder returned ${formatTs(r)}, outside what we proposed (${sent.map(formatTs).join(', ') || 'none'})` };
    }
  }
  return { ok: true };
}
