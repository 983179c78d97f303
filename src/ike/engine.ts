/**
 * The IKE engine: the public API (EngineApi) over the SA table, the inbound
 * path and the exchanges. Platform-free: everything external comes in
 * through EngineDeps (ports), so tests run two engines in one process.
 */
import type { ChildConfig, ConnectionConfig, KeywayConfig } from '../config/model.js';
import { InThreadKeyExchanger } from '../crypto/ke/exchanger.js';
import { createKeyExchange } from '../crypto/ke/index.js';
import { WireError } from '../util/errors.js';
import type { ChildSa } from './child-sa.js';
import type { EngineContext, EngineDeps } from './context.js';
import { Counters } from './counters.js';
import type { EngineApi, FlushCounts, InitiateResult } from './engine-api.js';
import { FailureLog } from './failures.js';
import type { IkeSa } from './ike-sa.js';
import type { ConnectionInfo, CountersInfo, FailureRecord, IkeSaInfo } from './info.js';
import { connectionInfo, ikeSaInfo } from './info-builder.js';
import type { Datagram, LogLevel } from './ports.js';
import { receiveDatagram } from './receive.js';
import { SaTable } from './sa-table.js';
import { CookieJar } from './v2/cookie.js';
import { PeerIndex } from './v2/peer-index.js';
import { Automation } from './automation.js';
import { TeardownHistory, type TeardownRecord } from './history.js';
import { createChild, establishedSaFor } from './initiator.js';
import { startChildRekey, startIkeRekey, startReauth } from './lifecycle.js';
import { PolicyBook } from './policy-book.js';
import { DeleteChildInitiator, DeleteIkeInitiator } from './v2/informational.js';

export interface Engine extends EngineApi {
  /** test/diagnostic access */
  readonly context: EngineContext;
}

