/**
 * One IPsec SA pair negotiated by Quick Mode (RFC 2409 §5.5): inbound and
 * outbound ESP SAs with their own SPIs and KEYMAT, plus the policies.
 *
 *   installing --QM done--> installed --delete/expire--> removed
 */
import type { ChildConfig } from '../../config/model.js';
import type { PolicySpec, SaSpec } from '../dataplane.js';
import type { TimerHandle } from '../ports.js';
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
  /** we started the Quick Mode that created this SA: we rekey it (one side only, or SAs multiply) */
  initiatedByUs = false;
  /** how many rekeys led to this SA */
  generation = 0;
  /** reqid shared by all generations (their policies are one PolicyBook group: make-before-break) */
  readonly reqid: number;
  rekeyTimer: TimerHandle | undefined;
  rekeyAtMs: number | undefined;
  expireTimer: TimerHandle | undefined;
  private readonly sas: SaSpec[] = [];
  private joined = false;

  constructor(readonly sa: V1Sa, readonly cfg: ChildConfig, reqid?: number) {
    this.uniqueId = sa.ctx.nextUniqueId();
    this.reqid = reqid ?? this.uniqueId;
  }

  cancelTimers(): void {
    if (this.rekeyTimer) this.sa.ctx.scheduler.cancel(this.rekeyTimer);
    if (this.expireTimer) this.sa.ctx.scheduler.cancel(this.expireTimer);
    this.rekeyTimer = undefined;
    this.expireTimer = undefined;
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
    await this.sa.ctx.policies.join(this.reqid, policies);
    this.joined = true;
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
    this.cancelTimers();
    this.sa.children.delete(this.uniqueId);
    const dp = this.sa.ctx.dataplane;
    const leave = this.joined;
    this.joined = false;
    const reqid = this.reqid;
    const policyBook = this.sa.ctx.policies;
    const sas = this.sas.splice(0);
    const inbound = sas.some((s) => s.direction === 'in');
    const spiIn = this.spiIn;
    const local = this.sa.local.address;
    const work = async (): Promise<void> => {
      if (leave) await policyBook.leave(reqid);
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
      rekeyIn: this.rekeyAtMs === undefined ? null : Math.max(0, Math.round((this.rekeyAtMs - this.sa.ctx.clock.nowMs()) / 1000)),
      expiresIn: left, generation: this.generation,
    };
  }
}
