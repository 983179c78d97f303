/** A fake monotonic clock and scheduler: time moves only when the test says so. */
import type { Clock, Scheduler, TimerHandle, WallClock } from '../../src/ike/ports.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fire: () => void;
}

export class FakeClock implements Clock, Scheduler, WallClock {
  private now = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();
  /** wall-clock epoch at fake time 0 */
  constructor(private readonly epochMs = Date.UTC(2026, 10, 23, 12, 0, 0)) {}

  nowMs(): number {
    return this.now;
  }

  nowEpochMs(): number {
    return this.epochMs + this.now;
  }

  at(whenMs: number, fire: () => void): TimerHandle {
    const t = { id: this.nextId++, at: whenMs, fire };
    this.timers.set(t.id, t);
    return { id: t.id };
  }

  cancel(h: TimerHandle): void {
    this.timers.delete(h.id);
  }

  /** number of armed timers (leak checks) */
  get pending(): number {
    return this.timers.size;
  }

  /** time of the next timer, if any */
  nextAt(): number | undefined {
    let best: number | undefined;
    for (const t of this.timers.values()) if (best === undefined || t.at < best) best = t.at;
    return best;
  }

  /** Fires, in time order, every timer due at or before now + ms. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers.values()) if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.now = Math.max(this.now, next.at);
      next.fire();
    }
    this.now = target;
  }
}
