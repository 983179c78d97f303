/**
 * Daemon-side assembly of the userspace dataplane: the dataplane itself, the
 * TUN device and the host routing, started once the UDP sockets are bound
 * (their ports must bypass the tunnel) and stopped on exit, undoing every
 * host change (docs/userspace.md).
 */
import type { Rng } from '../../crypto/rng.js';
import type { Datagram, Endpoint, Logger } from '../../ike/ports.js';
import { loadNative } from '../../native/addon.js';
import { EspSockets, type BatchableTransport } from './esp-sockets.js';
import { HostRoutes, runIp, type IpRunner } from './host-routes.js';
import { TunDevice } from './tun.js';
import { UserspaceDataplane } from './userspace-dataplane.js';

export interface UserspaceSettings {
  readonly tunName: string;
  readonly tunMtu: number;
  /** CIDR addresses to put on the TUN device (optional) */
  readonly tunAddresses: readonly string[];
  /** routing table for tunnel routes (policy routing, like strongSwan's 220) */
  readonly routeTable: number;
}

/**
 * Defaults. MTU 1400: a 1500-byte outer path minus IPv4 (20) + UDP (8) + ESP
 * header (8) + IV (16) + padding and trailer (up to 17) + ICV (32) = 1399 is
 * the worst case over all supported suites.
 */
const TUN_TXQUEUELEN = 4096;

export const USERSPACE_DEFAULTS: UserspaceSettings = { tunName: 'keyway0', tunMtu: 1400, tunAddresses: [], routeTable: 220 };

/**
 * What the daemon needs from its UDP transport: a send path for ESP, and
 * (optional) the descriptors of its sockets and the hand-over of their
 * reading, for batched I/O (esp-socket.ts) and bigger socket buffers.
 */
export interface EspTransport extends BatchableTransport {
  sendEspChunks(local: Endpoint, remote: Endpoint, chunks: readonly Uint8Array[]): void;
}

/**
 * Fast paths of the userspace dataplane, all on by default when the native
 * addon has them: `batched` socket I/O (recvmmsg/sendmmsg instead of
 * node:dgram), UDP `gso` for runs of equal-size packets, `gro` on receive
 * (off by default), `nativeAead` (reusable OpenSSL contexts for AES-GCM and
 * ChaCha20-Poly1305 instead of a Cipheriv per packet). Benchmark and debug
 * knobs, read once at start: KEYWAY_ESP_IO=dgram, KEYWAY_ESP_GSO=0,
 * KEYWAY_ESP_GRO=1, KEYWAY_ESP_AEAD=node (docs/userspace.md).
 */
export interface EspIoSettings {
  readonly batched: boolean;
  readonly gso: boolean;
  readonly gro: boolean;
  readonly nativeAead: boolean;
}

export function espIoFromEnv(env: NodeJS.ProcessEnv = process.env): EspIoSettings {
  return {
    batched: env['KEYWAY_ESP_IO'] !== 'dgram',
    gso: env['KEYWAY_ESP_GSO'] !== '0',
    gro: env['KEYWAY_ESP_GRO'] === '1',
    nativeAead: env['KEYWAY_ESP_AEAD'] !== 'node',
  };
}

/** SOL_SOCKET options (Linux asm-generic/socket.h); *FORCE ignores net.core.[rw]mem_max (CAP_NET_ADMIN) */
const SOL_SOCKET = 1;
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const NATT_SOCKET_BUFFER = 8 * 1024 * 1024;

/**
 * ESP arrives in bursts while the event loop is busy; the default 208 KiB
 * receive buffer holds ~140 full-size packets. Best effort: without the addon
 * or privileges the defaults stay.
 */
