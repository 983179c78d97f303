/**
 * Keeping tunnels up without an administrator: start_action (none | trap |
 * start), close_action and dpd_action (clear | trap | restart), keyingtries
 * with back-off, reauthentication hand-over, and the dataplane's events
 * (ACQUIRE for trapped traffic, soft/hard EXPIRE by bytes or packets).
 * strongSwan semantics where swanctl.conf defines them.
 */
import type { ChildConfig, ConnectionConfig } from '../config/model.js';
import { formatIp } from '../policy/ip.js';
import { resolveTs, type TsRange } from '../policy/ts.js';
import type { ChildSa } from './child-sa.js';
import type { EngineContext, EngineHooks } from './context.js';
import type { KernelEvent, PolicySpec, Selector } from './dataplane.js';
import type { InitiateResult } from './engine-api.js';
import type { TimerHandle } from './ports.js';
import type { IkeSa } from './ike-sa.js';
import { createChild, establishedSaFor, initiateNew } from './initiator.js';
import { expireChild, startChildRekey } from './lifecycle.js';
import { DeleteIkeInitiator } from './v2/informational.js';

/** back-off between keying tries: 1 s, 2 s, 4 s ... capped at 60 s, plus up to 1 s jitter */
function backoffMs(ctx: EngineContext, attempt: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6)) + ((ctx.rng.bytes(1)[0] ?? 0) / 255) * 1000;
}

function key(conn: ConnectionConfig, cfg?: ChildConfig): string {
  return cfg === undefined ? conn.name : `${conn.name}/${cfg.name}`;
}

function selector(r: TsRange): Selector {
  return { family: r.family, startAddress: formatIp(r.family, r.start), endAddress: formatIp(r.family, r.end), protocol: r.protocol, startPort: r.startPort, endPort: r.endPort };
}

export class Automation implements EngineHooks {
  /** child key -> reqid of its trap */
  private readonly traps = new Map<string, number>();
  /** conn or conn/child keys with an initiation under way */
  private readonly inFlight = new Set<string>();
  /** keyingtries retries waiting for their back-off (cancelled by flush) */
  private readonly retries = new Set<TimerHandle>();
  /** bumped by cancelRetries(): an attempt started before a flush schedules no retry after it */
  private epoch = 0;
  private stopped = false;

  constructor(private readonly ctx: EngineContext) {}

  trapReqid(conn: ConnectionConfig, cfg: ChildConfig): number | undefined {
    return this.traps.get(key(conn, cfg));
  }

  private liveChildExists(conn: ConnectionConfig, cfg: ChildConfig, except?: IkeSa): boolean {
    return this.ctx.table.all().some(
      (sa) => sa !== except && sa.conn?.name === conn.name && sa.state === 'established' && [...sa.children.values()].some((c) => c.cfg.name === cfg.name && c.isLive),
    );
  }

  /**
   * Initiates with keyingtries (0 = forever) and exponential back-off.
   * Resolves with the FIRST attempt's result; retries continue in the background.
   */
  initiateWithRetries(conn: ConnectionConfig, children: readonly ChildConfig[], why: string, attempt = 0): Promise<InitiateResult> {
    const ctx = this.ctx;
    const k = key(conn, children.length === 1 ? children[0] : undefined);
    if (this.inFlight.has(k)) return Promise.resolve({ ok: false, error: `an initiation of ${k} is already under way` });
    this.inFlight.add(k);
    const existing = establishedSaFor(ctx, conn);
    const epoch = this.epoch;
    const v1 = conn.version === 1 ? ctx.v1 : undefined;
    if (conn.version === 1 && v1 === undefined) {
      this.inFlight.delete(k);
      return Promise.resolve({ ok: false, error: `connection ${conn.name} is IKEv1, which this daemon was built without` });
    }
    const p = v1 !== undefined
      ? v1.initiate(conn, children)
      : existing !== undefined && children.length > 0
      ? Promise.all(children.map((c) => createChild(existing, c))).then((rs) => rs.find((r) => !r.ok) ?? rs[0] ?? { ok: true, ikeSaId: existing.uniqueId })
      : initiateNew(ctx, conn, children);
    return p.then((r) => {
      this.inFlight.delete(k);
      const tries = conn.keyingtries;
      if (!r.ok && !this.stopped && epoch === this.epoch && (tries === 0 || attempt + 1 < tries)) {
        const delay = backoffMs(ctx, attempt);
        ctx.counters.inc('ike.keyingtry.retry');
        ctx.log('info', 'ike.keyingtry', { conn: conn.name, attempt: attempt + 1, of: tries === 0 ? 'forever' : tries, inMs: Math.round(delay), why, error: r.error });
        const h = ctx.scheduler.at(ctx.clock.nowMs() + delay, () => {
          this.retries.delete(h);
          if (this.stopped) return;
          const still = children.filter((c) => !this.liveChildExists(conn, c));
          if (children.length > 0 && still.length === 0) return;
          void this.initiateWithRetries(conn, still, why, attempt + 1);
        });
        this.retries.add(h);
      }
      return r;
    });
  }

