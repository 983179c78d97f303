/**
 * Unauthenticated evidence that phase 1 failed: a notification in the clear,
 * a protected one that does not decrypt or verify under our keys, an MM5 /
 * MM6 / AM3 that does not decrypt. Its sender is unknown: anyone who sees our
 * cookies can forge it (RFC 2408 §4.8 offers no protection before keys exist,
 * and none that we can check when the keys differ). Acting on it at once
 * would let one forged datagram end a negotiation that was about to succeed;
 * ignoring it would leave us retransmitting for minutes when the peer really
 * refused. So the evidence ends the attempt only if, within a short grace
 * period, nothing authentic moves phase 1 on (a genuine peer answers a
 * message with either its next message or a notification, never both).
 * A protected notification that verifies needs no grace (phase1-notify.ts).
 */
import type { TimerHandle } from '../ports.js';
import type { V1Sa, V1SaState } from './v1-sa.js';

/** Longest grace period (ms); never more than a quarter of the first retransmission timeout. */
export const PHASE1_DOUBT_MS = 500;

interface Pending {
  readonly state: V1SaState;
  readonly timer: TimerHandle;
}

const pending = new WeakMap<V1Sa, Pending>();

export function phase1DoubtMs(sa: V1Sa): number {
  return Math.min(PHASE1_DOUBT_MS, (sa.ctx.config.daemon.retransmit.timeout * 1000) / 4);
}

/**
 * Records evidence `what`; `conclude` (reporting, answering, destroying)
 * runs after the grace period unless the SA left the state it is in now.
 * The first evidence in a state decides; later evidence only counts.
 */
export function doubtPhase1(sa: V1Sa, what: string, conclude: () => void): void {
  const ctx = sa.ctx;
  ctx.counters.inc('v1.phase1.doubt');
  if (!sa.inPhase1) return;
  const old = pending.get(sa);
  if (old !== undefined && old.state === sa.state) return;
  if (old !== undefined) ctx.scheduler.cancel(old.timer);
  ctx.log('info', 'v1.phase1.doubt', { ...sa.logFields, what, graceMs: phase1DoubtMs(sa) });
  const state = sa.state;
  const timer = ctx.scheduler.at(ctx.clock.nowMs() + phase1DoubtMs(sa), () => void sa.run('phase 1 doubt', () => {
    const p = pending.get(sa);
    if (p?.timer !== timer) return;
    pending.delete(sa);
    // authentic progress (the genuine answer) arrived meanwhile: the evidence was not the peer's
    if (sa.state !== state) {
      ctx.counters.inc('v1.phase1.doubt.dismissed');
      return;
    }
    ctx.counters.inc('v1.phase1.doubt.concluded');
    conclude();
  }));
  pending.set(sa, { state, timer });
  sa.onClose(() => {
    if (pending.get(sa)?.timer === timer) pending.delete(sa);
    ctx.scheduler.cancel(timer);
  });
}
