/**
 * The `userspace` dataplane: ESP (RFC 4303) in UDP (RFC 3948) processed in
 * this process. Outbound IP packets come from a TUN device, are matched
 * against the SPD and encrypted with the SA of the matching policy; inbound
 * ESP comes from the daemon's NAT-T socket, is looked up by SPI, checked and
 * decrypted, and written to the TUN device.
 *
 * It carries only ESP-in-UDP (`requiresUdpEncap`), so the engine forces UDP
 * encapsulation like strongSwan's kernel-libipsec. I/O comes in through small
 * ports (PacketDevice, EspSender, RouteHooks) so unit tests run it without
 * TUN, sockets or root.
 */
import type { Rng } from '../../crypto/rng.js';
import type { Dataplane, IpsecProtocol, KernelEvent, PolicySpec, SaCounters, SaId, SaSpec } from '../../ike/dataplane.js';
import type { Datagram, Endpoint, Logger } from '../../ike/ports.js';
import { KernelError } from '../../util/errors.js';
import { decodeEspHeader } from '../../wire/esp/esp.js';
import { DataplaneCounters } from './counters.js';
import { decapsulate } from './esp-in.js';
import { encapsulate } from './esp-out.js';
import { createEspSuite } from './esp-suite.js';
import { parseFlow } from './flow.js';
import { Sad, newSaState, type SaState } from './sad.js';
import { Spd } from './spd.js';

/** Where decrypted packets go (the TUN device). */
export interface PacketDevice {
  readonly name: string;
  write(pkt: Uint8Array): void;
}

/** Sends one UDP-encapsulated ESP packet (no non-ESP marker, RFC 3948 §2.1), gathered from chunks. */
export type EspSender = (local: Endpoint, remote: Endpoint, chunks: readonly Uint8Array[], length: number) => void;

/** Host routing for outbound policies (so that the kernel sends protected traffic into the TUN). */
export interface RouteHooks {
  policyAdded(p: PolicySpec): Promise<void>;
  policyRemoved(p: PolicySpec): Promise<void>;
  /** removes everything it installed */
  flush(): Promise<void>;
}

export interface UserspaceDataplaneOptions {
  readonly rng: Rng;
  /** monotonic ms, for last-use times and acquire rate limiting */
  readonly now: () => number;
  readonly send: EspSender;
  readonly device?: PacketDevice;
  readonly routes?: RouteHooks;
  readonly logger?: Logger;
}

/** one acquire per reqid per second at most (a flood of unprotected packets must not flood the engine) */
const ACQUIRE_INTERVAL_MS = 1000;
/** without ESN, ask for a rekey this close to the end of the sequence space (RFC 4303 §3.3.3) */
const SEQ_SOFT_LIMIT = 0xffffffff - 0x00ffffff;

export class UserspaceDataplane implements Dataplane {
  readonly name = 'userspace';
  readonly requiresUdpEncap = true;
  readonly sad = new Sad();
  readonly spd = new Spd();
  readonly #counters = new DataplaneCounters();
  readonly #reserved = new Set<number>();
  readonly #listeners = new Set<(e: KernelEvent) => void>();
  readonly #lastAcquire = new Map<number, number>();
  readonly #opts: UserspaceDataplaneOptions;
  #device: PacketDevice | undefined;
  #routes: RouteHooks | undefined;

  constructor(opts: UserspaceDataplaneOptions) {
    this.#opts = opts;
    this.#device = opts.device;
    this.#routes = opts.routes;
  }

  /** The daemon attaches the TUN device and host routing once they exist (after the sockets are bound). */
  attach(device: PacketDevice | undefined, routes: RouteHooks | undefined): void {
    this.#device = device;
    this.#routes = routes;
  }

  /** Drop and traffic counters (names like `esp.rx.drop.replay`), for `keyway stats`. */
  counters(): Readonly<Record<string, number>> {
    return this.#counters.snapshot();
  }