  // ------------------------------------------------------------------ hooks

  reinitiate(conn: ConnectionConfig, children: readonly ChildConfig[], why: string, replacing?: IkeSa): void {
    const ctx = this.ctx;
    ctx.scheduler.at(ctx.clock.nowMs(), () => {
      if (this.stopped) return;
      if (replacing === undefined) {
        void this.initiateWithRetries(conn, children, why);
        return;
      }
      // Reauthentication: the new IKE SA (with fresh CHILD SAs) first, then delete the old one.
      void initiateNew(ctx, conn, children).then((r) => {
        if (!r.ok) {
          replacing.reauthenticating = false;
          ctx.log('warn', 'ike.reauth.failed', { ...replacing.logFields, error: r.error });
          return;
        }
        ctx.counters.inc('ike.reauth.done');
        void replacing.run('reauth delete', async () => {
          if (replacing.state !== 'established') return;
          // The old CHILD SAs are not "closed": their replacements are up.
          for (const c of replacing.children.values()) c.state = 'rekeyed';
          replacing.enqueue(new DeleteIkeInitiator(replacing, `reauthenticated as IKE SA #${r.ikeSaId ?? '?'}`, () => undefined));
          await replacing.kick();
        });
      });
    });
  }

  childClosed(cfg: ChildConfig, conn: ConnectionConfig, cause: 'peer' | 'dpd'): void {
    const action = cause === 'dpd' ? cfg.dpdAction : cfg.closeAction;
    const ctx = this.ctx;
    ctx.log('info', 'child.closed.action', { conn: conn.name, child: cfg.name, cause, action });
    if (action === 'none' || action === 'clear') return;
    if (action === 'trap') {
      void this.trap(conn, cfg);
      return;
    }
    // restart / start: bring it back unless another CHILD SA already carries it (e.g. after a reauth).
    ctx.scheduler.at(ctx.clock.nowMs(), () => {
      if (this.stopped || this.liveChildExists(conn, cfg)) return;
      ctx.counters.inc(`child.${cause}.restart`);
      void this.initiateWithRetries(conn, [cfg], `${cause === 'dpd' ? 'dpd_action' : 'close_action'} = ${action}`);
    });
  }

  // ------------------------------------------------------------------ traps

  private trapPolicies(conn: ConnectionConfig, cfg: ChildConfig, reqid: number): PolicySpec[] | undefined {
    const local = conn.localAddrs[0];
    const remote = conn.remoteAddrs[0];
    if (local === undefined || remote === undefined) return undefined;
    let l: TsRange[];
    let r: TsRange[];
    try {
      l = cfg.localTs.map((t) => resolveTs(t, local));
      r = cfg.remoteTs.map((t) => resolveTs(t, remote));
    } catch {
      return undefined;
    }
    const out: PolicySpec[] = [];
    for (const a of l) {
      for (const b of r) {
        if (a.family !== b.family) continue;
        out.push({ direction: 'out', local: selector(a), remote: selector(b), mode: cfg.mode, tunnelSrc: local, tunnelDst: remote, reqid, protocol: 'esp', priority: 0 });
      }
    }
    return out;
  }

