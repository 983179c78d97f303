/**
 * One IPsec SA pair negotiated by Quick Mode (RFC 2409 §5.5): inbound and
 * outbound ESP SAs with their own SPIs and KEYMAT, plus the policies.
 *
 *   installing --QM done--> installed --delete/expire--> removed
 */
import type { ChildConfig } from '../../config/model.js';
import type { PolicySpec, SaSpec } from '../dataplane.js';
import type { AlgorithmInfo, ChildSaInfo } from '../info.js';
import type { V1Sa } from './v1-sa.js';

export type V1ChildState = 'installing' | 'installed' | 'removed';

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

export class V1Child {
  readonly uniqueId: number;
  state: V1ChildState = 'installing';
  spiIn = 0;
  spiOut = 0;
  mode: 'tunnel' | 'transport' = 'tunnel';
  encap = false;
  algorithms: AlgorithmInfo | undefined;
  localTs: readonly string[] = [];
  remoteTs: readonly string[] = [];
  lifeSeconds = 0;
  establishedAtMs: number | undefined;
  establishedAtWall: number | undefined;
  private readonly sas: SaSpec[] = [];
  private readonly policies: PolicySpec[] = [];

  constructor(readonly sa: V1Sa, readonly cfg: ChildConfig) {
    this.uniqueId = sa.ctx.nextUniqueId();
  }

  get reqid(): number {
    return this.uniqueId;
  }

  get logFields(): Record<string, unknown> {
    return { ...this.sa.logFields, child: this.uniqueId, childName: this.cfg.name, spis: `${hex8(this.spiIn)}_i ${hex8(this.spiOut)}_o` };
  }

  /** SAs first, then policies, so no packet matches a policy without an SA. */
  async install(sas: readonly SaSpec[], policies: readonly PolicySpec[]): Promise<void> {
    const dp = this.sa.ctx.dataplane;
    for (const s of sas) {
      await dp.addSa(s);
      this.sas.push(s);
    }
    for (const p of policies) {
      await dp.addPolicy(p);
      this.policies.push(p);
    }
    this.state = 'installed';
    this.establishedAtMs = this.sa.ctx.clock.nowMs();
    this.establishedAtWall = this.sa.ctx.wallClock.nowEpochMs();
    this.sa.children.set(this.uniqueId, this);
    this.sa.ctx.counters.inc('v1.child.installed');
    this.sa.ctx.log('info', 'v1.child.installed', { ...this.logFields, mode: this.mode, encap: this.encap, localTs: this.localTs, remoteTs: this.remoteTs, alg: this.algorithms });
  }

  /** Removes policies, SAs and an allocated-but-unused inbound SPI. Never throws. */
  remove(reason: string): void {
    if (this.state === 'removed') return;
    const was = this.state;
    this.state = 'removed';
    this.sa.children.delete(this.uniqueId);
    const dp = this.sa.ctx.dataplane;
    const policies = this.policies.splice(0);
    const sas = this.sas.splice(0);
    const inbound = sas.some((s) => s.direction === 'in');
    const spiIn = this.spiIn;
    const local = this.sa.local.address;
    const work = async (): Promise<void> => {
      for (const p of policies) await dp.deletePolicy(p);
      for (const s of sas) await dp.deleteSa({ protocol: s.protocol, spi: s.spi, dst: s.dst });
      if (!inbound && spiIn !== 0) await dp.deleteSa({ protocol: 'esp', spi: spiIn, dst: local });
    };
    work().catch((err: unknown) => {
      this.sa.ctx.counters.inc('kernel.error.delete');
      this.sa.ctx.log('warn', 'v1.child.remove.error', { ...this.logFields, error: err instanceof Error ? err.message : String(err) });
    });
    if (was === 'installed') {
      this.sa.ctx.counters.inc('v1.child.removed');
      this.sa.ctx.log('info', 'v1.child.removed', { ...this.logFields, reason });
    }
  }

  async info(): Promise<ChildSaInfo> {
    const dp = this.sa.ctx.dataplane;
    const zero = { bytes: 0, packets: 0 };
    const on = this.state === 'installed';
    const inC = on ? await dp.querySa({ protocol: 'esp', spi: this.spiIn, dst: this.sa.local.address }).catch(() => zero) : zero;
    const outC = on ? await dp.querySa({ protocol: 'esp', spi: this.spiOut, dst: this.sa.remote.address }).catch(() => zero) : zero;
    const left = this.establishedAtMs === undefined || this.lifeSeconds <= 0 ? null : Math.max(0, Math.round((this.establishedAtMs + this.lifeSeconds * 1000 - this.sa.ctx.clock.nowMs()) / 1000));
    return {
      uniqueId: this.uniqueId, name: this.cfg.name, state: this.state, protocol: 'esp', mode: this.mode, encap: this.encap,
      spiIn: hex8(this.spiIn), spiOut: hex8(this.spiOut), algorithms: this.algorithms ?? { encryption: 'NONE' },
      localTs: this.localTs, remoteTs: this.remoteTs, bytesIn: inC.bytes, bytesOut: outC.bytes, packetsIn: inC.packets, packetsOut: outC.packets,
      establishedAt: this.establishedAtWall === undefined ? '' : new Date(this.establishedAtWall).toISOString(),
      // IKEv1 children are not rekeyed yet: they live until their lifetime
      rekeyIn: null, expiresIn: left, generation: 0,
    };
  }
}
