/**
 * SA lifetimes and liveness (RFC 7296 §2.8, §2.4; strongSwan's rekey_time /
 * life_time / rand_time semantics). In IKEv2 each peer keeps its own
 * lifetimes; nothing is negotiated. Timer hooks post into the SA's mailbox so
 * they never interleave with packet processing.
 *
 *   CHILD SA:  soft = rekey_time - random(0..rand_time)  -> rekey (CREATE_CHILD_SA + REKEY_SA)
 *              hard = life_time                           -> delete
 *   IKE SA:    soft = rekey_time - random(0..rand_time)  -> rekey (§2.18)
 *              reauth_time - random(0..rand_time)        -> reauthenticate (make-before-break)
 *              hard = max(rekey, reauth) + over_time      -> delete
 *   DPD:       no authenticated message for dpd_delay    -> empty INFORMATIONAL (§1.4)
 */
import type { ChildSa } from './child-sa.js';
import type { IkeSa } from './ike-sa.js';
import { ChildRekeyInitiator } from './v2/child-rekey.js';
import { DeleteChildInitiator, DeleteIkeInitiator, LivenessInitiator } from './v2/informational.js';
import { IkeRekeyInitiator } from './v2/ike-rekey.js';

/** Uniform random jitter in [0, max] (seconds, bytes or packets) so both peers do not rekey at the same instant. */
export function jitterSeconds(sa: IkeSa, maxSeconds: number): number {
  if (maxSeconds <= 0) return 0;
  const b = sa.ctx.rng.bytes(4);
  const r = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  return (r / 0xffffffff) * maxSeconds;
}

/** Called after a CHILD SA is installed: arms its soft (rekey) and hard (expire) timers. */
export function scheduleChildLifetime(child: ChildSa): void {
  const sa = child.ikeSa;
  const ctx = child.ctx;
  const cfg = child.cfg;
  const now = ctx.clock.nowMs();
  child.cancelTimers();
  if (cfg.rekeyTime > 0) {
    const soft = Math.max(1, cfg.rekeyTime - jitterSeconds(sa, cfg.randTime));
    child.rekeyAtMs = now + soft * 1000;
    child.rekeyTimer = ctx.scheduler.at(child.rekeyAtMs, () => {
      child.rekeyTimer = undefined;
      void child.ikeSa.run('child rekey timer', () => startChildRekey(child, 'rekey_time reached'));
    });
  }
  if (cfg.lifeTime > 0) {
    child.expireAtMs = now + cfg.lifeTime * 1000;
    child.expireTimer = ctx.scheduler.at(child.expireAtMs, () => {
      child.expireTimer = undefined;
      void child.ikeSa.run('child expire timer', () => expireChild(child, 'life_time reached'));
    });
  }
}

/** Starts a CHILD SA rekey unless one is already under way or the SA is going away. */
export async function startChildRekey(child: ChildSa, why: string): Promise<void> {
  const sa = child.ikeSa;
  if (child.state !== 'installed' || sa.state !== 'established') return;
  sa.ctx.log('info', 'child.rekey.start', { ...child.logFields, why });
  sa.enqueue(new ChildRekeyInitiator(sa, child));
  await sa.kick();
}

/** Hard lifetime: the CHILD SA must not be used any longer: delete it (telling the peer). */
export async function expireChild(child: ChildSa, why: string): Promise<void> {
  const sa = child.ikeSa;
  if (child.state === 'removed' || child.state === 'deleting') return;
  sa.ctx.counters.inc('child.expired');
  if (sa.state !== 'established' && sa.state !== 'rekeyed') {
    child.remove(`expired: ${why}`);
    return;
  }
  sa.enqueue(new DeleteChildInitiator(child, `expired: ${why}`, () => undefined));
  await sa.kick();
}

