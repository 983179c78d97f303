/**
 * The IKE engine: the public API (EngineApi) over the SA table, the inbound
 * path and the exchanges. Platform-free: everything external comes in
 * through EngineDeps (ports), so tests run two engines in one process.
 */
import type { ChildConfig, ConnectionConfig, KeywayConfig } from '../config/model.js';
import { parseIp } from '../policy/ip.js';
import { WireError } from '../util/errors.js';
import type { ChildSa } from './child-sa.js';
import type { EngineContext, EngineDeps } from './context.js';
import { Counters } from './counters.js';
import type { EngineApi, InitiateResult } from './engine-api.js';
import { FailureLog } from './failures.js';
import { IkeSa } from './ike-sa.js';
import type { ConnectionInfo, CountersInfo, FailureRecord, IkeSaInfo } from './info.js';
import { connectionInfo, ikeSaInfo } from './info-builder.js';
import type { Datagram, LogLevel } from './ports.js';
import { receiveDatagram } from './receive.js';
import { SaTable } from './sa-table.js';
import { CookieJar } from './v2/cookie.js';
import { CreateChildInitiator } from './v2/create-child.js';
import { IkeAuthInitiator } from './v2/ike-auth.js';
import { IkeInitInitiator } from './v2/ike-init-initiator.js';
import { DeleteChildInitiator, DeleteIkeInitiator } from './v2/informational.js';

export interface Engine extends EngineApi {
  /** test/diagnostic access */
  readonly context: EngineContext;
}

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug', 'trace'];

export function createEngine(deps: EngineDeps, config: KeywayConfig): Engine {
  let uid = 0;
  const ctx: EngineContext = {
    ...deps,
    config,
    counters: new Counters(),
    failures: new FailureLog(),
    table: new SaTable(),
    v1: undefined,
    nextUniqueId: () => ++uid,
    log(level, event, fields) {
      if (LEVELS.indexOf(level) > LEVELS.indexOf(ctx.config.daemon.logLevel)) return;
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
  ctx.v1 = deps.v1Factory?.(ctx);

  function findConn(name: string): ConnectionConfig | undefined {
    return ctx.config.connections.find((c) => c.name === name);
  }

  function chooseLocalAddress(conn: ConnectionConfig, remoteFamily: 4 | 6): string | undefined {
    const literal = (a: string): boolean => {
      const ip = parseIp(a);
      return ip !== undefined && ip.family === remoteFamily && ip.value !== 0n;
    };
    return conn.localAddrs.find(literal) ?? ctx.config.daemon.listen.find(literal);
  }

  function establishedSaFor(conn: ConnectionConfig): IkeSa | undefined {
    return ctx.table.all().find((sa) => sa.conn?.name === conn.name && sa.state === 'established');
  }

  function createChild(sa: IkeSa, cfg: ChildConfig): Promise<InitiateResult> {
    return new Promise((resolve) => {
      void sa.run('create child', async () => {
        sa.enqueue(
          new CreateChildInitiator(sa, cfg, (r) =>
            resolve(r.ok ? { ok: true, ikeSaId: sa.uniqueId, childSaId: r.child.uniqueId } : { ok: false, ikeSaId: sa.uniqueId, error: r.reason }),
          ),
        );
        await sa.kick();
      });
    });
  }

  function initiateNew(conn: ConnectionConfig, children: readonly ChildConfig[]): Promise<InitiateResult> {
    const remoteAddress = conn.remoteAddrs.find((a) => parseIp(a) !== undefined);
    if (remoteAddress === undefined) {
      return Promise.resolve({ ok: false, error: `connection ${conn.name} has no literal remote address to initiate to (remote_addrs)` });
    }
    const family = parseIp(remoteAddress)?.family ?? 4;
    const localAddress = chooseLocalAddress(conn, family);
    if (localAddress === undefined) {
      return Promise.resolve({ ok: false, error: `connection ${conn.name}: set local_addrs (or daemon.listen) to a concrete IPv${family} address` });
    }
    let spiI = deps.rng.bytes(8);
    while (spiI.every((b) => b === 0) || ctx.table.get(spiI) !== undefined) spiI = deps.rng.bytes(8);
    const sa = new IkeSa(ctx, {
      initiator: true,
      spiI,
      spiR: new Uint8Array(8),
      local: { address: localAddress, port: ctx.config.daemon.port },
      remote: { address: remoteAddress, port: conn.remotePort },
      conn,
    });
    ctx.table.add(sa);
    ctx.counters.inc('ike.initiated');
    ctx.log('info', 'ike.initiate', { ...sa.logFields, children: children.map((c) => c.name) });
    const [first, ...rest] = children;
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: InitiateResult): void => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
      sa.onClose((reason) => done({ ok: false, ikeSaId: sa.uniqueId, error: reason }));
      const auth = new IkeAuthInitiator(sa, conn, first, (r) => {
        if (!r.ok) {
          done({ ok: false, ikeSaId: sa.uniqueId, error: r.reason ?? 'IKE_AUTH failed' });
          return;
        }
        const childOk = r.child === undefined || r.child.ok;
        if (!childOk && r.child !== undefined && !r.child.ok) {
          done({ ok: false, ikeSaId: sa.uniqueId, error: r.child.reason });
        }
        // Remaining children go through CREATE_CHILD_SA on the new IKE SA (§1.3.1).
        let pending = rest.length;
        let firstChildId = r.child !== undefined && r.child.ok ? r.child.child.uniqueId : undefined;
        if (pending === 0) done({ ok: true, ikeSaId: sa.uniqueId, ...(firstChildId !== undefined ? { childSaId: firstChildId } : {}) });
        for (const cfg of rest) {
          sa.enqueue(
            new CreateChildInitiator(sa, cfg, (cr) => {
              if (cr.ok) firstChildId ??= cr.child.uniqueId;
              if (--pending === 0) done({ ok: true, ikeSaId: sa.uniqueId, ...(firstChildId !== undefined ? { childSaId: firstChildId } : {}) });
            }),
          );
        }
      });
      const init = new IkeInitInitiator(sa, conn, (ok) => {
        if (ok) sa.enqueue(auth);
      });
      sa.transition('connecting');
      sa.enqueue(init);
      void sa.run('initiate', () => sa.kick());
    });
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
        const existing = establishedSaFor(conn);
        if (existing !== undefined) return createChild(existing, c);
      }
      return initiateNew(conn, children);
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
    },

    async listSas(): Promise<readonly IkeSaInfo[]> {
      const out: IkeSaInfo[] = [];
      for (const sa of ctx.table.all()) out.push(await ikeSaInfo(sa));
      if (ctx.v1 !== undefined) out.push(...(await ctx.v1.listSas()));
      return out.sort((a, b) => a.uniqueId - b.uniqueId);
    },

    listConnections(): readonly ConnectionInfo[] {
      return ctx.config.connections.map(connectionInfo);
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

    async shutdown(): Promise<void> {
      const all = ctx.table.all();
      await Promise.all([...all.map((sa) => deleteIke(sa, 'daemon shutting down')), ctx.v1?.shutdown()]);
    },
  };
  return engine;
}
