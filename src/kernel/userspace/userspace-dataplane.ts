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
import { ESP_HEADER_LEN } from '../../wire/esp/esp.js';
import { DataplaneCounters } from './counters.js';
import { decapsulate } from './esp-in.js';
import { encapsulate } from './esp-out.js';
import type { NativeAead } from './esp-aead.js';
import { createEspSuite } from './esp-suite.js';
import { parseFlow } from './flow.js';
import { SaEvents } from './sa-events.js';
import { Sad, newSaState } from './sad.js';
import { Spd } from './spd.js';

/** Where decrypted packets go (the TUN device). */
export interface PacketDevice {
  readonly name: string;
  /** queues (or writes) a packet; it must not be kept beyond the next flush() */
  write(pkt: Uint8Array): void;
  /** writes what write() queued; returns how many packets failed */
  flush?(): number;
}

/**
 * Sends (or queues) one UDP-encapsulated ESP packet (no non-ESP marker,
 * RFC 3948 §2.1), gathered from chunks that are valid only during the call.
 */
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
  /** sends what `send` queued (called at the end of each burst read from the device) */
  readonly flushSend?: () => void;
  readonly device?: PacketDevice;
  readonly routes?: RouteHooks;
  readonly logger?: Logger;
  /** native AEAD (reusable OpenSSL contexts) for AES-GCM and ChaCha20-Poly1305; node:crypto without it */
  readonly aead?: NativeAead;
}

/** without ESN, ask for a rekey this close to the end of the sequence space (RFC 4303 §3.3.3) */
const SEQ_SOFT_LIMIT = 0xffffffff - 0x00ffffff;
/** an IP packet (at most 65535 bytes) plus the most any suite adds */
const MAX_ESP_PACKET = 65535 + 512;

export class UserspaceDataplane implements Dataplane {
  readonly name = 'userspace';
  readonly requiresUdpEncap = true;
  readonly sad = new Sad();
  readonly spd = new Spd();
  readonly #counters = new DataplaneCounters();
  readonly #reserved = new Set<number>();
  readonly #opts: UserspaceDataplaneOptions;
  readonly #events: SaEvents;
  #device: PacketDevice | undefined;
  #routes: RouteHooks | undefined;
  /** the ESP packet being built (reused: the sender copies or sends it at once) */
  readonly #tx = new Uint8Array(MAX_ESP_PACKET);
  #inPlace = false;

  constructor(opts: UserspaceDataplaneOptions) {
    this.#opts = opts;
    this.#events = new SaEvents(this.#counters, opts.now, opts.logger);
    this.#device = opts.device;
    this.#routes = opts.routes;
  }

  /** The daemon attaches the TUN device and host routing once they exist (after the sockets are bound). */
  attach(device: PacketDevice | undefined, routes: RouteHooks | undefined): void {
    this.#device = device;
    this.#routes = routes;
  }

