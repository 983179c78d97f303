/**
 * UDP transport (ARCHITECTURE B2 "transport/"): one node:dgram socket per
 * listen address on each of the IKE port and the NAT-T port. Implements the
 * engine's Transport port; demultiplexing follows RFC 3948 §2.1-2.3 and
 * RFC 7296 §2.23 (demux.ts).
 *
 * Local address caveat: node:dgram does not expose IP_PKTINFO, so a socket
 * bound to a wildcard (0.0.0.0 / ::) cannot tell which local address a
 * datagram was sent to. Datagrams from such sockets are delivered with
 * `local` = the wildcard address and its port, and replies go out through the
 * same wildcard socket (the kernel then picks the source address by route).
 * Configure explicit listen addresses where the exact local address matters
 * (multi-homed hosts, NAT detection hashes, tests: 127.0.0.1 / 127.0.0.2).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Datagram, Endpoint, Logger, Transport } from '../ike/ports.js';
import { KeywayError } from '../util/errors.js';
import { addNonEspMarker, demuxIkePort, demuxNatTPort } from './demux.js';

export type SocketRole = 'ike' | 'natt';

export interface UdpTransportOptions {
  /** local addresses; default ["0.0.0.0", "::"] */
  readonly listen?: readonly string[];
  /** IKE port (500); 0 = ephemeral (tests) */
  readonly port: number;
  /** NAT-T port (4500); 0 = ephemeral (tests) */
  readonly natPort: number;
  /** receives IKE messages, non-ESP marker already removed */
  readonly onIke: (d: Datagram) => void;
  /** receives UDP-encapsulated ESP (userspace dataplane); otherwise counted and dropped */
  readonly onEsp?: (d: Datagram) => void;
  readonly logger?: Logger;
}

export interface BoundSocket {
  readonly role: SocketRole;
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
  readonly wildcard: boolean;
}

interface Entry extends BoundSocket {
  readonly sock: Socket;
}

/** A bound socket's descriptor (for socket options and batched I/O through the native addon). */
export interface SocketFd {
  readonly role: SocketRole;
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
  readonly wildcard: boolean;
  /** -1 when Node hides it */
  readonly fd: number;
}

/** See UdpTransport.takeOverReceive. */
export interface ReceiveTakeover {
  /** a datagram the batched reader received: demuxed and counted as if read here */
  deliver(remote: Endpoint, bytes: Buffer): void;
  /** node:dgram reads the socket again */
  release(): void;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** node:dgram's libuv handle (private API: fd for socket options, recvStop/recvStart for a batched reader). */
interface UdpHandle {
  readonly fd?: number;
  recvStop?(): number;
  recvStart?(): number;
}

/**
 * The handle without the deprecated `_handle` getter (DEP0112 prints a
 * warning into the daemon's output): node:dgram keeps it in its state
 * object under a symbol described 'state symbol' (lib/internal/dgram.js,
 * Node 12+). Falls back to `_handle` if a future Node moves it.
 */
function handleOf(e: Entry): UdpHandle | undefined {
  const sock = e.sock as unknown as Record<symbol, unknown>;
  const sym = Object.getOwnPropertySymbols(sock).find((x) => x.description === 'state symbol');
  const state = sym === undefined ? undefined : sock[sym];
  if (typeof state === 'object' && state !== null && 'handle' in state) {
    const h = (state as { handle?: unknown }).handle;
    if (typeof h === 'object' && h !== null) return h as UdpHandle;
  }
  return (e.sock as unknown as { _handle?: UdpHandle })._handle;
}

export class UdpTransport implements Transport {
  readonly #entries: Entry[];
  readonly #opts: UdpTransportOptions;
  readonly #counters = new Map<string, number>();
  readonly #takeovers = new Set<() => void>();
  #closing = false;

  private constructor(entries: Entry[], opts: UdpTransportOptions) {
    this.#entries = entries;
    this.#opts = opts;
  }