/** Called after an IKE SA is established (or created by a rekey): arms rekey, reauth, expiry and DPD. */
export function scheduleIkeLifetime(sa: IkeSa): void {
  const conn = sa.conn;
  if (conn === undefined) return;
  const ctx = sa.ctx;
  const now = ctx.clock.nowMs();
  sa.cancelLifetimeTimers();
  if (conn.rekeyTime > 0) {
    sa.rekeyAtMs = now + Math.max(1, conn.rekeyTime - jitterSeconds(sa, conn.randTime)) * 1000;
    sa.lifetimeTimers.rekey = ctx.scheduler.at(sa.rekeyAtMs, () => {
      sa.lifetimeTimers.rekey = undefined;
      void sa.run('ike rekey timer', () => startIkeRekey(sa, 'rekey_time reached'));
    });
  }
  if (conn.reauthTime > 0) {
    sa.reauthAtMs = now + Math.max(1, conn.reauthTime - jitterSeconds(sa, conn.randTime)) * 1000;
    sa.lifetimeTimers.reauth = ctx.scheduler.at(sa.reauthAtMs, () => {
      sa.lifetimeTimers.reauth = undefined;
      void sa.run('ike reauth timer', () => startReauth(sa, 'reauth_time reached'));
    });
  }
  const life = Math.max(conn.rekeyTime, conn.reauthTime);
  if (life > 0) {
    sa.expireAtMs = now + (life + conn.overTime) * 1000;
    sa.lifetimeTimers.expire = ctx.scheduler.at(sa.expireAtMs, () => {
      sa.lifetimeTimers.expire = undefined;
      void sa.run('ike expire timer', async () => {
        if (sa.state !== 'established') return;
        ctx.counters.inc('ike.expired');
        sa.enqueue(new DeleteIkeInitiator(sa, 'IKE SA lifetime expired', () => undefined));
        await sa.kick();
      });
    });
  }
  armDpd(sa);
}

export async function startIkeRekey(sa: IkeSa, why: string): Promise<void> {
  if (sa.state !== 'established' || sa.ikeRekeying) return;
  sa.ctx.log('info', 'ike.rekey.start', { ...sa.logFields, why });
  sa.enqueue(new IkeRekeyInitiator(sa));
  await sa.kick();
}

/** Reauthentication: a fresh IKE SA with full authentication, then the old one goes (make-before-break). */
export function startReauth(sa: IkeSa, why: string): void {
  const conn = sa.conn;
  if (conn === undefined || sa.state !== 'established' || sa.reauthenticating) return;
  sa.reauthenticating = true;
  sa.ctx.counters.inc('ike.reauth.started');
  sa.ctx.log('info', 'ike.reauth.start', { ...sa.logFields, why });
  const children = [...new Set([...sa.children.values()].filter((c) => c.isLive).map((c) => c.cfg))];
  sa.ctx.hooks.reinitiate(conn, children, `reauthentication: ${why}`, sa);
}

/**
 * DPD (RFC 7296 §1.4, §2.4): when nothing authenticated arrived for
 * dpd_delay, send an empty INFORMATIONAL; the retransmission schedule is the
 * timeout, after which the SA is destroyed and dpd_action applies.
 */
export function armDpd(sa: IkeSa, notBefore = 0): void {
  const delay = (sa.conn?.dpdDelay ?? 0) * 1000;
  if (delay <= 0) return;
  if (sa.lifetimeTimers.dpd) sa.ctx.scheduler.cancel(sa.lifetimeTimers.dpd);
  const due = Math.max(sa.lastInboundMs + delay, notBefore, sa.ctx.clock.nowMs());
  sa.lifetimeTimers.dpd = sa.ctx.scheduler.at(due, () => {
    sa.lifetimeTimers.dpd = undefined;
    void sa.run('dpd timer', async () => {
      if (sa.state !== 'established') return;
      if (sa.busy) {
        // an exchange is under way: its own retransmissions already test the peer
        armDpd(sa, sa.ctx.clock.nowMs() + delay);
        return;
      }
      if (sa.lastInboundMs + delay > sa.ctx.clock.nowMs()) {
        armDpd(sa);
        return;
      }
      sa.ctx.counters.inc('dpd.check.sent');
      sa.enqueue(
        new LivenessInitiator((alive) => {
          if (alive) armDpd(sa);
        }, true),
      );
      await sa.kick();
    });
  });
}
