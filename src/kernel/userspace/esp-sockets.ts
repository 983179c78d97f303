/**
 * The batched ESP sockets of the userspace dataplane: one EspSocket per
 * NAT-T socket of the transport, chosen for each outbound packet like the
 * transport chooses its socket (exact local address and port, else the
 * wildcard socket of that port and the peer's family).
 */
import type { Endpoint, Logger } from '../../ike/ports.js';
import type { NativeAddon } from '../../native/addon.js';
import type { DataplaneCounters } from './counters.js';
import { EspSocket, type EspSink, type ReceiveHandoff } from './esp-socket.js';

/** A bound socket as the transport describes it (UdpTransport.socketFds). */
export interface TransportSocketFd {
  readonly role: string;
  readonly family: 4 | 6;
  readonly fd: number;
  readonly address?: string;
  readonly port?: number;
  readonly wildcard?: boolean;
}

/** What EspSockets needs from the transport. */
export interface BatchableTransport {
  socketFds?(): readonly TransportSocketFd[];
  takeOverReceive?(fd: number, onClose: () => void): ReceiveHandoff | undefined;
}

interface Slot {
  readonly address: string;
  readonly port: number;
  readonly wildcard: boolean;
  readonly sock: EspSocket;
}

export interface EspSocketsOptions {
  readonly native: NativeAddon;
  readonly counters: DataplaneCounters;
  readonly gso: boolean;
  readonly gro: boolean;
  readonly logger?: Logger;
}

export class EspSockets {
  readonly #slots: Slot[] = [];
  readonly #pick = new Map<string, EspSocket | null>();
  readonly #dirty = new Set<EspSocket>();

  /**
   * Takes over every NAT-T socket the transport can hand over; the ones it
   * cannot stay with node:dgram (sendEspChunks / onEsp).
   */
  static open(t: BatchableTransport, sink: EspSink, o: EspSocketsOptions): EspSockets {
    const set = new EspSockets();
    for (const s of t.socketFds?.() ?? []) {
      if (s.role !== 'natt' || s.fd < 0 || s.address === undefined || s.port === undefined || t.takeOverReceive === undefined) continue;
      let sock: EspSocket | undefined;
      try {
        sock = new EspSocket({ native: o.native, fd: s.fd, family: s.family, counters: o.counters, gso: o.gso, gro: o.gro, ...(o.logger ? { logger: o.logger } : {}) });
        const esp = sock;
        const handoff = t.takeOverReceive(s.fd, () => esp.close());
        if (handoff === undefined) {
          sock.close();
          continue;
        }
        sock.startReceiving(handoff, sink);
        set.#slots.push({ address: s.address, port: s.port, wildcard: s.wildcard ?? false, sock });
      } catch (e) {
        sock?.close();
        o.logger?.log('warn', 'esp.io.unavailable', { socket: `${s.address}:${s.port}`, error: e instanceof Error ? e.message : String(e) });
      }
    }
    return set;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** Queues an ESP packet on the socket for `local`; false when none is batched (use the transport). */
  queue(local: Endpoint, remote: Endpoint, chunks: readonly Uint8Array[], length: number): boolean {
    const family = remote.address.includes(':') ? 6 : 4;
    const key = `${local.address}|${local.port}|${family}`;
    let sock = this.#pick.get(key);
    if (sock === undefined) {
      const slot =
        this.#slots.find((x) => x.port === local.port && x.address === local.address && x.sock.family === family) ??
        this.#slots.find((x) => x.port === local.port && x.wildcard && x.sock.family === family);
      sock = slot?.sock ?? null;
      this.#pick.set(key, sock);
    }
    if (sock === null || !sock.queue(remote, chunks, length)) return false;
    this.#dirty.add(sock);
    return true;
  }

  /** Sends what was queued since the last flush. */
  flush(): void {
    if (this.#dirty.size === 0) return;
    for (const s of this.#dirty) s.flush();
    this.#dirty.clear();
  }

  close(): void {
    for (const s of this.#slots) s.sock.close();
    this.#slots.length = 0;
    this.#pick.clear();
    this.#dirty.clear();
  }
}
