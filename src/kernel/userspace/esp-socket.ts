/**
 * Batched ESP-in-UDP I/O on one of the daemon's NAT-T sockets (RFC 3948),
 * through the native addon: a whole burst of received datagrams comes in
 * with one recvmmsg(), a whole burst of ESP packets goes out with one
 * sendmmsg(), and runs of equal-size packets to one peer as one UDP GSO
 * super-datagram (UDP_SEGMENT). Per packet that leaves only the kernel's
 * work; node:dgram would add a JS event, a Buffer, an address string and a
 * send request per datagram (docs/userspace.md "Performance").
 *
 * The socket stays owned by node:dgram (binding, IKE sends, close); this
 * reads and writes a duplicate descriptor of it. node:dgram stops reading
 * (UdpTransport.takeOverReceive), and what is not ESP goes back to the
 * transport's demux: the NAT-keepalive (one 0xFF octet, §2.3) and IKE behind
 * the four-zero-octet non-ESP marker (§2.2).
 */
import type { Endpoint, Logger } from '../../ike/ports.js';
import type { NativeAddon, PollHandle } from '../../native/addon.js';
import { formatIp, parseIp } from '../../policy/ip.js';
import type { DataplaneCounters } from './counters.js';

/** What the transport gives for a socket it lets us read (see UdpTransport.takeOverReceive). */
export interface ReceiveHandoff {
  deliver(remote: Endpoint, bytes: Buffer): void;
  release(): void;
}

/** Receives ESP datagrams (views valid only during the call) and the end of each burst. */
export interface EspSink {
  fromEsp(bytes: Uint8Array): void;
  endBatch(): void;
}

export interface EspSocketOptions {
  readonly native: NativeAddon;
  /** the transport's descriptor (duplicated here; the original stays with node:dgram) */
  readonly fd: number;
  readonly family: 4 | 6;
  readonly counters: DataplaneCounters;
  /** UDP GSO for runs of equal-size packets (default on; turned off if the kernel keeps refusing) */
  readonly gso?: boolean;
  /** UDP_GRO while we read: the kernel hands over a peer's GSO burst as one datagram (default off) */
  readonly gro?: boolean;
  readonly logger?: Logger;
}

/** recvmmsg: slots big enough for any UDP datagram (IKE messages can be large) */
const RX_SLOT = 65536;
const RX_BATCH = 64;
/** recvmmsgInto's per-datagram words: length, family, port, address[4], GRO segment, flags, 0 */
const RX_META = 10;
/** bursts per readiness callback, so IKE timers and the TUN side are never starved */
const RX_ROUNDS = 4;
const TX_BUFFER = 256 * 1024;
const TX_BATCH = 64;
/** after this many refused GSO sends the socket sends plain datagrams only */
const GSO_GIVE_UP = 16;
/** SOL_UDP / UDP_GRO (linux/udp.h) */
const SOL_UDP = 17;
const UDP_GRO = 104;

export class EspSocket {
  readonly family: 4 | 6;
  readonly #native: NativeAddon;
  readonly #fd: number;
  readonly #c: DataplaneCounters;
  readonly #logger: Logger | undefined;
  #poll: PollHandle | undefined;
  #handoff: ReceiveHandoff | undefined;
  #closed = false;
  // receive state (allocated on start)
  #rx: Buffer | undefined;
  readonly #rxMeta = new Uint32Array(RX_META * RX_BATCH);
  // send state: packets packed back to back (contiguous, as UDP GSO needs)
  readonly #tx = Buffer.allocUnsafeSlow(TX_BUFFER);
  readonly #txMeta = new Uint32Array(2 * TX_BATCH);
  readonly #txStats = new Uint32Array(3);
  #txCount = 0;
  #txOff = 0;
  #txDst: Endpoint | undefined;
  #txAddr: Uint8Array | undefined;
  #gso: boolean;
  readonly #gro: boolean;
  #groOn = false;
  readonly #addrCache = new Map<string, Uint8Array | null>();