function enlargeSocketBuffers(t: EspTransport, logger: Logger | undefined): void {
  const native = loadNative();
  if (native === undefined || t.socketFds === undefined) return;
  for (const s of t.socketFds()) {
    if (s.role !== 'natt' || s.fd < 0) continue;
    try {
      native.setsockoptInt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, NATT_SOCKET_BUFFER);
      native.setsockoptInt(s.fd, SOL_SOCKET, SO_SNDBUFFORCE, NATT_SOCKET_BUFFER);
    } catch (e) {
      logger?.log('debug', 'userspace.sockbuf.failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}

export interface UserspaceRuntime {
  readonly dataplane: UserspaceDataplane;
  /** give this to UdpTransport as `onEsp` */
  onEsp(d: Datagram): void;
  /** opens the TUN, configures the host; `bypassPorts` = the daemon's bound UDP ports */
  start(transport: EspTransport, bypassPorts: readonly number[]): Promise<void>;
  /** removes routes and rules and closes the TUN (idempotent) */
  stop(): Promise<void>;
}

export interface UserspaceRuntimeOptions {
  readonly settings: UserspaceSettings;
  readonly rng: Rng;
  readonly now: () => number;
  readonly logger?: Logger;
  readonly run?: IpRunner;
  /** default: espIoFromEnv() */
  readonly io?: EspIoSettings;
}

export function createUserspaceRuntime(o: UserspaceRuntimeOptions): UserspaceRuntime {
  let transport: EspTransport | undefined;
  let sockets: EspSockets | undefined;
  const io = o.io ?? espIoFromEnv();
  const native = loadNative();
  const aead = io.nativeAead && native?.aeadAvailable() === true ? native : undefined;
  const dataplane = new UserspaceDataplane({
    rng: o.rng,
    now: o.now,
    ...(o.logger ? { logger: o.logger } : {}),
    ...(aead ? { aead } : {}),
    send: (local, remote, chunks, length) => {
      if (sockets?.queue(local, remote, chunks, length) === true) return;
      // node:dgram sends later: the chunks are only valid during this call
      transport?.sendEspChunks(local, remote, chunks.map((c) => Buffer.from(c)));
    },
    flushSend: () => sockets?.flush(),
  });
  const run = o.run ?? runIp;
  let tun: TunDevice | undefined;
  let routes: HostRoutes | undefined;
  const stop = async (): Promise<void> => {
    sockets?.close();
    sockets = undefined;
    dataplane.attach(undefined, undefined);
    const r = routes;
    routes = undefined;
    await r?.flush();
    tun?.close();
    tun = undefined;
  };
  return {
    dataplane,
    onEsp: (d) => dataplane.fromNetwork(d),
    async start(t, bypassPorts) {
      transport = t;
      enlargeSocketBuffers(t, o.logger);
      const s = o.settings;
      tun = TunDevice.open({ name: s.tunName, ...(o.logger ? { logger: o.logger } : {}) });
      try {
        // a longer queue absorbs bursts while the event loop is busy encrypting (default 500)
        await run(['link', 'set', 'dev', tun.name, 'mtu', String(s.tunMtu), 'txqueuelen', String(TUN_TXQUEUELEN), 'up']);
        for (const a of s.tunAddresses) await run(['addr', 'add', a, 'dev', tun.name]);
        routes = new HostRoutes({
          device: tun.name,
          table: s.routeTable,
          bypassPorts,
          tunAddresses: s.tunAddresses,
          run,
          ...(o.logger ? { logger: o.logger } : {}),
        });
        await routes.setup();
      } catch (e) {
        await stop();
        throw e;
      }
      const dev = tun;
      dataplane.attach(dev, routes);
      if (io.batched && native !== undefined) {
        sockets = EspSockets.open(t, dataplane, { native, counters: dataplane.counterSet, gso: io.gso, gro: io.gro, ...(o.logger ? { logger: o.logger } : {}) });
      }
      dev.start((pkts) => dataplane.fromDevice(pkts));
      o.logger?.log('info', 'userspace.started', {
        tun: dev.name,
        mtu: s.tunMtu,
        table: s.routeTable,
        addresses: s.tunAddresses,
        espIo: sockets !== undefined && sockets.size > 0 ? { batched: sockets.size, gso: io.gso, gro: io.gro } : 'dgram',
        aead: aead !== undefined ? 'native' : 'node:crypto',
      });
    },
    stop,
  };
}
