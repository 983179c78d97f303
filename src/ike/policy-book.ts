/**
 * Reference-counted dataplane policies, grouped by reqid (RFC 4301 §4.4.1 SPD
 * entries). All generations of a CHILD SA share one reqid and one set of
 * policies, so a rekey never removes and re-adds them (make-before-break), and
 * a trap (start_action = trap) keeps them installed while no SA exists.
 */
import type { Dataplane, PolicySpec } from './dataplane.js';

interface Group {
  readonly policies: PolicySpec[];
  members: number;
  trapped: boolean;
}

function key(p: PolicySpec): string {
  const s = (x: PolicySpec['local']): string => `${x.startAddress}-${x.endAddress}/${x.protocol}/${x.startPort}-${x.endPort}`;
  return `${p.direction}|${s(p.local)}|${s(p.remote)}|${p.mode}`;
}

export class PolicyBook {
  private readonly groups = new Map<number, Group>();

  constructor(private readonly dataplane: () => Dataplane) {}

  private group(reqid: number): Group {
    let g = this.groups.get(reqid);
    if (g === undefined) {
      g = { policies: [], members: 0, trapped: false };
      this.groups.set(reqid, g);
    }
    return g;
  }

  private async add(g: Group, specs: readonly PolicySpec[]): Promise<void> {
    const have = new Set(g.policies.map(key));
    for (const p of specs) {
      if (have.has(key(p))) continue;
      await this.dataplane().addPolicy(p);
      g.policies.push(p);
      have.add(key(p));
    }
  }

  private async dropIfUnused(reqid: number, g: Group): Promise<void> {
    if (g.members > 0 || g.trapped) return;
    this.groups.delete(reqid);
    for (const p of g.policies.splice(0)) await this.dataplane().deletePolicy(p);
  }

  /** A CHILD SA with this reqid is installed: make sure its policies exist. */
  async join(reqid: number, specs: readonly PolicySpec[]): Promise<void> {
    const g = this.group(reqid);
    g.members++;
    await this.add(g, specs);
  }

  /** A CHILD SA with this reqid is gone: remove the policies if nobody else needs them. */
  async leave(reqid: number): Promise<void> {
    const g = this.groups.get(reqid);
    if (g === undefined) return;
    g.members = Math.max(0, g.members - 1);
    await this.dropIfUnused(reqid, g);
  }

  /** start_action = trap: keep policies without an SA so traffic triggers an ACQUIRE. */
  async trap(reqid: number, specs: readonly PolicySpec[]): Promise<void> {
    const g = this.group(reqid);
    g.trapped = true;
    await this.add(g, specs);
  }

  async untrap(reqid: number): Promise<void> {
    const g = this.groups.get(reqid);
    if (g === undefined) return;
    g.trapped = false;
    await this.dropIfUnused(reqid, g);
  }

  isTrapped(reqid: number): boolean {
    return this.groups.get(reqid)?.trapped === true;
  }

  /** number of reqids with installed policies (leak checks) */
  get size(): number {
    return this.groups.size;
  }
}