  constructor(o: EspSocketOptions) {
    this.#native = o.native;
    this.family = o.family;
    this.#fd = o.native.dupFd(o.fd);
    this.#c = o.counters;
    this.#gso = o.gso ?? true;
    this.#gro = o.gro ?? false;
    this.#logger = o.logger;
  }

  /** Takes over reading: ESP to `sink`, everything else back to the transport through `handoff`. */
  startReceiving(handoff: ReceiveHandoff, sink: EspSink): void {
    if (this.#closed || this.#poll !== undefined) return;
    this.#handoff = handoff;
    this.#rx = Buffer.allocUnsafeSlow(RX_SLOT * RX_BATCH);
    if (this.#gro) this.#groOn = this.#setGro(1);
    this.#poll = this.#native.pollReadable(this.#fd, (status) => {
      if (status < 0 || this.#closed) return;
      for (let round = 0; round < RX_ROUNDS; round++) {
        const n = this.#receiveBurst(sink);
        if (n < RX_BATCH) return;
      }
      // more is waiting: uv_poll is level-triggered and calls again after other events
    });
  }

  #receiveBurst(sink: EspSink): number {
    const rx = this.#rx;
    if (rx === undefined) return 0;
    let n: number;
    try {
      n = this.#native.recvmmsgInto(this.#fd, rx, RX_SLOT, this.#rxMeta, RX_BATCH);
    } catch (e) {
      this.#c.inc('esp.io.rx.error');
      this.#logger?.log('debug', 'esp.io.rx.error', { error: e instanceof Error ? e.message : String(e) });
      return 0;
    }
    if (n === 0) return 0;
    const m = this.#rxMeta;
    let esp = 0;
    for (let i = 0; i < n; i++) {
      const len = m[RX_META * i] ?? 0;
      const base = i * RX_SLOT;
      if (((m[RX_META * i + 8] ?? 0) & 1) !== 0) {
        this.#c.inc('esp.rx.drop.truncated');
        continue;
      }
      // UDP GRO may have joined datagrams of one flow: segments of `seg` bytes, the last shorter
      const seg = m[RX_META * i + 7] ?? 0;
      const step = seg > 0 && seg < len ? seg : len;
      for (let off = 0; off < len; off += step) {
        const end = Math.min(len, off + step);
        if (this.#dispatch(rx, base + off, base + end, i, sink)) esp++;
      }
    }
    this.#c.inc('esp.io.rx.batches');
    this.#c.inc('udp.rx.esp', esp);
    sink.endBatch();
    return n;
  }

  /** RFC 3948 §2.1-2.3: ESP (SPI never 0) to the sink, keepalives and marked IKE to the transport. */
  #dispatch(rx: Buffer, start: number, end: number, i: number, sink: EspSink): boolean {
    const isEsp = end - start >= 8 && (rx[start] !== 0 || rx[start + 1] !== 0 || rx[start + 2] !== 0 || rx[start + 3] !== 0);
    if (isEsp) {
      sink.fromEsp(rx.subarray(start, end));
      return true;
    }
    // not the hot path: copy, since the receive buffer is reused for the next burst
    this.#handoff?.deliver(this.#source(i), Buffer.from(rx.subarray(start, end)));
    return false;
  }

