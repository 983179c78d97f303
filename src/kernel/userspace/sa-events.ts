/**
 * What the userspace dataplane tells the engine (KernelEvent): per-SA
 * lifetimes by bytes and packets (RFC 4301 §4.4.2.1: soft limit -> rekey,
 * hard limit -> the SA carries no more traffic) and acquires for packets
 * that match a policy without an SA (at most one per reqid per second, so a
 * flood of unprotected packets cannot flood the engine).
 */
import type { KernelEvent, PolicySpec } from '../../ike/dataplane.js';
import type { Logger } from '../../ike/ports.js';
import type { DataplaneCounters } from './counters.js';
import type { SaState } from './sad.js';

const ACQUIRE_INTERVAL_MS = 1000;

export class SaEvents {
  readonly #listeners = new Set<(e: KernelEvent) => void>();
  readonly #lastAcquire = new Map<number, number>();
  readonly #counters: DataplaneCounters;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;

  constructor(counters: DataplaneCounters, now: () => number, logger: Logger | undefined) {
    this.#counters = counters;
    this.#now = now;
    this.#logger = logger;
  }

  onEvent(listener: (e: KernelEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Counts a packet on its SA and raises soft/hard lifetime events (bytes/packets). */
  account(s: SaState, bytes: number, now: number): void {
    s.bytes += bytes;
    s.packets += 1;
    s.lastUsedMs = now;
    const lt = s.spec.lifetime;
    if (!s.hardExpired && ((lt.hardBytes !== undefined && s.bytes >= lt.hardBytes) || (lt.hardPackets !== undefined && s.packets >= lt.hardPackets))) {
      this.expire(s, true);
    } else if (!s.softExpired && ((lt.softBytes !== undefined && s.bytes >= lt.softBytes) || (lt.softPackets !== undefined && s.packets >= lt.softPackets))) {
      this.expire(s, false);
    }
  }

  expire(s: SaState, hard: boolean): void {
    if (hard) {
      if (s.hardExpired) return;
      s.hardExpired = true;
      s.softExpired = true;
    } else {
      if (s.softExpired) return;
      s.softExpired = true;
    }
    this.#counters.inc(hard ? 'sa.expired.hard' : 'sa.expired.soft');
    this.#emit({ kind: 'expire', hard, sa: { protocol: 'esp', spi: s.spec.spi, dst: s.spec.dst }, reqid: s.spec.reqid });
  }

  acquire(p: PolicySpec): void {
    const now = this.#now();
    const last = this.#lastAcquire.get(p.reqid);
    if (last !== undefined && now - last < ACQUIRE_INTERVAL_MS) return;
    this.#lastAcquire.set(p.reqid, now);
    this.#counters.inc('acquire');
    this.#emit({ kind: 'acquire', reqid: p.reqid, local: p.local, remote: p.remote });
  }

  #emit(e: KernelEvent): void {
    // events run after the current packet, so a listener never re-enters packet processing
    queueMicrotask(() => {
      for (const l of this.#listeners) {
        try {
          l(e);
        } catch (err) {
          this.#logger?.log('warn', 'dataplane.listener.error', { error: err instanceof Error ? err.message : String(err) });
        }
      }
    });
  }
}
