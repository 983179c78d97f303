/**
 * Typed loader for the optional native addon (native/src/keyway_native.cc).
 * Edge layer only: the engine never imports this. When the addon is missing,
 * `loadNative()` returns undefined and `nativeUnavailableReason()` says why,
 * so a feature that needs it can fail with a clear message.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PollHandle {
  stop(): void;
}

export interface NativeAddon {
  /** TUN device (IFF_TUN | IFF_NO_PI), non-blocking */
  openTun(name: string): { fd: number; name: string };
  /** reads whole packets until EAGAIN or `max` */
  readPackets(fd: number, max: number): Buffer[];
  writePacket(fd: number, data: Uint8Array): number;
  closeFd(fd: number): void;
  /** calls `cb` whenever fd is readable (uv_poll) */
  pollReadable(fd: number, cb: (status: number) => void): PollHandle;
  /** AF_NETLINK raw socket bound to `groups`, non-blocking, with NETLINK_EXT_ACK */
  netlinkOpen(protocol: number, groups: number): number;
  netlinkSend(fd: number, data: Uint8Array): number;
  netlinkRecv(fd: number, max: number): Buffer[];
  setsockoptInt(fd: number, level: number, name: number, value: number): void;
  /** IP_XFRM_POLICY / IPV6_XFRM_POLICY allow-all in both directions on an IKE socket */
  setXfrmPolicyBypass(fd: number, family: 4 | 6): void;
  /** enter the network namespace bound at `path` */
  setns(path: string): void;
  /**
   * Batched non-blocking reads packed into `buf` (8-byte aligned starts) until
   * EAGAIN, `max` packets or fewer than `reserve` bytes left; meta[2i] =
   * offset, meta[2i+1] = length. Returns the packet count.
   */
  readPacketsInto(fd: number, buf: Uint8Array, meta: Uint32Array, max: number, reserve: number): number;
  /** one write() per packet for pkts[0..count); returns how many were written */
  writePackets(fd: number, pkts: readonly Uint8Array[], count: number): number;
  /**
   * sendmmsg of `count` datagrams (meta[2i] = offset in buf, meta[2i+1] =
   * length) to one destination (address as 4 or 16 bytes); with `gso`, runs of
   * contiguous equal-size datagrams go as UDP GSO (UDP_SEGMENT), resent one by
   * one if the kernel refuses. Returns the number sent; never throws for send
   * errors: stats[0] += GSO fallbacks, stats[1] += lost to errors, stats[2] +=
   * dropped on a full socket buffer.
   */
  sendmmsgTo(fd: number, family: 4 | 6, addr: Uint8Array, port: number, buf: Uint8Array, meta: Uint32Array, count: number, gso: boolean, stats: Uint32Array): number;
  /**
   * recvmmsg of up to `max` datagrams, datagram i into buf[i*slot ..];
   * meta[10i .. 10i+9] = length, family, source port, source address (4
   * big-endian u32 words), GRO segment size, flags (1 = truncated), 0.
   * Returns the count (0 = nothing).
   */
  recvmmsgInto(fd: number, buf: Uint8Array, slot: number, meta: Uint32Array, max: number): number;
  /** F_DUPFD_CLOEXEC */
  dupFd(fd: number): number;
  /** whether the OpenSSL EVP functions were found in this process (aead* need them) */
  aeadAvailable(): boolean;
  /**
   * A reusable OpenSSL AEAD context ('aes-{128,192,256}-gcm' or
   * 'chacha20-poly1305', 12-byte nonces) for one key and direction; freed by
   * aeadFree() or when the handle is garbage collected.
   */
  aeadInit(cipher: string, key: Uint8Array, encrypt: boolean): AeadHandle;
  aeadFree(h: AeadHandle): void;
  /** out[off..] = encrypt(pt1 | pt2) | first `tagLen` bytes of the tag; returns the bytes written */
  aeadSeal(h: AeadHandle, nonce: Uint8Array, aad: Uint8Array, pt1: Uint8Array, pt2: Uint8Array, out: Uint8Array, off: number, tagLen: number): number;
  /** decrypts ct into out[off..] (may be ct itself) and verifies the tag: plaintext length, or -1 */
  aeadOpen(h: AeadHandle, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array, tag: Uint8Array, out: Uint8Array, off: number): number;
}

/** An opaque native AEAD context. */
export interface AeadHandle {
  readonly __aead: unique symbol;
}

/** Error thrown by the addon: errno and syscall are set. */
export interface NativeError extends Error {
  readonly errno?: number;
  readonly syscall?: string;
}

let cached: NativeAddon | undefined;
let reason = '';
let tried = false;

function addonPath(): string {
  // dist/src/native/addon.js -> <root>/native/build/Release/keyway_native.node
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return join(root, 'native', 'build', 'Release', 'keyway_native.node');
}

export function loadNative(): NativeAddon | undefined {
  if (tried) return cached;
  tried = true;
  const path = addonPath();
  try {
    const require = createRequire(import.meta.url);
    cached = require(path) as NativeAddon;
  } catch (e) {
    reason = `native addon not available (${path}): ${e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e)}; rebuild it with \`npm run build:native\` (needs python3, make, g++)`;
    cached = undefined;
  }
  return cached;
}

export function nativeUnavailableReason(): string {
  loadNative();
  return reason;
}

/** The addon, or an Error explaining what is missing and how to fix it. */
export function requireNative(feature: string): NativeAddon {
  const n = loadNative();
  if (n === undefined) throw new Error(`${feature} needs the native addon: ${reason}`);
  return n;
}