  /** Source endpoint of datagram i, as node:dgram would spell it. */
  #source(i: number): Endpoint {
    const m = this.#rxMeta;
    const port = m[RX_META * i + 2] ?? 0;
    if (m[RX_META * i + 1] === 4) return { address: formatIp(4, BigInt(m[RX_META * i + 3] ?? 0)), port };
    let v = 0n;
    for (let w = 0; w < 4; w++) v = (v << 32n) | BigInt(m[RX_META * i + 3 + w] ?? 0);
    return { address: formatIp(6, v), port };
  }

  /**
   * Queues one ESP packet (gathered from `chunks`) for `remote`; it leaves on
   * the next flush(), which the dataplane calls at the end of each burst.
   * Returns false when the packet cannot be sent from here (bad address).
   */
  queue(remote: Endpoint, chunks: readonly Uint8Array[], length: number): boolean {
    if (this.#closed) return false;
    const dst = this.#txDst;
    if (dst === undefined || dst.port !== remote.port || dst.address !== remote.address) {
      if (this.#txCount > 0) this.flush();
      const addr = this.#addressBytes(remote.address);
      if (addr === undefined) return false;
      this.#txDst = remote;
      this.#txAddr = addr;
    }
    if (this.#txCount === TX_BATCH || this.#txOff + length > TX_BUFFER) this.flush();
    let off = this.#txOff;
    const start = off;
    for (const c of chunks) {
      this.#tx.set(c, off);
      off += c.length;
    }
    this.#txMeta[2 * this.#txCount] = start;
    this.#txMeta[2 * this.#txCount + 1] = off - start;
    this.#txCount++;
    this.#txOff = off;
    return true;
  }

  /** Sends everything queued (one or a few sendmmsg calls). */
  flush(): void {
    const count = this.#txCount;
    const dst = this.#txDst;
    const addr = this.#txAddr;
    this.#txCount = 0;
    this.#txOff = 0;
    if (count === 0 || dst === undefined || addr === undefined || this.#closed) return;
    const st = this.#txStats;
    st.fill(0);
    let sent = 0;
    try {
      sent = this.#native.sendmmsgTo(this.#fd, this.family, addr, dst.port, this.#tx, this.#txMeta, count, this.#gso, st);
    } catch (e) {
      this.#c.inc('esp.tx.drop.sendError', count);
      this.#logger?.log('warn', 'esp.io.tx.error', { error: e instanceof Error ? e.message : String(e) });
      return;
    }
    this.#c.inc('udp.tx.esp', sent);
    this.#c.inc('esp.io.tx.batches');
    if ((st[1] ?? 0) > 0) this.#c.inc('esp.tx.drop.sendError', st[1] ?? 0);
    if ((st[2] ?? 0) > 0) this.#c.inc('esp.tx.drop.sockbuf', st[2] ?? 0);
    if ((st[0] ?? 0) > 0) {
      this.#c.inc('esp.io.tx.gsoFallback', st[0] ?? 0);
      if (this.#gso && this.#c.get('esp.io.tx.gsoFallback') >= GSO_GIVE_UP) {
        this.#gso = false;
        this.#logger?.log('info', 'esp.io.gso.off', { reason: 'the kernel refused UDP GSO repeatedly (path MTU or XFRM policy on the route)' });
      }
    }
  }

  #addressBytes(address: string): Uint8Array | undefined {
    let b = this.#addrCache.get(address);
    if (b === undefined) {
      const ip = parseIp(address);
      if (ip === undefined || ip.family !== this.family) {
        b = null;
      } else {
        const n = ip.family === 4 ? 4 : 16;
        b = new Uint8Array(n);
        let v = ip.value;
        for (let k = n - 1; k >= 0; k--) {
          b[k] = Number(v & 0xffn);
          v >>= 8n;
        }
      }
      if (this.#addrCache.size > 1024) this.#addrCache.clear();
      this.#addrCache.set(address, b);
    }
    return b ?? undefined;
  }

  /** Only where we read: node:dgram could not split joined datagrams. */
  #setGro(on: 0 | 1): boolean {
    try {
      this.#native.setsockoptInt(this.#fd, SOL_UDP, UDP_GRO, on);
      return true;
    } catch {
      return false; // older kernel: datagrams arrive one by one
    }
  }

  /** Stops reading, hands the socket back to node:dgram and closes the duplicate descriptor. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#poll?.stop();
    this.#poll = undefined;
    if (this.#groOn) this.#setGro(0);
    this.#handoff?.release();
    this.#handoff = undefined;
    try {
      this.#native.closeFd(this.#fd);
    } catch {
      // already closed
    }
  }
}
