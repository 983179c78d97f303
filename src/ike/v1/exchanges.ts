/**
 * Per-exchange message state of one ISAKMP SA (RFC 2408 §5): IKEv1 has no
 * request/response pairing, so each exchange (keyed by message ID, 0 for
 * phase 1) remembers the last message we sent and the last one we received,
 * retransmits ours on timeout while a reply is due, and resends it when the
 * peer repeats its previous message (as strongSwan and Libreswan do).
 */
import { bytesEqual } from '../../util/bytes.js';
import type { EngineContext } from '../context.js';
import type { Endpoint, TimerHandle } from '../ports.js';

/** Our own policy: a duplicate within this time of our last send is ignored. */
const DUPLICATE_RESEND_MS = 1000;

/** Per message ID: what we sent last, what we received last, retransmission. */
interface ExchangeState {
  lastSent: Uint8Array | undefined;
  lastReceived: Uint8Array | undefined;
  timer: TimerHandle | undefined;
  tries: number;
  /** clock ms of our last transmission (rate-limits resends triggered by duplicates) */
  sentAtMs: number;
  /** called when retransmissions are exhausted */
  onTimeout: ((reason: string) => void) | undefined;
}

export class Exchanges {
  private readonly map = new Map<number, ExchangeState>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly endpoints: () => { local: Endpoint; remote: Endpoint },
    /** runs a timer callback in the SA's mailbox */
    private readonly run: (what: string, fn: () => void) => void,
  ) {}

  private exchange(mid: number): ExchangeState {
    let x = this.map.get(mid);
    if (x === undefined) {
      x = { lastSent: undefined, lastReceived: undefined, timer: undefined, tries: 0, sentAtMs: 0, onTimeout: undefined };
      this.map.set(mid, x);
    }
    return x;
  }

  send(mid: number, bytes: Uint8Array, awaitReply: boolean, onTimeout?: (reason: string) => void): void {
    const x = this.exchange(mid);
    if (x.timer !== undefined) this.ctx.scheduler.cancel(x.timer);
    x.timer = undefined;
    x.lastSent = bytes;
    x.tries = 0;
    x.onTimeout = onTimeout;
    this.transmit(mid, x, awaitReply);
  }

  private transmit(mid: number, x: ExchangeState, awaitReply: boolean): void {
    if (x.lastSent === undefined) return;
    this.ctx.transport.send({ ...this.endpoints(), bytes: x.lastSent });
    x.sentAtMs = this.ctx.clock.nowMs();
    this.ctx.counters.inc(x.tries === 0 ? 'v1.tx' : 'v1.tx.retransmit');
    if (!awaitReply) return;
    const rt = this.ctx.config.daemon.retransmit;
    const delay = rt.timeout * 1000 * Math.pow(rt.base, x.tries);
    x.timer = this.ctx.scheduler.at(this.ctx.clock.nowMs() + delay, () => {
      this.run('v1 retransmit', () => {
        x.timer = undefined;
        if (x.tries >= rt.tries) {
          const reason = `peer did not answer message ID ${mid.toString(16)} after ${rt.tries} retransmissions`;
          const cb = x.onTimeout;
          x.onTimeout = undefined;
          if (cb !== undefined) cb(reason);
          return;
        }
        x.tries++;
        this.transmit(mid, x, true);
      });
    });
  }

  /** The peer answered: stop retransmitting our last message of this exchange. */
  replied(mid: number): void {
    const x = this.map.get(mid);
    if (x?.timer !== undefined) this.ctx.scheduler.cancel(x.timer);
    if (x !== undefined) {
      x.timer = undefined;
      x.onTimeout = undefined;
    }
  }

  /**
   * Duplicate check before any decryption (so the IV chain is untouched):
   * a repeat of the peer's previous message makes us resend our last one.
   */
  isDuplicate(mid: number, bytes: Uint8Array): boolean {
    const x = this.map.get(mid);
    if (x?.lastReceived === undefined || !bytesEqual(x.lastReceived, bytes)) return false;
    this.ctx.counters.inc('v1.rx.duplicate');
    // A network that duplicates packets would otherwise make both sides echo
    // each other forever: resend at most once per DUPLICATE_RESEND_MS.
    if (x.lastSent !== undefined && this.ctx.clock.nowMs() - x.sentAtMs >= DUPLICATE_RESEND_MS) {
      this.ctx.transport.send({ ...this.endpoints(), bytes: x.lastSent });
      x.sentAtMs = this.ctx.clock.nowMs();
      this.ctx.counters.inc('v1.tx.retransmit');
    } else {
      this.ctx.counters.inc('v1.rx.duplicate.ignored');
    }
    return true;
  }

  received(mid: number, bytes: Uint8Array): void {
    this.exchange(mid).lastReceived = bytes.slice();
  }

  has(mid: number): boolean {
    return this.map.has(mid);
  }

  /** Cancels every retransmission and forgets all exchanges. */
  clear(): void {
    for (const x of this.map.values()) if (x.timer !== undefined) this.ctx.scheduler.cancel(x.timer);
    this.map.clear();
  }
}