  /** start_action = trap: install policies so matching traffic raises an ACQUIRE. */
  async trap(conn: ConnectionConfig, cfg: ChildConfig): Promise<void> {
    const k = key(conn, cfg);
    const reqid = this.traps.get(k) ?? this.ctx.nextUniqueId();
    const specs = this.trapPolicies(conn, cfg, reqid);
    if (specs === undefined) {
      this.ctx.log('warn', 'trap.failed', { conn: conn.name, child: cfg.name, why: 'local_addrs and remote_addrs must be concrete addresses for a trap' });
      return;
    }
    this.traps.set(k, reqid);
    await this.ctx.policies.trap(reqid, specs);
    this.ctx.counters.inc('trap.installed');
    this.ctx.log('info', 'trap.installed', { conn: conn.name, child: cfg.name, reqid });
  }

  /**
   * Drops the keyingtries retries waiting for their back-off: after
   * `keyway flush` nothing comes back up until told to (a configured
   * start_action applies again on the next reload). Returns how many.
   */
  cancelRetries(): number {
    const n = this.retries.size;
    this.epoch++;
    for (const h of this.retries) this.ctx.scheduler.cancel(h);
    this.retries.clear();
    return n;
  }

  /** Removes every trap policy; returns how many there were. */
  async untrapAll(): Promise<number> {
    const n = this.traps.size;
    for (const reqid of this.traps.values()) await this.ctx.policies.untrap(reqid);
    this.traps.clear();
    return n;
  }

  /** Applies start_action of every child of the current config. */
  async applyStartActions(): Promise<void> {
    await this.untrapAll();
    for (const conn of this.ctx.config.connections) {
      for (const cfg of conn.children) {
        if (cfg.startAction === 'trap') await this.trap(conn, cfg);
        if (cfg.startAction === 'start' && !this.liveChildExists(conn, cfg)) {
          void this.initiateWithRetries(conn, [cfg], 'start_action = start');
        }
      }
    }
  }

  // --------------------------------------------------------- kernel events

  private findChildBySpi(spi: number): ChildSa | undefined {
    for (const sa of this.ctx.table.all()) for (const c of sa.children.values()) if (c.spiIn === spi || c.spiOut === spi) return c;
    return undefined;
  }

  onKernelEvent(e: KernelEvent): void {
    const ctx = this.ctx;
    if (e.kind === 'acquire') {
      ctx.counters.inc('kernel.acquire');
      for (const conn of ctx.config.connections) {
        for (const cfg of conn.children) {
          if (this.traps.get(key(conn, cfg)) !== e.reqid) continue;
          if (this.liveChildExists(conn, cfg) || this.inFlight.has(key(conn, cfg))) return;
          ctx.log('info', 'trap.acquire', { conn: conn.name, child: cfg.name, reqid: e.reqid });
          void this.initiateWithRetries(conn, [cfg], 'traffic matched a trap policy (acquire)');
          return;
        }
      }
      ctx.counters.inc('kernel.acquire.unknown');
      return;
    }
    const child = this.findChildBySpi(e.sa.spi);
    if (child === undefined) {
      if (ctx.v1?.onExpire(e.sa.spi, e.hard) === true) {
        ctx.counters.inc(e.hard ? 'kernel.expire.hard' : 'kernel.expire.soft');
        return;
      }
      ctx.counters.inc('kernel.expire.unknown');
      return;
    }
    ctx.counters.inc(e.hard ? 'kernel.expire.hard' : 'kernel.expire.soft');
    // Soft limit (bytes/packets/time in the dataplane): rekey; hard: the SA must go.
    void child.ikeSa.run(e.hard ? 'hard expire' : 'soft expire', () =>
      e.hard ? expireChild(child, 'hard lifetime reached in the dataplane') : startChildRekey(child, 'soft lifetime reached in the dataplane'),
    );
  }

  stop(): void {
    this.stopped = true;
  }
}