  allocateSpi(_protocol: IpsecProtocol, _src: string, _dst: string, _reqid: number): Promise<number> {
    // RFC 4303 §2.1: SPIs 1-255 are reserved by IANA, 0 is never used
    for (let i = 0; i < 64; i++) {
      const b = this.#opts.rng.bytes(4);
      const spi = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
      if (spi < 256 || this.#reserved.has(spi) || this.sad.hasInbound(spi)) continue;
      this.#reserved.add(spi);
      return Promise.resolve(spi);
    }
    return Promise.reject(new KernelError('KERNEL_SPI', 'could not allocate a free SPI'));
  }

  addSa(spec: SaSpec): Promise<void> {
    try {
      if (spec.protocol !== 'esp') throw new KernelError('KERNEL_PROTO', 'the userspace dataplane does ESP only');
      if (spec.encap === undefined) {
        throw new KernelError('KERNEL_ENCAP', 'the userspace dataplane needs UDP encapsulation (RFC 3948) for every SA');
      }
      if (this.sad.exists(spec)) throw new KernelError('KERNEL_EXISTS', `SA ${spec.spi.toString(16)} already installed`);
      const state = newSaState(spec, createEspSuite(spec.keys, this.#opts.rng));
      this.sad.add(state);
      if (spec.direction === 'in') this.#reserved.delete(spec.spi);
      this.#counters.inc('sa.added');
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  updateSa(old: SaId, spec: SaSpec): Promise<void> {
    const s = this.sad.find(old);
    if (s === undefined) return this.addSa(spec);
    if (spec.encap === undefined) return Promise.reject(new KernelError('KERNEL_ENCAP', 'UDP encapsulation cannot be removed from a userspace SA'));
    // keys, SPI and direction stay; only addresses and ports follow the peer (RFC 7296 §2.23)
    this.sad.replaceSpec(s, { ...spec, keys: s.spec.keys });
    this.#counters.inc('sa.updated');
    return Promise.resolve();
  }

  deleteSa(id: SaId): Promise<void> {
    const s = this.sad.find(id);
    if (s !== undefined) this.sad.remove(s);
    this.#reserved.delete(id.spi);
    return Promise.resolve();
  }

  querySa(id: SaId): Promise<SaCounters> {
    const s = this.sad.find(id);
    if (s === undefined) return Promise.reject(new KernelError('KERNEL_NOENT', `no SA ${id.spi.toString(16)}`));
    return Promise.resolve({ bytes: s.bytes, packets: s.packets, ...(s.lastUsedMs !== undefined ? { lastUsedMs: s.lastUsedMs } : {}) });
  }

  async addPolicy(p: PolicySpec): Promise<void> {
    this.spd.add(p);
    if (p.direction === 'out') await this.#routes?.policyAdded(p);
  }

  async deletePolicy(p: PolicySpec): Promise<void> {
    const had = this.spd.remove(p);
    if (had && p.direction === 'out') await this.#routes?.policyRemoved(p);
  }

  async flush(): Promise<void> {
    this.sad.clear();
    this.spd.clear();
    this.#reserved.clear();
    await this.#routes?.flush();
  }

  onEvent(listener: (e: KernelEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Outbound: IP packets read from the TUN device. Never throws. */
  fromDevice(pkts: readonly Uint8Array[]): void {
    for (const pkt of pkts) {
      try {
        this.#outbound(pkt);
      } catch (e) {
        this.#counters.inc('esp.tx.drop.error');
        this.#opts.logger?.log('warn', 'esp.tx.error', { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** Inbound: one UDP-encapsulated ESP packet from the NAT-T socket. Never throws. */
  fromNetwork(d: Datagram): void {
    try {
      this.#inbound(d);
    } catch (e) {
      this.#counters.inc('esp.rx.drop.error');
      this.#opts.logger?.log('warn', 'esp.rx.error', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  #outbound(pkt: Uint8Array): void {
    const c = this.#counters;
    c.inc('tun.rx');
    const flow = parseFlow(pkt);
    if (flow === undefined) {
      c.inc('esp.tx.drop.malformed');
      return;
    }
    const pol = this.spd.lookupOut(flow);
    if (pol === undefined) {
      c.inc('esp.tx.drop.noPolicy');
      return;
    }
    const s = this.sad.outboundFor(pol.spec.reqid);
    if (s === undefined) {
      c.inc('esp.tx.drop.noSa');
      this.#acquire(pol.spec);
      return;
    }
    const packet = flow.length < pkt.length ? pkt.subarray(0, flow.length) : pkt;
    const r = encapsulate(s, packet);
    if (!r.ok) {
      c.inc(`esp.tx.drop.${r.reason}`);
      if (r.reason === 'seqOverflow') this.#expire(s, true);
      return;
    }
    const encap = s.spec.encap;
    if (encap === undefined) {
      c.inc('esp.tx.drop.noEncap');
      return;
    }
    this.#opts.send({ address: s.spec.src, port: encap.srcPort }, { address: s.spec.dst, port: encap.dstPort }, r.chunks, r.length);
    c.inc('esp.tx.packets');
    this.#account(s, packet.length);
    if (!s.spec.esn && s.seq >= SEQ_SOFT_LIMIT) this.#expire(s, false);
  }

  #inbound(d: Datagram): void {
    const c = this.#counters;
    let spi: number;
    try {
      spi = decodeEspHeader(d.bytes).spi;
    } catch {
      c.inc('esp.rx.drop.malformed');
      return;
    }
    const s = this.sad.inbound(spi);
    if (s === undefined) {
      c.inc('esp.rx.drop.badSpi');
      return;
    }
    const r = decapsulate(s, d.bytes);
    if (!r.ok) {
      c.inc(`esp.rx.drop.${r.reason}`);
      return;
    }
    const flow = parseFlow(r.packet);
    if (flow === undefined) {
      c.inc('esp.rx.drop.malformed');
      return;
    }
    // RFC 4301 §5.2 step 4: the inner packet must match the SA's selectors
    if (!this.spd.allowsIn(s.spec.reqid, flow)) {
      c.inc('esp.rx.drop.policy');
      return;
    }
    this.#account(s, r.packet.length);
    const dev = this.#device;
    if (dev === undefined) {
      c.inc('esp.rx.drop.noDevice');
      return;
    }
    try {
      dev.write(r.packet);
      c.inc('esp.rx.packets');
    } catch {
      c.inc('tun.tx.error');
    }
  }

  /** Counts a packet on its SA and raises soft/hard lifetime events (bytes/packets). */
  #account(s: SaState, bytes: number): void {
    s.bytes += bytes;
    s.packets += 1;
    s.lastUsedMs = this.#opts.now();
    const lt = s.spec.lifetime;
    if (!s.hardExpired && ((lt.hardBytes !== undefined && s.bytes >= lt.hardBytes) || (lt.hardPackets !== undefined && s.packets >= lt.hardPackets))) {
      this.#expire(s, true);
    } else if (!s.softExpired && ((lt.softBytes !== undefined && s.bytes >= lt.softBytes) || (lt.softPackets !== undefined && s.packets >= lt.softPackets))) {
      this.#expire(s, false);
    }
  }

  #expire(s: SaState, hard: boolean): void {
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

  #acquire(p: PolicySpec): void {
    const now = this.#opts.now();
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
          this.#opts.logger?.log('warn', 'dataplane.listener.error', { error: err instanceof Error ? err.message : String(err) });
        }
      }
    });
  }
}
