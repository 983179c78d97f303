/**
 * The IKEv1 engine behind the V1Engine extension point (src/ike/v1-api.ts).
 * The IKEv2 engine owns the sockets and hands over every datagram whose
 * ISAKMP header says major version 1 (RFC 2408 §3.1).
 *
 * Inbound path: header decode -> SA lookup by cookies (responder SAs also by
 * peer address, since MM1 has no responder cookie) -> per-SA mailbox ->
 * duplicate check (resend our last message) -> decrypt with the exchange's
 * IV chain -> Main Mode / Quick Mode / Informational handler.
 */
import type { ChildConfig, ConnectionConfig } from '../../config/model.js';
import { V1Exchange } from '../../iana/ikev1.js';
import { candidateConnectionsForInit } from '../../policy/peers.js';
import { toHex } from '../../util/bytes.js';
import { WireError } from '../../util/errors.js';
import { decodeIsakmp, type IsakmpMessage } from '../../wire/ikev1/message.js';
import type { PayloadEntry } from '../../wire/ikev1/types.js';
import type { EngineContext } from '../context.js';
import type { InitiateResult } from '../engine-api.js';
import type { IkeSaInfo } from '../info.js';
import type { Datagram } from '../ports.js';
import type { V1Engine, V1EngineFactory } from '../v1-api.js';
import { deleteIsakmpSa, handleInformational, sendChildDelete } from './informational.js';
import { answerAggressive1, handleAggressiveMode, startAggressiveMode } from './aggressive-mode.js';
import { answerMainMode1, handleMainMode, startMainMode } from './main-mode.js';
import { handleQuickMode } from './quick-mode.js';
import { v1SaInfo } from './v1-info.js';
import { armDpdV1 } from './dpd.js';
import { armPhase1Rekey, newInitiatorSa, quickAll } from './initiator-v1.js';
import { rekeyV1Child } from './child-lifetime.js';
import { lastV1Failure } from './report.js';
import { acceptableV1, openV1Message } from './inbound-v1.js';
import { refuseAfterFailure, refuseUnknownPeer } from './phase1-refusal.js';
import { V1Sa } from './v1-sa.js';

