/**
 * Security Association Database of the userspace dataplane (RFC 4301 §4.4.2):
 * inbound SAs by SPI (we chose those SPIs, so they are unique here),
 * outbound SAs by SPI and destination, and by reqid so that a matching
 * policy finds its SA. Each entry carries the per-SA state: sequence number,
 * replay window, cipher suite, counters and lifetime flags.
 */
import type { SaId, SaSpec } from '../../ike/dataplane.js';
import type { EspSuite } from './esp-suite.js';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay.js';

export interface SaState {
  spec: SaSpec;
  readonly suite: EspSuite;
  /** inbound only */
  readonly replay: ReplayWindow | undefined;
  /** outbound: last sequence number sent (64-bit value as a number) */
  seq: number;
  bytes: number;
  packets: number;
  lastUsedMs: number | undefined;
  softExpired: boolean;
  hardExpired: boolean;
}

export function newSaState(spec: SaSpec, suite: EspSuite): SaState {
  const window = Number.isInteger(spec.replayWindow) && spec.replayWindow >= 0 ? spec.replayWindow : DEFAULT_REPLAY_WINDOW;
  return {
    spec,
    suite,
    replay: spec.direction === 'in' ? new ReplayWindow(window, spec.esn) : undefined,
    seq: 0,
    bytes: 0,
    packets: 0,
    lastUsedMs: undefined,
    softExpired: false,
    hardExpired: false,
  };
}

function outKey(spi: number, dst: string): string {
  return `${spi >>> 0}/${dst}`;
}

export class Sad {
  readonly #in = new Map<number, SaState>();
  readonly #out = new Map<string, SaState>();
  /** outbound SAs per reqid, newest last (after a rekey the new SA carries the traffic) */
  readonly #outByReqid = new Map<number, SaState[]>();

  get size(): number {
    return this.#in.size + this.#out.size;
  }

  hasInbound(spi: number): boolean {
    return this.#in.has(spi);
  }

  inbound(spi: number): SaState | undefined {
    return this.#in.get(spi);
  }

  /** The outbound SA for a policy's reqid (newest installed). */
  outboundFor(reqid: number): SaState | undefined {
    const l = this.#outByReqid.get(reqid);
    return l === undefined ? undefined : l[l.length - 1];
  }

  find(id: SaId): SaState | undefined {
    const inb = this.#in.get(id.spi);
    if (inb !== undefined && inb.spec.dst === id.dst) return inb;
    const out = this.#out.get(outKey(id.spi, id.dst));
    if (out !== undefined) return out;
    // the engine may ask with an address that changed since (NAT mapping): SPI alone
    if (inb !== undefined) return inb;
    for (const s of this.#out.values()) if (s.spec.spi === id.spi) return s;
    return undefined;
  }

  exists(spec: SaSpec): boolean {
    return spec.direction === 'in' ? this.#in.has(spec.spi) : this.#out.has(outKey(spec.spi, spec.dst));
  }

  add(s: SaState): void {
    if (s.spec.direction === 'in') {
      this.#in.set(s.spec.spi, s);
      return;
    }
    this.#out.set(outKey(s.spec.spi, s.spec.dst), s);
    const l = this.#outByReqid.get(s.spec.reqid) ?? [];
    l.push(s);
    this.#outByReqid.set(s.spec.reqid, l);
  }

  remove(s: SaState): void {
    if (s.spec.direction === 'in') {
      if (this.#in.get(s.spec.spi) === s) this.#in.delete(s.spec.spi);
      return;
    }
    const k = outKey(s.spec.spi, s.spec.dst);
    if (this.#out.get(k) === s) this.#out.delete(k);
    const l = this.#outByReqid.get(s.spec.reqid);
    if (l !== undefined) {
      const rest = l.filter((x) => x !== s);
      if (rest.length === 0) this.#outByReqid.delete(s.spec.reqid);
      else this.#outByReqid.set(s.spec.reqid, rest);
    }
  }

  /** Moves an SA to a new spec (addresses, ports) keeping its state (RFC 7296 §2.23). */
  replaceSpec(s: SaState, spec: SaSpec): void {
    this.remove(s);
    s.spec = spec;
    this.add(s);
  }

  clear(): void {
    this.#in.clear();
    this.#out.clear();
    this.#outByReqid.clear();
  }

  all(): SaState[] {
    return [...this.#in.values(), ...this.#out.values()];
  }
}
