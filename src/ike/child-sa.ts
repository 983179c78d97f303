/**
 * One CHILD SA: the pair of ESP SAs (inbound/outbound) and the policies that
 * send traffic into them (RFC 7296 §1.3, §2.17; RFC 4301 §4.4).
 *
 *   installing --installed--> installed --rekey sent--> rekeying --new SA up--> rekeyed --> removed
 *        |                        |  \------------- delete ------------> deleting -------/
 *        \------------------------+--------------- failure ---------------------------/
 *
 * Rekeying is make-before-break: the successor keeps the same reqid and takes
 * over the policies, so the dataplane always has an SA for the traffic. The
 * responder of a rekey installs the new outbound SA only when the old one is
 * deleted, so it never sends on an SA the peer has not installed yet.
 */
import type { ChildConfig } from '../config/model.js';
import type { TsRange } from '../policy/ts.js';
import type { Dataplane, PolicySpec, SaSpec } from './dataplane.js';
import type { EngineContext } from './context.js';
import type { AlgorithmInfo } from './info.js';
import type { IkeSa } from './ike-sa.js';
import type { TimerHandle } from './ports.js';

export type ChildSaState = 'installing' | 'installed' | 'rekeying' | 'rekeyed' | 'deleting' | 'removed' | 'failed';