export const createV1Engine: V1EngineFactory = (ctx: EngineContext): V1Engine => {
  const table = new Map<string, V1Sa>();
  const keyOf = (sa: V1Sa): string => (sa.initiator ? `i:${toHex(sa.spiI)}` : `r:${toHex(sa.spiI)}:${sa.remote.address}`);

  /** In-flight re-initiations (by connection), so DPD, Quick Mode timeouts and rekeying never pile up. */
  const reinitiating = new Set<string>();

  function reinitiate(conn: ConnectionConfig, children: readonly ChildConfig[], why: string, after?: V1Sa): void {
    if (reinitiating.has(conn.name)) return;
    reinitiating.add(conn.name);
    ctx.log('info', 'v1.reinitiate', { conn: conn.name, children: children.map((c) => c.name), why });
    ctx.scheduler.at(ctx.clock.nowMs(), () => {
      void initiateFresh(conn, children, why.startsWith('Quick Mode')).then((r) => {
        reinitiating.delete(conn.name);
        if (!r.ok) ctx.log('warn', 'v1.reinitiate.failed', { conn: conn.name, why, error: r.error });
        // make-before-break (rekeying): the old ISAKMP SA goes once the new one is up
        else if (after !== undefined) void after.run('rekeyed', () => deleteIsakmpSa(after, `replaced by ISAKMP SA #${r.ikeSaId ?? '?'}`));
      });
    });
  }

  function register(sa: V1Sa): void {
    const key = keyOf(sa);
    table.set(key, sa);
    sa.hooks = { reinitiate };
    sa.onClose(() => {
      if (table.get(key) === sa) table.delete(key);
    });
    sa.onEstablished(() => {
      sa.armLifetime(sa.lifeSeconds, () => deleteIsakmpSa(sa, 'ISAKMP SA lifetime expired'));
      sa.lastInboundMs = ctx.clock.nowMs();
      armDpdV1(sa);
      armPhase1Rekey(sa, reinitiate);
    });
  }

  /** A new ISAKMP SA (Main or Aggressive Mode per the connection), then a Quick Mode per child. */
  function initiateFresh(conn: ConnectionConfig, children: readonly ChildConfig[], afterQmTimeout: boolean): Promise<InitiateResult> {
    const sa = newInitiatorSa(ctx, conn, (spi) => table.has(`i:${toHex(spi)}`));
    if (!(sa instanceof V1Sa)) return Promise.resolve(sa);
    // a Quick Mode timing out on this SA too must not re-negotiate again (no loop)
    sa.renegotiateOnQmTimeout = !afterQmTimeout;
    register(sa);
    ctx.counters.inc('v1.ike.initiated');
    ctx.log('info', 'v1.ike.initiate', { ...sa.logFields, mode: sa.mode, children: children.map((c) => c.name) });
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: InitiateResult): void => {
        if (!settled) resolve(r);
        settled = true;
      };
      sa.onClose((reason) => done({ ok: false, ikeSaId: sa.uniqueId, error: reason }));
      sa.onEstablished(() => {
        if (children.length === 0) done({ ok: true, ikeSaId: sa.uniqueId });
        else void quickAll(sa, children).then(done);
      });
      void sa.run('initiate', () => (sa.mode === 'aggressive' ? startAggressiveMode(sa) : startMainMode(sa)));
    });
  }

  function lookup(d: Datagram, m: IsakmpMessage): V1Sa | undefined {
    const spiI = toHex(m.header.spiI);
    const r = table.get(`r:${spiI}:${d.remote.address}`);
    if (r !== undefined) return r;
    const i = table.get(`i:${spiI}`);
    if (i === undefined) return undefined;
    const zero = m.header.spiR.every((b) => b === 0);
    if (i.spiR.every((b) => b === 0) && !zero && (i.state === 'mm-sa-sent' || i.state === 'am-sent')) i.spiR = m.header.spiR.slice();
    else if (!zero && toHex(i.spiR) !== toHex(m.header.spiR)) return undefined;
    return i;
  }

  /** Responder SAs not yet established (half_open_limit), kept as a set: no walk of every SA per MM1/AM1. */
  const halfOpenSas = new Set<V1Sa>();
  function halfOpen(): number {
    return halfOpenSas.size;
  }

  function newResponder(d: Datagram, m: IsakmpMessage): void {
    const h = m.header;
    const aggressive = h.exchangeType === V1Exchange.AGGRESSIVE;
    if ((h.exchangeType !== V1Exchange.IDENTITY_PROTECTION && !aggressive) || h.messageId !== 0 || h.encrypted || h.spiR.some((b) => b !== 0)) {
      ctx.counters.inc('v1.rx.drop.unknown_spi');
      return;
    }
    if (halfOpen() >= ctx.config.daemon.halfOpenLimit) {
      ctx.counters.inc('v1.rx.drop.halfopen_limit');
      return;
    }
    const candidates = candidateConnectionsForInit(ctx.config.connections, d.local.address, d.remote.address, 1).filter((c) => c.remote[0]?.method === 'psk' || c.remote[0]?.method === 'pubkey');
    if (candidates.length === 0 || (aggressive && !candidates.some((c) => c.aggressive === true))) {
      // Aggressive Mode answers with a PSK-keyed hash: refused unless a connection enables it (docs/ikev1.md)
      ctx.counters.inc(candidates.length === 0 ? 'v1.rx.drop.no_connection' : 'v1.rx.drop.aggressive');
      ctx.log('info', candidates.length === 0 ? 'v1.no_connection' : 'v1.aggressive.refused', { peer: `${d.remote.address}[${d.remote.port}]` });
      if (candidates.length === 0) refuseUnknownPeer(ctx, d, m);
      return;
    }
    const sa = new V1Sa(ctx, false, h.spiI.slice(), d.local, d.remote, aggressive ? 'aggressive' : 'main');
    let spiR = ctx.rng.bytes(8);
    while (spiR.every((b) => b === 0)) spiR = ctx.rng.bytes(8);
    sa.spiR = spiR;
    sa.candidates = candidates;
    register(sa);
    halfOpenSas.add(sa);
    sa.onClose(() => halfOpenSas.delete(sa));
    sa.onEstablished(() => halfOpenSas.delete(sa));
    void sa.run(aggressive ? 'AM1' : 'MM1', () => {
      sa.received(0, d.bytes);
      const timeout = ctx.config.daemon.halfOpenTimeout * 1000;
      const t = ctx.scheduler.at(ctx.clock.nowMs() + timeout, () => void sa.run('half-open timeout', () => {
        if (sa.state !== 'established' && sa.state !== 'deleting') sa.destroy('half-open ISAKMP SA timed out');
      }));
      sa.onClose(() => ctx.scheduler.cancel(t));
      sa.onEstablished(() => ctx.scheduler.cancel(t));
      const ok = aggressive ? answerAggressive1(sa, m.entries) : answerMainMode1(sa, m.entries);
      if (ok) return;
      const was = sa.state;
      sa.destroy('phase 1 negotiation failed');
      refuseAfterFailure(sa, was, 0);
    });
  }

  async function process(sa: V1Sa, d: Datagram, m: IsakmpMessage): Promise<void> {
    const h = m.header;
    const mid = h.messageId;
    const bytes = d.bytes.subarray(0, h.length);
    if (sa.isDuplicate(mid, bytes)) return;
    if (!acceptableV1(sa, h)) {
      ctx.counters.inc('v1.rx.drop.exchange');
      return;
    }
    let entries: readonly PayloadEntry[] = m.entries;
    let plain: Uint8Array | undefined;
    if (h.encrypted) {
      const o = openV1Message(sa, m);
      if (o === undefined) return;
      entries = o.entries;
      plain = o.plain;
      // authenticated traffic may come from a new port (RFC 3947 §4 float to 4500) or address behind a NAT;
      // not a phase 1 notification (strongSwan sends those from where it last heard us, before any float)
      const p1Info = h.exchangeType === V1Exchange.INFORMATIONAL && sa.inPhase1;
      if (!p1Info && (d.remote.port !== sa.remote.port || d.local.port !== sa.local.port)) {
        sa.remote = d.remote;
        sa.local = d.local;
      }
    }
    sa.received(mid, bytes);
    if (plain !== undefined) sa.lastInboundMs = ctx.clock.nowMs();
    const was = sa.state;
    const failures = lastV1Failure(sa)?.count ?? 0;
    switch (h.exchangeType) {
      case V1Exchange.IDENTITY_PROTECTION:
        await handleMainMode(sa, entries);
        break;
      case V1Exchange.AGGRESSIVE:
        handleAggressiveMode(sa, entries);
        break;
      case V1Exchange.QUICK_MODE:
        if (plain !== undefined) await handleQuickMode(sa, mid, entries, plain);
        return;
      default:
        handleInformational(sa, mid, entries, plain);
        return;
    }
    // a phase 1 message that made phase 1 fail: tell the peer why (phase1-refusal.ts)
    refuseAfterFailure(sa, was, failures);
  }

  function allSas(): V1Sa[] {
    return [...table.values()];
  }

  return {
    receive(d: Datagram): void {
      let m: IsakmpMessage;
      try {
        m = decodeIsakmp(d.bytes);
      } catch (e) {
        if (!(e instanceof WireError)) {
          ctx.counters.inc('bug.v1.receive');
          ctx.log('error', 'v1.receive.bug', { error: e instanceof Error ? e.stack : String(e) });
          return;
        }
        ctx.counters.inc('v1.rx.drop.decode');
        return;
      }
      ctx.counters.inc('v1.rx');
      const sa = lookup(d, m);
      if (sa === undefined) {
        newResponder(d, m);
        return;
      }
      void sa.run('receive', () => process(sa, d, m));
    },

    async initiate(conn: ConnectionConfig, children: readonly ChildConfig[]): Promise<InitiateResult> {
      const existing = allSas().find((s) => s.conn?.name === conn.name && s.state === 'established');
      if (existing !== undefined) return quickAll(existing, children);
      return initiateFresh(conn, children, false);
    },

    async listSas(): Promise<readonly IkeSaInfo[]> {
      const out: IkeSaInfo[] = [];
      for (const sa of allSas()) out.push(await v1SaInfo(sa));
      return out;
    },

    async terminateIke(uniqueId: number): Promise<boolean> {
      const sa = allSas().find((s) => s.uniqueId === uniqueId);
      if (sa === undefined) return false;
      await sa.run('terminate', () => deleteIsakmpSa(sa, 'terminated by administrator'));
      return true;
    },

    async terminateChild(uniqueId: number): Promise<boolean> {
      for (const sa of allSas()) {
        const c = sa.children.get(uniqueId);
        if (c === undefined) continue;
        await sa.run('terminate child', () => {
          sendChildDelete(c);
          c.remove('terminated by administrator');
        });
        return true;
      }
      return false;
    },

    onExpire(spi: number, hard: boolean): boolean {
      for (const sa of allSas()) {
        for (const c of sa.children.values()) {
          if (c.spiIn !== spi && c.spiOut !== spi) continue;
          const retire = (): Promise<void> =>
            sa.run(hard ? 'hard expire' : 'soft expire', () => {
              ctx.counters.inc(hard ? 'v1.child.expired' : 'v1.child.rekeyed');
              sendChildDelete(c);
              c.remove(hard ? 'hard lifetime reached in the dataplane' : 'rekeyed by a new Quick Mode');
            });
          if (hard || sa.state !== 'established') {
            void retire();
          } else {
            // make-before-break: the new IPsec SAs first (same reqid), then the old ones go
            void rekeyV1Child(c);
          }
          return true;
        }
      }
      return false;
    },

    counts() {
      let children = 0;
      for (const sa of allSas()) children += sa.children.size;
      return { ikeSas: table.size, childSas: children, halfOpen: halfOpen() };
    },

    async shutdown(): Promise<void> {
      await Promise.all(allSas().map((sa) => sa.run('shutdown', () => deleteIsakmpSa(sa, 'daemon shutting down'))));
    },
  };
};