  /** Binds all sockets; rejects with KeywayError('TRANSPORT_BIND') and releases any already bound. */
  static async open(opts: UdpTransportOptions): Promise<UdpTransport> {
    if (opts.port !== 0 && opts.port === opts.natPort) {
      throw new KeywayError('TRANSPORT_BIND', `IKE port and NAT-T port must differ (both ${opts.port})`);
    }
    const entries: Entry[] = [];
    const t = new UdpTransport(entries, opts);
    try {
      for (const address of opts.listen ?? ['0.0.0.0', '::']) {
        const family = isIP(address);
        if (family !== 4 && family !== 6) {
          throw new KeywayError('TRANSPORT_BIND', `listen address "${address}" is not an IP address`);
        }
        for (const role of ['ike', 'natt'] as const) {
          entries.push(await t.#bind(address, family, role, role === 'ike' ? opts.port : opts.natPort));
        }
      }
    } catch (e) {
      await t.close();
      throw e instanceof KeywayError ? e : new KeywayError('TRANSPORT_BIND', String(e));
    }
    return t;
  }

  /** What was bound (actual ports, useful when 0 was requested). */
  get sockets(): readonly BoundSocket[] {
    return this.#entries.map(({ role, family, address, port, wildcard }) => ({ role, family, address, port, wildcard }));
  }

  /**
   * The OS descriptors of the bound sockets (the kernel dataplane sets
   * XFRM policy bypass and UDP_ENCAP on them); -1 when Node hides it.
   */
  socketFds(): readonly SocketFd[] {
    return this.#entries.map((e) => {
      const h = handleOf(e);
      return { role: e.role, family: e.family, address: e.address, port: e.port, wildcard: e.wildcard, fd: typeof h?.fd === 'number' ? h.fd : -1 };
    });
  }

  /**
   * Hands the reading of the socket with descriptor `fd` to a batched reader
   * (the userspace dataplane reads ESP with recvmmsg on a duplicate of it):
   * node:dgram stops reading the socket, and whatever the reader gets that is
   * not ESP (IKE with the non-ESP marker, keepalives) comes back through
   * `deliver`, with the same demux and counters as a datagram read here.
   * `onClose` runs when the transport closes (the reader must close its
   * duplicate so the port is released). Undefined when Node hides the handle.
   */
  takeOverReceive(fd: number, onClose: () => void): ReceiveTakeover | undefined {
    const e = this.#entries.find((x) => handleOf(x)?.fd === fd);
    const h = e === undefined ? undefined : handleOf(e);
    if (e === undefined || typeof h?.recvStop !== 'function' || typeof h.recvStart !== 'function') return undefined;
    h.recvStop();
    let active = true;
    this.#takeovers.add(onClose);
    return {
      deliver: (remote, bytes) => {
        if (active) this.#onMessage(e, bytes, remote);
      },
      release: () => {
        if (!active) return;
        active = false;
        this.#takeovers.delete(onClose);
        // the transport may be closing: then there is nothing to resume
        if (!this.#closing && this.#entries.includes(e)) h.recvStart?.();
      },
    };
  }

  /** Snapshot of the drop/event counters (names like `udp.rx.drop.short`). */
  counters(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#counters);
  }

  /** Sends IKE; adds the non-ESP marker when leaving from a NAT-T socket (RFC 3948 §2.2). */
  send(d: Datagram): void {
    const e = this.#pick(d.local, d.remote);
    if (e === undefined) return;
    this.#transmit(e, d.remote, e.role === 'natt' ? addNonEspMarker(d.bytes) : d.bytes, 'ike');
  }

  /** Sends UDP-encapsulated ESP from a NAT-T socket (no marker, RFC 3948 §2.1). */
  sendEsp(d: Datagram): void {
    this.#sendEsp(d.local, d.remote, d.bytes);
  }

  /**
   * Sends one UDP-encapsulated ESP packet gathered from `chunks` (the
   * userspace dataplane's header, ciphertext pieces and ICV: no copy).
   */
  sendEspChunks(local: Endpoint, remote: Endpoint, chunks: readonly Uint8Array[]): void {
    this.#sendEsp(local, remote, chunks);
  }

  #sendEsp(local: Endpoint, remote: Endpoint, bytes: Uint8Array | readonly Uint8Array[]): void {
    const e = this.#pick(local, remote);
    if (e === undefined) return;
    if (e.role !== 'natt') {
      this.#count('udp.tx.drop.espNotNatT');
      return;
    }
    this.#transmit(e, remote, bytes, 'esp');
  }