const RANK: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export function createEngine(deps: EngineDeps, config: KeywayConfig): Engine {
  let uid = 0;
  const ctx: EngineContext = {
    ...deps,
    config,
    counters: new Counters(),
    failures: new FailureLog(),
    table: new SaTable(),
    peers: new PeerIndex(),
    policies: new PolicyBook(() => deps.dataplane),
    history: new TeardownHistory(() => deps.wallClock.nowEpochMs()),
    hooks: {
      reinitiate: (...a) => automation.reinitiate(...a),
      childClosed: (...a) => automation.childClosed(...a),
    },
    trapReqid: (conn, cfg) => automation.trapReqid(conn, cfg),
    v1: undefined,
    nextUniqueId: () => ++uid,
    ke: deps.keyExchanger ?? new InThreadKeyExchanger((group, opts) => createKeyExchange(group, deps.rng, opts)),
    logs(level) {
      return RANK[level] <= RANK[ctx.config.daemon.logLevel];
    },
    log(level, event, fields) {
      if (RANK[level] > RANK[ctx.config.daemon.logLevel]) return;
      deps.logger.log(level, event, fields);
    },
    fail(record) {
      const full: FailureRecord = { at: new Date(deps.wallClock.nowEpochMs()).toISOString(), ...record };
      ctx.failures.add(full);
      ctx.counters.inc(`failure.${record.kind}`);
      deps.logger.log('warn', 'negotiation.failed', { ...full });
    },
  };
  const cookies = new CookieJar(deps.rng, deps.clock.nowMs());
  // ctx.hooks call into `automation` lazily, so it may be created after ctx.
  const automation = new Automation(ctx);
  ctx.v1 = deps.v1Factory?.(ctx);
  const unsubscribe = deps.dataplane.onEvent((e) => automation.onKernelEvent(e));
  void automation.applyStartActions();

  function findConn(name: string): ConnectionConfig | undefined {
    return ctx.config.connections.find((c) => c.name === name);
  }

  function findChild(uniqueId: number): ChildSa | undefined {
    for (const sa of ctx.table.all()) {
      const c = sa.children.get(uniqueId);
      if (c !== undefined) return c;
    }
    return undefined;
  }

  function deleteIke(sa: IkeSa, reason: string): Promise<void> {
    return new Promise((resolve) => {
      if (sa.state !== 'established') {
        void sa.run('destroy', () => sa.destroy(reason)).then(() => resolve());
        return;
      }
      void sa.run('delete', async () => {
        sa.enqueue(new DeleteIkeInitiator(sa, reason, resolve));
        await sa.kick();
      });
    });
  }

  const engine: Engine = {
    context: ctx,

    receive(d: Datagram): void {
      try {
        receiveDatagram(ctx, cookies, d);
      } catch (e) {
        if (e instanceof WireError) {
          ctx.counters.inc('msg.rx.drop.decode');
          return;
        }
        ctx.counters.inc('bug.receive');
        ctx.log('error', 'receive.bug', { error: e instanceof Error ? e.stack : String(e), peer: d.remote.address });
      }
    },

    async initiate(connection: string, child?: string): Promise<InitiateResult> {
      const conn = findConn(connection);
      if (conn === undefined) return { ok: false, error: `no connection named ${connection}` };
      if (conn.version === 1) {
        if (ctx.v1 === undefined) return { ok: false, error: `connection ${connection} is IKEv1, which this daemon was built without` };
        const kids = child === undefined ? conn.children : conn.children.filter((c) => c.name === child);
        if (kids.length === 0) return { ok: false, error: `connection ${connection} has no child ${child ?? ''}` };
        return ctx.v1.initiate(conn, kids);
      }
      let children: readonly ChildConfig[] = conn.children;
      if (child !== undefined) {
        const c = conn.children.find((x) => x.name === child);
        if (c === undefined) return { ok: false, error: `connection ${connection} has no child ${child}` };
        children = [c];
        const existing = establishedSaFor(ctx, conn);
        if (existing !== undefined) return createChild(existing, c);
      }
      return automation.initiateWithRetries(conn, children, 'initiated by administrator');
    },

    async terminateIke(uniqueId: number): Promise<boolean> {
      const sa = ctx.table.byUniqueId(uniqueId);
      if (sa === undefined) return (await ctx.v1?.terminateIke(uniqueId)) ?? false;
      await deleteIke(sa, 'terminated by administrator');
      return true;
    },

    async terminateChild(uniqueId: number): Promise<boolean> {
      const child = findChild(uniqueId);
      if (child === undefined) return (await ctx.v1?.terminateChild(uniqueId)) ?? false;
      const sa = child.ikeSa;
      await new Promise<void>((resolve) => {
        void sa.run('delete child', async () => {
          sa.enqueue(new DeleteChildInitiator(child, 'terminated by administrator', resolve));
          await sa.kick();
        });
      });
      return true;
    },

    loadConfig(next: KeywayConfig): void {
      ctx.config = next;
      ctx.log('info', 'config.loaded', { connections: next.connections.length, file: next.file });
      void automation.applyStartActions();
    },

    async rekeyIke(uniqueId: number): Promise<boolean> {
      const sa = ctx.table.byUniqueId(uniqueId);
      if (sa === undefined || sa.state !== 'established') return false;
      await sa.run('rekey (administrator)', () => startIkeRekey(sa, 'requested by administrator'));
      return true;
    },

    async rekeyChild(uniqueId: number): Promise<boolean> {
      const child = findChild(uniqueId);
      if (child === undefined || child.state !== 'installed') return false;
      await child.ikeSa.run('rekey child (administrator)', () => startChildRekey(child, 'requested by administrator'));
      return true;
    },

    async reauthIke(uniqueId: number): Promise<boolean> {
      const sa = ctx.table.byUniqueId(uniqueId);
      if (sa === undefined || sa.state !== 'established') return false;
      await sa.run('reauth (administrator)', () => startReauth(sa, 'requested by administrator'));
      return true;
    },

    history(): readonly TeardownRecord[] {
      return ctx.history.list();
    },

    async listSas(): Promise<readonly IkeSaInfo[]> {
      const out: IkeSaInfo[] = [];
      for (const sa of ctx.table.all()) out.push(await ikeSaInfo(sa));
      if (ctx.v1 !== undefined) out.push(...(await ctx.v1.listSas()));
      return out.sort((a, b) => a.uniqueId - b.uniqueId);
    },

    listConnections(): readonly ConnectionInfo[] {
      return ctx.config.connections.map((c) => connectionInfo(c, ctx.config.daemon.port));
    },

    counters(): CountersInfo {
      let children = 0;
      for (const sa of ctx.table.all()) children += sa.children.size;
      const v1 = ctx.v1?.counts() ?? { ikeSas: 0, childSas: 0, halfOpen: 0 };
      return {
        counters: ctx.counters.snapshot(),
        ikeSas: ctx.table.size() + v1.ikeSas,
        childSas: children + v1.childSas,
        halfOpen: ctx.table.halfOpenCount() + v1.halfOpen,
      };
    },

    failures(): readonly FailureRecord[] {
      return ctx.failures.list();
    },

    async flush(waitMs = 5000): Promise<FlushCounts> {
      const traps = await automation.untrapAll();
      automation.cancelRetries();
      const v2 = ctx.table.all();
      const v1 = (await ctx.v1?.listSas()) ?? [];
      let childSas = v1.reduce((n, s) => n + s.children.length, 0);
      for (const sa of v2) childSas += sa.children.size;
      let unanswered = v2.length + v1.length;
      const deletes = [
        ...v2.map((sa) => deleteIke(sa, 'flushed by administrator')),
        ...v1.map((s) => ctx.v1?.terminateIke(s.uniqueId)),
      ].map((p) => Promise.resolve(p).then(() => void unanswered--));
      // a dead peer keeps a DELETE retransmitting for minutes (§2.4): do not make the administrator wait for it
      await new Promise<void>((resolve) => {
        const h = ctx.scheduler.at(ctx.clock.nowMs() + waitMs, resolve);
        void Promise.all(deletes).then(() => {
          ctx.scheduler.cancel(h);
          resolve();
        });
      });
      const counts = { ikeSas: v2.length + v1.length, childSas, traps, unanswered };
      ctx.counters.inc('admin.flush');
      ctx.log('info', 'engine.flushed', { ...counts });
      return counts;
    },

    async shutdown(): Promise<void> {
      automation.stop();
      unsubscribe();
      await automation.untrapAll();
      const all = ctx.table.all();
      await Promise.all([...all.map((sa) => deleteIke(sa, 'daemon shutting down')), ctx.v1?.shutdown()]);
    },
  };
  return engine;
}
