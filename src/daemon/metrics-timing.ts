/**
 * IKE SA establishment time, measured in the daemon without touching the
 * protocol core: the engine already logs `ike.initiate` (just before the
 * first IKE_SA_INIT request of a new IKE SA) and `ike.established` (with
 * `initiator`), both carrying the SA's unique id in `ike`. This wrapper
 * around the daemon's Logger times the pair with the daemon's clock.
 *
 * Limits (docs/metrics.md): the engine filters records below the configured
 * log_level before they reach the logger, so with log_level = warn or error
 * the histogram stays empty; IKEv1 is not timed.
 */
import type { LogLevel, Logger } from '../ike/ports.js';

/** RFC-independent choice: a LAN handshake takes milliseconds, retransmissions push it to tens of seconds. */
export const ESTABLISH_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;

/** Pending initiations kept at most (the half-open limit bounds them anyway; this bounds memory if it does not). */
export const MAX_PENDING = 4096;

export class EstablishTimer {
  readonly #pending = new Map<number, number>();
  readonly #now: () => number;
  #observe: ((seconds: number) => void) | undefined;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Where finished measurements go (the exporter may start after the engine, or be restarted by a reload). */
  setSink(observe: ((seconds: number) => void) | undefined): void {
    this.#observe = observe;
  }

  /** Looks at one log record; never throws. */
  onLog(event: string, fields: Readonly<Record<string, unknown>>): void {
    const id = fields['ike'];
    if (typeof id !== 'number') return;
    if (event === 'ike.initiate') {
      if (this.#pending.size >= MAX_PENDING) {
        // Map iteration order is insertion order: drop the oldest
        const oldest = this.#pending.keys().next();
        if (oldest.done !== true) this.#pending.delete(oldest.value);
      }
      this.#pending.set(id, this.#now());
    } else if (event === 'ike.established' || event === 'ike.closed') {
      const start = this.#pending.get(id);
      if (start === undefined) return;
      this.#pending.delete(id);
      if (event === 'ike.established' && fields['initiator'] === true) this.#observe?.(Math.max(0, this.#now() - start) / 1000);
    }
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** A Logger that forwards everything to `inner` and feeds this timer. */
  wrap(inner: Logger): Logger {
    return {
      log: (level: LogLevel, event: string, fields: Readonly<Record<string, unknown>>): void => {
        inner.log(level, event, fields);
        if (event === 'ike.initiate' || event === 'ike.established' || event === 'ike.closed') {
          try {
            this.onLog(event, fields);
          } catch {
            // metrics must never break logging
          }
        }
      },
    };
  }
}