  /** Sends a NAT-keepalive (one 0xFF octet, RFC 3948 §2.3) from a NAT-T socket. */
  sendKeepalive(local: Endpoint, remote: Endpoint): void {
    const e = this.#pick(local, remote);
    if (e === undefined || e.role !== 'natt') {
      this.#count('udp.tx.drop.keepaliveNotNatT');
      return;
    }
    this.#transmit(e, remote, Uint8Array.of(0xff), 'keepalive');
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const f of [...this.#takeovers]) {
      try {
        f();
      } catch {
        // a reader's close must not keep the sockets open
      }
    }
    this.#takeovers.clear();
    await Promise.all(
      this.#entries.map(
        (e) =>
          new Promise<void>((resolve) => {
            try {
              e.sock.close(() => resolve());
            } catch {
              resolve(); // already closed
            }
          }),
      ),
    );
    this.#entries.length = 0;
  }

  #count(name: string): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + 1);
  }

  #log(level: 'warn' | 'debug', event: string, fields: Record<string, unknown>): void {
    this.#opts.logger?.log(level, event, fields);
  }

  /** Exact local address+port first, else the wildcard socket of that port and the remote's family. */
  #pick(local: Endpoint, remote: Endpoint): Entry | undefined {
    const family = isIP(remote.address);
    if (family !== 4 && family !== 6) {
      this.#count('udp.tx.drop.badAddress');
      this.#log('warn', 'udp.tx.bad-address', { remote: remote.address });
      return undefined;
    }
    const exact = this.#entries.find((e) => e.port === local.port && e.address === local.address && e.family === family);
    const e = exact ?? this.#entries.find((x) => x.port === local.port && x.wildcard && x.family === family);
    if (e === undefined) {
      this.#count('udp.tx.drop.noSocket');
      this.#log('warn', 'udp.tx.no-socket', { local: `${local.address}:${local.port}`, remote: remote.address });
    }
    return e;
  }

  #transmit(e: Entry, remote: Endpoint, bytes: Uint8Array | readonly Uint8Array[], what: string): void {
    try {
      e.sock.send(bytes, remote.port, remote.address, (err) => {
        if (err) {
          this.#count('udp.tx.error');
          this.#log('warn', 'udp.tx.error', { error: err.message, remote: `${remote.address}:${remote.port}` });
        }
      });
      this.#count(`udp.tx.${what}`);
    } catch (err) {
      // e.g. socket closed during shutdown, or a bad port number: never throw into the engine.
      this.#count('udp.tx.error');
      this.#log('warn', 'udp.tx.error', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  #bind(address: string, family: 4 | 6, role: SocketRole, port: number): Promise<Entry> {
    return new Promise((resolve, reject) => {
      // ipv6Only so that "::" and "0.0.0.0" can both be bound on the same port.
      const sock = family === 4 ? createSocket({ type: 'udp4' }) : createSocket({ type: 'udp6', ipv6Only: true });
      const onError = (err: Error): void => {
        sock.close();
        reject(new KeywayError('TRANSPORT_BIND', `cannot bind ${role} socket on [${address}]:${port}: ${err.message}`));
      };
      sock.once('error', onError);
      sock.bind({ address, port, exclusive: true }, () => {
        sock.off('error', onError);
        const bound = sock.address();
        const entry: Entry = { sock, role, family, address, port: bound.port, wildcard: WILDCARDS.has(address) };
        sock.on('error', (err) => {
          this.#count('udp.socket.error');
          this.#log('warn', 'udp.socket.error', { error: err.message, local: `${address}:${bound.port}` });
        });
        sock.on('message', (msg, rinfo) => this.#onMessage(entry, msg, { address: rinfo.address, port: rinfo.port }));
        resolve(entry);
      });
    });
  }

  #onMessage(e: Entry, msg: Buffer, remote: Endpoint): void {
    const r = e.role === 'ike' ? demuxIkePort(msg) : demuxNatTPort(msg);
    const local: Endpoint = { address: e.address, port: e.port };
    switch (r.kind) {
      case 'short':
        this.#count('udp.rx.drop.short');
        return;
      case 'keepalive':
        this.#count('udp.rx.keepalive');
        return;
      case 'esp':
        if (this.#opts.onEsp === undefined) {
          this.#count('udp.rx.drop.esp');
          return;
        }
        this.#count('udp.rx.esp');
        this.#deliver(this.#opts.onEsp, { local, remote, bytes: r.bytes });
        return;
      case 'ike':
        this.#count('udp.rx.ike');
        this.#deliver(this.#opts.onIke, { local, remote, bytes: r.bytes });
        return;
    }
  }

  #deliver(fn: (d: Datagram) => void, d: Datagram): void {
    try {
      fn(d);
    } catch (err) {
      // The engine promises not to throw; if it does, a datagram must not kill the daemon.
      this.#count('udp.rx.handlerError');
      this.#log('warn', 'udp.rx.handler-error', { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
