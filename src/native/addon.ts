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