/** The nonces of the exchange that created a CHILD SA (lowest-nonce rule, §2.8.1). */
export interface CreationNonces {
  readonly ni: Uint8Array;
  readonly nr: Uint8Array;
}

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
  /** negotiated selectors as ranges (proposed again when rekeying, §2.9.2) */
  localRanges: readonly TsRange[] = [];
  remoteRanges: readonly TsRange[] = [];
  establishedAtMs: number | undefined;
  establishedAtWall: number | undefined;
  /** how many rekeys led to this CHILD SA */
  generation = 0;
  closeReason: string | undefined;
  /** reqid shared by all generations of this CHILD SA (and by a trap policy) */
  reqid: number;
  nonces: CreationNonces | undefined;
  /** set when we answered the peer's rekey of this CHILD SA (collision detection, §2.8.1) */
  peerRekey: { readonly child: ChildSa; readonly nonces: CreationNonces } | undefined;
  /** the CHILD SA that replaced this one */
  successor: ChildSa | undefined;
  /** rekey/expiry deadlines (clock ms), for display */
  rekeyAtMs: number | undefined;
  expireAtMs: number | undefined;
  rekeyTimer: TimerHandle | undefined;
  expireTimer: TimerHandle | undefined;
  private readonly installedSas: SaSpec[] = [];
  /** joined the reqid's policy group (PolicyBook) */
  private joinedPolicies = false;
  /** responder of a rekey: the outbound SA waits for the old SA's delete */
  private deferredOutbound: SaSpec | undefined;

  constructor(
    readonly ctx: EngineContext,
    public ikeSa: IkeSa,
    readonly cfg: ChildConfig,
    reqid?: number,
  ) {
    this.uniqueId = ctx.nextUniqueId();
    this.reqid = reqid ?? this.uniqueId;
  }

  get name(): string {
    return this.cfg.name;
  }

  get isLive(): boolean {
    return this.state === 'installed' || this.state === 'rekeying';
  }

  get logFields(): Record<string, unknown> {
    return {
      ...this.ikeSa.logFields,
      child: this.uniqueId,
      childName: this.cfg.name,
      spis: `${hex8(this.spiIn)}_i ${hex8(this.spiOut)}_o`,
    };
  }

  /**
   * Installs SAs first, then policies, so no packet matches a policy without
   * an SA. `deferOutbound`: keep the outbound SA until activateOutbound().
   */
  async install(sas: readonly SaSpec[], policies: readonly PolicySpec[], deferOutbound = false): Promise<void> {
    const dp: Dataplane = this.ctx.dataplane;
    for (const sa of sas) {
      if (deferOutbound && sa.direction === 'out') {
        this.deferredOutbound = sa;
        continue;
      }
      await dp.addSa(sa);
      this.installedSas.push(sa);
    }
    await this.ctx.policies.join(this.reqid, policies);
    this.joinedPolicies = true;
    this.state = 'installed';
    this.establishedAtMs = this.ctx.clock.nowMs();
    this.establishedAtWall = this.ctx.wallClock.nowEpochMs();
    this.ikeSa.children.set(this.uniqueId, this);
    this.ctx.counters.inc('child.installed');
    this.ctx.log('info', 'child.installed', {
      ...this.logFields,
      mode: this.mode,
      generation: this.generation,
      localTs: this.localTs,
      remoteTs: this.remoteTs,
      alg: this.algorithms,
      ...(deferOutbound ? { outbound: 'deferred until the old SA is deleted' } : {}),
    });
  }

  /** Installs a deferred outbound SA (the peer deleted the SA we replaced). */
  async activateOutbound(): Promise<void> {
    const sa = this.deferredOutbound;
    if (sa === undefined || this.state === 'removed') return;
    this.deferredOutbound = undefined;
    await this.ctx.dataplane.addSa(sa);
    this.installedSas.push(sa);
  }

  /**
   * RFC 7296 §2.23: the peer's address or NAT mapping changed; move the ESP
   * SAs (and tunnel policies) to the new outer addresses and UDP ports.
   */
  async updateEndpoints(): Promise<void> {
    if (!this.isLive) return;
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
    this.ctx.counters.inc('child.endpoints.updated');
  }

  cancelTimers(): void {
    if (this.rekeyTimer) this.ctx.scheduler.cancel(this.rekeyTimer);
    if (this.expireTimer) this.ctx.scheduler.cancel(this.expireTimer);
    this.rekeyTimer = undefined;
    this.expireTimer = undefined;
  }

  /**
   * Removes everything installed (policies first, then SAs) and forgets the
   * CHILD SA. Dataplane failures are logged, never thrown. Also releases an
   * allocated-but-unused inbound SPI.
   */
  remove(reason: string): void {
    if (this.state === 'removed') return;
    const wasInstalled = this.state !== 'installing' && this.state !== 'failed';
    this.state = 'removed';
    this.closeReason = reason;
    this.cancelTimers();
    this.deferredOutbound = undefined;
    this.ikeSa.children.delete(this.uniqueId);
    const dp = this.ctx.dataplane;
    const leave = this.joinedPolicies;
    this.joinedPolicies = false;
    const reqid = this.reqid;
    const sas = this.installedSas.splice(0);
    const inboundInstalled = sas.some((s) => s.direction === 'in');
    const spiIn = this.spiIn;
    const local = this.ikeSa.local.address;
    const work = async (): Promise<void> => {
      if (leave) await this.ctx.policies.leave(reqid);
      for (const s of sas) await dp.deleteSa({ protocol: s.protocol, spi: s.spi, dst: s.dst });
      if (!inboundInstalled && spiIn !== 0) await dp.deleteSa({ protocol: 'esp', spi: spiIn, dst: local });
    };
    work().catch((err: unknown) => {
      this.ctx.counters.inc('kernel.error.delete');
      this.ctx.log('warn', 'child.remove.error', { ...this.logFields, error: err instanceof Error ? err.message : String(err) });
    });
    if (wasInstalled) {
      this.ctx.counters.inc('child.removed');
      this.ctx.history.add({ kind: 'child', uniqueId: this.uniqueId, name: `${this.ikeSa.connectionName}/${this.cfg.name}`, reason });
      this.ctx.log('info', 'child.removed', { ...this.logFields, reason });
    }
    // Make-before-break, responder side: our successor may now send (§2.8).
    const succ = this.successor;
    if (succ !== undefined && succ.isLive) {
      succ.activateOutbound().catch((err: unknown) => {
        this.ctx.counters.inc('kernel.error.add');
        this.ctx.log('warn', 'child.activate.error', { ...succ.logFields, error: err instanceof Error ? err.message : String(err) });
      });
    }
  }
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
