/**
 * Initiating IKEv1: a fresh ISAKMP SA for a connection, Quick Modes over an
 * established one, and phase 1 rekeying. IKEv1 has no in-place rekey: a new
 * ISAKMP SA is negotiated before the old one expires, with new IPsec SAs for
 * the live children (make-before-break), then the old one is deleted.
 */
import type { ChildConfig, ConnectionConfig } from '../../config/model.js';
import { parseIp } from '../../policy/ip.js';
import type { EngineContext } from '../context.js';
import type { InitiateResult } from '../engine-api.js';
import { startQuickMode, type QuickResult } from './quick-mode.js';
import type { V1Child } from './v1-child.js';
import { V1Sa } from './v1-sa.js';

function chooseLocal(ctx: EngineContext, conn: ConnectionConfig, family: 4 | 6): string | undefined {
  const ok = (a: string): boolean => {
    const ip = parseIp(a);
    return ip !== undefined && ip.family === family && ip.value !== 0n;
  };
  return conn.localAddrs.find(ok) ?? ctx.config.daemon.listen.find(ok);
}

/** A new initiator SA (not yet registered), or the reason there cannot be one. */
export function newInitiatorSa(ctx: EngineContext, conn: ConnectionConfig, taken: (spiI: Uint8Array) => boolean): V1Sa | InitiateResult {
  const remote = conn.remoteAddrs.find((a) => parseIp(a) !== undefined);
  if (remote === undefined) return { ok: false, error: `connection ${conn.name} has no literal remote address to initiate to (remote_addrs)` };
  const family = parseIp(remote)?.family ?? 4;
  const local = chooseLocal(ctx, conn, family);
  if (local === undefined) return { ok: false, error: `connection ${conn.name}: set local_addrs (or daemon.listen) to a concrete IPv${family} address` };
  let spiI = ctx.rng.bytes(8);
  while (spiI.every((b) => b === 0) || taken(spiI)) spiI = ctx.rng.bytes(8);
  const sa = new V1Sa(ctx, true, spiI, { address: local, port: ctx.config.daemon.port }, { address: remote, port: conn.remotePort }, conn.aggressive === true ? 'aggressive' : 'main');
  sa.conn = conn;
  return sa;
}

/**
 * How long an Aggressive Mode initiator holds its first Quick Mode after AM3.
 * Nothing acknowledges AM3 (RFC 2409 §5.4), and a responder that handles
 * datagrams on several threads (strongSwan) may see QM1 first, drop it
 * ("phase 1 is incomplete") and leave us waiting for a retransmission
 * (seconds). A short pause lets AM3 land first; Main Mode needs none (the
 * responder's MM6 comes last).
 */
export const AM3_SETTLE_MS = 200;

export function quick(sa: V1Sa, cfg: ChildConfig, rekeyOf?: V1Child): Promise<QuickResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: QuickResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const go = (): void => {
      // an SA destroyed before the job ran skips it: answer anyway
      void sa.run('quick mode', () => startQuickMode(sa, cfg, done, rekeyOf)).then(() => {
        if (sa.state === 'destroyed') done({ ok: false, reason: 'ISAKMP SA closed' });
      });
    };
    const now = sa.ctx.clock.nowMs();
    const settleAt = sa.initiator && sa.mode === 'aggressive' && sa.establishedAtMs !== undefined ? sa.establishedAtMs + AM3_SETTLE_MS : 0;
    if (settleAt > now) sa.ctx.scheduler.at(settleAt, go);
    else go();
  });
}

/** Several Quick Modes over one phase 1 SA, one after the other. */
export async function quickAll(sa: V1Sa, children: readonly ChildConfig[]): Promise<InitiateResult> {
  let first: number | undefined;
  let error: string | undefined;
  for (const c of children) {
    const r = await quick(sa, c);
    if (r.ok) first ??= r.child.uniqueId;
    else error ??= r.reason;
  }
  if (first === undefined && error !== undefined) return { ok: false, ikeSaId: sa.uniqueId, error };
  return { ok: true, ikeSaId: sa.uniqueId, ...(first === undefined ? {} : { childSaId: first }) };
}

/** Random seconds in [0, max] from the SA's RNG (jitter so both ends do not rekey at once). */
export function jitterSeconds(sa: V1Sa, max: number): number {
  if (max <= 0) return 0;
  const b = sa.ctx.rng.bytes(2);
  return Math.floor(((((b[0] ?? 0) << 8) | (b[1] ?? 0)) / 0xffff) * max);
}

/**
 * The initiator re-negotiates phase 1 at rekey_time (or reauth_time) minus up
 * to rand_time, before the negotiated lifetime ends; the responder lets the
 * lifetime run (its peer rekeys, or the SA is deleted at expiry).
 */
export function armPhase1Rekey(sa: V1Sa, reinitiate: (conn: ConnectionConfig, children: readonly ChildConfig[], why: string, after?: V1Sa) => void): void {
  const conn = sa.conn;
  if (!sa.initiator || conn === undefined) return;
  const base = conn.rekeyTime > 0 ? conn.rekeyTime : conn.reauthTime;
  if (base <= 0) return;
  let at = base - jitterSeconds(sa, conn.randTime);
  // the peer may have negotiated a shorter lifetime (RFC 2409 §4.5): rekey before it
  if (sa.lifeSeconds > 0 && at >= sa.lifeSeconds) at = Math.max(1, Math.floor(sa.lifeSeconds * 0.9));
  sa.setRekeyTimer(sa.ctx.clock.nowMs() + at * 1000, () => void sa.run('phase 1 rekey', () => {
    if (sa.state !== 'established') return;
    const cfgs = [...new Set([...sa.children.values()].filter((c) => c.state === 'installed').map((c) => c.cfg))];
    sa.ctx.counters.inc('v1.ike.rekey');
    reinitiate(conn, cfgs, `phase 1 rekey of ISAKMP SA #${sa.uniqueId}`, sa);
  }));
}
