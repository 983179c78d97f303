/**
 * IKEv1 IPsec SA lifetimes (RFC 2409 §5.5; issue 6 for IKEv1): the side that
 * ran the Quick Mode rekeys it before the negotiated lifetime ends with a new
 * Quick Mode (IKEv1 has no REKEY_SA) and then deletes the old SAs; only one
 * side rekeys, or the SAs would multiply. Both sides delete an SA when its
 * lifetime is over (the dataplane may also expire it by time or bytes).
 *
 *   soft = min(rekey_time, 90 % of the negotiated life) - random(0..rand_time)
 *   hard = negotiated life
 */
import { sendChildDelete } from './informational.js';
import { jitterSeconds, quick } from './initiator-v1.js';
import type { V1Child } from './v1-child.js';

export function scheduleV1ChildLifetime(child: V1Child): void {
  const sa = child.sa;
  const ctx = sa.ctx;
  const now = ctx.clock.nowMs();
  child.cancelTimers();
  const life = child.lifeSeconds;
  const cfg = child.cfg;
  if (child.initiatedByUs) {
    const candidates = [cfg.rekeyTime, life > 0 ? Math.floor(life * 0.9) : 0].filter((x) => x > 0);
    if (candidates.length > 0) {
      const soft = Math.max(1, Math.min(...candidates) - jitterSeconds(sa, cfg.randTime));
      child.rekeyAtMs = now + soft * 1000;
      child.rekeyTimer = ctx.scheduler.at(child.rekeyAtMs, () => {
        child.rekeyTimer = undefined;
        void rekeyV1Child(child);
      });
    }
  }
  if (life > 0) {
    child.expireTimer = ctx.scheduler.at(now + life * 1000, () => {
      child.expireTimer = undefined;
      void sa.run('v1 child expire', () => {
        if (child.state !== 'installed') return;
        ctx.counters.inc('v1.child.expired');
        sendChildDelete(child);
        child.remove('lifetime expired');
      });
    });
  }
}

/** A new Quick Mode for the same config (same reqid), then the old IPsec SAs go. */
export async function rekeyV1Child(child: V1Child): Promise<void> {
  const sa = child.sa;
  if (child.state !== 'installed' || sa.state !== 'established') return;
  sa.ctx.log('info', 'v1.child.rekey.start', { ...child.logFields });
  const r = await quick(sa, child.cfg, child);
  await sa.run('v1 child rekey done', () => {
    if (child.state !== 'installed') return;
    if (!r.ok) {
      sa.ctx.log('warn', 'v1.child.rekey.failed', { ...child.logFields, error: r.reason });
      return;
    }
    sa.ctx.counters.inc('v1.child.rekeyed');
    sendChildDelete(child);
    child.remove(`rekeyed into CHILD SA #${r.child.uniqueId}`);
  });
}
