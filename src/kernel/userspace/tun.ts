/**
 * The TUN device of the userspace dataplane, through the native addon
 * (open with TUNSETIFF, uv_poll readiness, batched non-blocking reads).
 * Packets the host routes into the device are handed to `onPackets` in
 * batches; decrypted packets are written back with `write()`.
 *
 * The device is not persistent: closing the descriptor removes it, and with
 * it every address and route that pointed at it.
 */
import { requireNative, type NativeAddon, type PollHandle } from '../../native/addon.js';
import type { Logger } from '../../ike/ports.js';
import { KernelError } from '../../util/errors.js';
import type { PacketDevice } from './userspace-dataplane.js';

export interface TunOptions {
  /** requested interface name (IFNAMSIZ - 1 = 15 characters at most) */
  readonly name: string;
  /** packets read per readiness callback before yielding to the event loop */
  readonly batch?: number;
  readonly logger?: Logger;
}

/** batches per readiness callback: bounded so that IKE and timers are never starved */
const MAX_ROUNDS = 4;

export class TunDevice implements PacketDevice {
  readonly name: string;
  readonly fd: number;
  readonly #native: NativeAddon;
  readonly #batch: number;
  #poll: PollHandle | undefined;
  #closed = false;
  readErrors = 0;
  writeErrors = 0;

  private constructor(native: NativeAddon, fd: number, name: string, batch: number) {
    this.#native = native;
    this.fd = fd;
    this.name = name;
    this.#batch = batch;
  }

  /** Opens the device (needs CAP_NET_ADMIN and /dev/net/tun); throws KernelError with the reason. */
  static open(opts: TunOptions): TunDevice {
    const native = requireNative('the userspace dataplane (TUN device)');
    try {
      const { fd, name } = native.openTun(opts.name);
      return new TunDevice(native, fd, name, opts.batch ?? 64);
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      throw new KernelError('KERNEL_TUN', `cannot open TUN device ${opts.name}: ${e instanceof Error ? e.message : String(e)} (needs root/CAP_NET_ADMIN and /dev/net/tun)`, errno);
    }
  }

  /** Starts delivering packets read from the device. */
  start(onPackets: (pkts: Buffer[]) => void): void {
    if (this.#closed || this.#poll !== undefined) return;
    this.#poll = this.#native.pollReadable(this.fd, (status) => {
      if (status < 0 || this.#closed) return;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        let pkts: Buffer[];
        try {
          pkts = this.#native.readPackets(this.fd, this.#batch);
        } catch {
          this.readErrors++;
          return;
        }
        if (pkts.length > 0) onPackets(pkts);
        if (pkts.length < this.#batch) return;
      }
      // more is waiting: uv_poll is level-triggered and calls us again after other events
    });
  }

  write(pkt: Uint8Array): void {
    if (this.#closed) return;
    try {
      this.#native.writePacket(this.fd, pkt);
    } catch (e) {
      // EAGAIN (queue full) or EIO (device down): the packet is lost, as on a real link
      this.writeErrors++;
      throw e;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poll?.stop();
    this.#poll = undefined;
    try {
      this.#native.closeFd(this.fd);
    } catch {
      // already closed
    }
  }
}
