/**
 * Security Policy Database of the userspace dataplane (RFC 4301 §4.4.1):
 * outbound packets read from the TUN device are matched against the `out`
 * policies (local selector = packet source, remote = destination); packets
 * that come out of an inbound SA are checked against that SA's `in` policies
 * (RFC 4301 §5.2 step 4: the inner header must match the SA's selectors).
 *
 * Order: lower `priority` first (as in XFRM), then the narrower selector pair,
 * then installation order. Lookups are a linear scan: a gateway has few
 * policies, and a cache would have to be invalidated on every change.
 */
import type { PolicySpec } from '../../ike/dataplane.js';
import { compileSelector, selectorMatches, type CompiledSelector, type Flow } from './flow.js';

export interface SpdEntry {
  readonly spec: PolicySpec;
  readonly local: CompiledSelector;
  readonly remote: CompiledSelector;
  readonly order: number;
}

export function policyKey(p: PolicySpec): string {
  const s = (x: PolicySpec['local']): string => `${x.startAddress}-${x.endAddress}/${x.protocol}/${x.startPort}-${x.endPort}`;
  return `${p.direction}|${s(p.local)}|${s(p.remote)}|${p.reqid}`;
}

function compare(a: SpdEntry, b: SpdEntry): number {
  if (a.spec.priority !== b.spec.priority) return a.spec.priority - b.spec.priority;
  const sa = a.local.span * a.remote.span;
  const sb = b.local.span * b.remote.span;
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.order - b.order;
}

export class Spd {
  readonly #byKey = new Map<string, SpdEntry>();
  #out: SpdEntry[] = [];
  #in: SpdEntry[] = [];
  #order = 0;

  get size(): number {
    return this.#byKey.size;
  }

  /** Adds or replaces a policy (same direction, selectors and reqid). Throws KernelError on a bad selector. */
  add(p: PolicySpec): void {
    const key = policyKey(p);
    const e: SpdEntry = { spec: p, local: compileSelector(p.local), remote: compileSelector(p.remote), order: this.#order++ };
    this.#byKey.set(key, e);
    this.#rebuild();
  }

  remove(p: PolicySpec): boolean {
    const ok = this.#byKey.delete(policyKey(p));
    if (ok) this.#rebuild();
    return ok;
  }

  clear(): void {
    this.#byKey.clear();
    this.#rebuild();
  }

  all(): readonly SpdEntry[] {
    return [...this.#byKey.values()];
  }

  /** The first `out` policy whose selectors cover this packet. */
  lookupOut(f: Flow): SpdEntry | undefined {
    for (const e of this.#out) {
      if (
        selectorMatches(e.local, f.family, f.src, f.proto, f.sport) &&
        selectorMatches(e.remote, f.family, f.dst, f.proto, f.dport)
      ) {
        return e;
      }
    }
    return undefined;
  }

  /** Is a packet decapsulated from an SA of `reqid` allowed by one of its `in` policies? */
  allowsIn(reqid: number, f: Flow): boolean {
    for (const e of this.#in) {
      if (e.spec.reqid !== reqid) continue;
      if (
        selectorMatches(e.local, f.family, f.dst, f.proto, f.dport) &&
        selectorMatches(e.remote, f.family, f.src, f.proto, f.sport)
      ) {
        return true;
      }
    }
    return false;
  }

  #rebuild(): void {
    const all = [...this.#byKey.values()];
    this.#out = all.filter((e) => e.spec.direction === 'out').sort(compare);
    // `fwd` policies (tunnel mode, forwarded traffic) admit the same inner packets as `in`
    this.#in = all.filter((e) => e.spec.direction === 'in' || e.spec.direction === 'fwd').sort(compare);
  }
}