  /** The live counter set (the batched socket I/O adds its own counters to it). */
  get counterSet(): DataplaneCounters {
    return this.#counters;
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
      const state = newSaState(spec, createEspSuite(spec.keys, this.#opts.rng, this.#opts.aead));
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
    if (s !== undefined) {
      this.sad.remove(s);
      s.suite.dispose();
    }
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
    for (const s of this.sad.all()) s.suite.dispose();
    this.sad.clear();
    this.spd.clear();
    this.#reserved.clear();
    await this.#routes?.flush();
  }

  onEvent(listener: (e: KernelEvent) => void): () => void {
    return this.#events.onEvent(listener);
  }

  /**
   * Outbound: a burst of IP packets read from the TUN device (views that are
   * only valid during the call); the resulting ESP leaves in one flush at the
   * end. Never throws.
   */
  fromDevice(pkts: readonly Uint8Array[]): void {
    const now = this.#opts.now();
    let sent = 0;
    for (const pkt of pkts) {
      try {
        if (this.#outbound(pkt, now)) sent++;
      } catch (e) {
        this.#counters.inc('esp.tx.drop.error');
        this.#opts.logger?.log('warn', 'esp.tx.error', { error: e instanceof Error ? e.message : String(e) });
      }
    }
    this.#counters.inc('tun.rx', pkts.length);
    if (sent > 0) this.#counters.inc('esp.tx.packets', sent);
    this.#opts.flushSend?.();
  }

  /** Inbound: one UDP-encapsulated ESP packet from the NAT-T socket (node:dgram path). Never throws. */
  fromNetwork(d: Datagram): void {
    try {
      this.#inbound(d.bytes);
    } catch (e) {
      this.#counters.inc('esp.rx.drop.error');
      this.#opts.logger?.log('warn', 'esp.rx.error', { error: e instanceof Error ? e.message : String(e) });
    }
    this.endBatch();
  }

  /**
   * Inbound, batched reader: one ESP packet in its receive buffer (valid
   * during the call; decrypted in place); endBatch() follows the burst.
   */
  fromEsp(bytes: Uint8Array): void {
    this.#inPlace = true;
    try {
      this.#inbound(bytes);
    } catch (e) {
      this.#counters.inc('esp.rx.drop.error');
      this.#opts.logger?.log('warn', 'esp.rx.error', { error: e instanceof Error ? e.message : String(e) });
    }
    this.#inPlace = false;
  }

  /** End of an inbound burst: the decrypted packets go to the device in one write batch. */
  endBatch(): void {
    const failed = this.#device?.flush?.() ?? 0;
    if (failed > 0) this.#counters.inc('tun.tx.error', failed);
  }

  /** Encrypts and queues one packet; true when it was handed to the sender. */
  #outbound(pkt: Uint8Array, now: number): boolean {
    const c = this.#counters;
    const flow = parseFlow(pkt);
    if (flow === undefined) {
      c.inc('esp.tx.drop.malformed');
      return false;
    }
    const pol = this.spd.lookupOut(flow);
    if (pol === undefined) {
      c.inc('esp.tx.drop.noPolicy');
      return false;
    }
    const s = this.sad.outboundFor(pol.spec.reqid);
    if (s === undefined) {
      c.inc('esp.tx.drop.noSa');
      this.#events.acquire(pol.spec);
      return false;
    }
    const packet = flow.length < pkt.length ? pkt.subarray(0, flow.length) : pkt;
    const r = encapsulate(s, packet, this.#tx);
    if (!r.ok) {
      c.inc(`esp.tx.drop.${r.reason}`);
      if (r.reason === 'seqOverflow') this.#events.expire(s, true);
      return false;
    }
    const encap = s.spec.encap;
    if (encap === undefined) {
      c.inc('esp.tx.drop.noEncap');
      return false;
    }
    this.#opts.send({ address: s.spec.src, port: encap.srcPort }, { address: s.spec.dst, port: encap.dstPort }, [this.#tx.subarray(0, r.length)], r.length);
    this.#events.account(s, packet.length, now);
    if (!s.spec.esn && s.seq >= SEQ_SOFT_LIMIT) this.#events.expire(s, false);
    return true;
  }

  #inbound(bytes: Uint8Array): void {
    const c = this.#counters;
    // RFC 4303 §2.1: the SPI is the first 32 bits; 0 is reserved (never a valid SA)
    const spi = bytes.length >= ESP_HEADER_LEN ? ((bytes[0] ?? 0) * 0x1000000 + (((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0))) : 0;
    if (spi === 0) {
      c.inc('esp.rx.drop.malformed');
      return;
    }
    const s = this.sad.inbound(spi);
    if (s === undefined) {
      c.inc('esp.rx.drop.badSpi');
      return;
    }
    const r = decapsulate(s, bytes, this.#inPlace);
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
    this.#events.account(s, r.packet.length, this.#opts.now());
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
}
