/**
 * Real implementations of the engine's time ports (src/ike/ports.ts) on
 * Node.js. The engine itself never touches timers or clocks (ARCHITECTURE
 * B1.1), so tests swap these for fakes.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, Scheduler, TimerHandle, WallClock } from '../ike/ports.js';

/** Monotonic milliseconds: performance.now() does not jump when NTP steps the wall clock. */
export class SystemClock implements Clock {
  nowMs(): number {
    return performance.now();
  }
}

export class SystemWallClock implements WallClock {
  nowEpochMs(): number {
    return Date.now();
  }
}

/** setTimeout's delay is a signed 32-bit ms count; longer waits are chained. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * setTimeout-based Scheduler. `fire` runs once at or after `whenMs` (Clock
 * time); an exception in `fire` is handed to `onError` instead of crashing
 * the process.
 */
export class TimerScheduler implements Scheduler {
  readonly #clock: Clock;
  readonly #onError: (e: unknown) => void;
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #nextId = 1;

  constructor(clock: Clock, onError: (e: unknown) => void = () => {}) {
    this.#clock = clock;
    this.#onError = onError;
  }

  /** Number of armed timers (for shutdown checks and tests). */
  get pending(): number {
    return this.#timers.size;
  }

  at(whenMs: number, fire: () => void): TimerHandle {
    const id = this.#nextId++;
    this.#arm(id, whenMs, fire);
    return { id };
  }

  cancel(h: TimerHandle): void {
    const t = this.#timers.get(h.id);
    if (t !== undefined) {
      clearTimeout(t);
      this.#timers.delete(h.id);
    }
  }

  /** Cancels everything (daemon shutdown). */
  cancelAll(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #arm(id: number, whenMs: number, fire: () => void): void {
    const delay = Math.max(0, whenMs - this.#clock.nowMs());
    const t = setTimeout(
      () => {
        // setTimeout may fire a little early relative to performance.now(); re-arm if so.
        if (delay > MAX_TIMEOUT_MS || this.#clock.nowMs() < whenMs - 1) {
          this.#arm(id, whenMs, fire);
          return;
        }
        this.#timers.delete(id);
        try {
          fire();
        } catch (e) {
          this.#onError(e);
        }
      },
      Math.min(delay, MAX_TIMEOUT_MS),
    );
    this.#timers.set(id, t);
  }
}
