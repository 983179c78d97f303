/**
 * One CHILD SA: the pair of ESP SAs (inbound/outbound) and the policies that
 * send traffic into them (RFC 7296 §1.3, §2.17; RFC 4301 §4.4).
 *
 *   installing --installed--> installed --delete--> deleting --> removed
 *        \------------------------ failure ------------------------/
 */
import type { ChildConfig } from '../config/model.js';
import type { Dataplane, PolicySpec, SaSpec } from './dataplane.js';
import type { EngineContext } from './context.js';
import type { AlgorithmInfo } from './info.js';
import type { IkeSa } from './ike-sa.js';

export type ChildSaState = 'installing' | 'installed' | 'deleting' | 'removed' | 'failed';

export class ChildSa {
  readonly uniqueId: number;
  state: ChildSaState = 'installing';
  /** our inbound SPI (we chose it) and the peer's (our outbound) */
  spiIn = 0;
  spiOut = 0;
  mode: 'tunnel' | 'transport' = 'tunnel';
  encap = false;
  /** we sent the request that created this CHILD SA: we use the "i" keys outbound (§2.17) */
  exchangeInitiator = false;
  algorithms: AlgorithmInfo | undefined;
  localTs: readonly string[] = [];
  remoteTs: readonly string[] = [];
  establishedAtMs: number | undefined;
  establishedAtWall: number | undefined;
  generation = 0;
  closeReason: string | undefined;
  private readonly installedSas: SaSpec[] = [];
  private readonly installedPolicies: PolicySpec[] = [];

  constructor(
    readonly ctx: EngineContext,
    readonly ikeSa: IkeSa,
    readonly cfg: ChildConfig,
  ) {
    this.uniqueId = ctx.nextUniqueId();
  }

  get name(): string {
    return this.cfg.name;
  }

  /** reqid: ties the kernel SAs and policies of this CHILD SA together */
  get reqid(): number {
    return this.uniqueId;
  }

  get logFields(): Record<string, unknown> {
    return {
      ...this.ikeSa.logFields,
      child: this.uniqueId,
      childName: this.cfg.name,
      spis: `${hex8(this.spiIn)}_i ${hex8(this.spiOut)}_o`,
    };
  }

  /** Installs SAs first, then policies, so no packet matches a policy without an SA. */
  async install(sas: readonly SaSpec[], policies: readonly PolicySpec[]): Promise<void> {
    const dp: Dataplane = this.ctx.dataplane;
    for (const sa of sas) {
      await dp.addSa(sa);
      this.installedSas.push(sa);
    }
    for (const p of policies) {
      await dp.addPolicy(p);
      this.installedPolicies.push(p);
    }
    this.state = 'installed';
    this.establishedAtMs = this.ctx.clock.nowMs();
    this.establishedAtWall = this.ctx.wallClock.nowEpochMs();
    this.ikeSa.children.set(this.uniqueId, this);
    this.ctx.counters.inc('child.installed');
    this.ctx.log('info', 'child.installed', {
      ...this.logFields,
      mode: this.mode,
      localTs: this.localTs,
      remoteTs: this.remoteTs,
      alg: this.algorithms,
    });
  }

  /**
   * RFC 7296 §2.23: the peer's address or NAT mapping changed; move the ESP
   * SAs (and tunnel policies) to the new outer addresses and UDP ports.
   */
  async updateEndpoints(): Promise<void> {
    if (this.state !== 'installed') return;
    const sa = this.ikeSa;
    const local = sa.local.address;
    const remote = sa.remote.address;
    const encap = this.encap ? { srcPort: sa.local.port, dstPort: sa.remote.port } : undefined;
    const dp = this.ctx.dataplane;
    for (let i = 0; i < this.installedSas.length; i++) {
      const old = this.installedSas[i];
      if (old === undefined) continue;
      const inbound = old.direction === 'in';
      const { encap: _drop, ...rest } = old;
      void _drop;
      const next: SaSpec = {
        ...rest,
        src: inbound ? remote : local,
        dst: inbound ? local : remote,
        ...(encap ? { encap: inbound ? { srcPort: encap.dstPort, dstPort: encap.srcPort } : encap } : {}),
      };
      const oldId = { protocol: old.protocol, spi: old.spi, dst: old.dst };
      if (dp.updateSa !== undefined) await dp.updateSa(oldId, next);
      else {
        await dp.deleteSa(oldId);
        await dp.addSa(next);
      }
      this.installedSas[i] = next;
    }
    for (let i = 0; i < this.installedPolicies.length; i++) {
      const p = this.installedPolicies[i];
      if (p === undefined || p.mode !== 'tunnel') continue;
      const next: PolicySpec = p.direction === 'out' ? { ...p, tunnelSrc: local, tunnelDst: remote } : { ...p, tunnelSrc: remote, tunnelDst: local };
      await dp.deletePolicy(p);
      await dp.addPolicy(next);
      this.installedPolicies[i] = next;
    }
    this.ctx.counters.inc('child.endpoints.updated');
  }

  /**
   * Removes everything installed (policies first, then SAs) and forgets the
   * CHILD SA. Dataplane failures are logged, never thrown. Also releases an
   * allocated-but-unused inbound SPI.
   */
  remove(reason: string): void {
    if (this.state === 'removed') return;
    const wasInstalled = this.state === 'installed' || this.state === 'deleting';
    this.state = 'removed';
    this.closeReason = reason;
    this.ikeSa.children.delete(this.uniqueId);
    const dp = this.ctx.dataplane;
    const policies = this.installedPolicies.splice(0);
    const sas = this.installedSas.splice(0);
    const inboundInstalled = sas.some((s) => s.direction === 'in');
    const spiIn = this.spiIn;
    const peer = this.ikeSa.remote.address;
    const local = this.ikeSa.local.address;
    const work = async (): Promise<void> => {
      for (const p of policies) await dp.deletePolicy(p);
      for (const s of sas) await dp.deleteSa({ protocol: s.protocol, spi: s.spi, dst: s.dst });
      if (!inboundInstalled && spiIn !== 0) await dp.deleteSa({ protocol: 'esp', spi: spiIn, dst: local });
    };
    work().catch((err: unknown) => {
      this.ctx.counters.inc('kernel.error.delete');
      this.ctx.log('warn', 'child.remove.error', {
        ...this.logFields,
        peer,
        error: err instanceof Error ? err.message : String(err),
      });
    });
    if (wasInstalled) {
      this.ctx.counters.inc('child.removed');
      this.ctx.log('info', 'child.removed', { ...this.logFields, reason });
    }
  }
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
