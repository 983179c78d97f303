/**
 * The TUN device of the userspace dataplane, through the native addon
 * (open with TUNSETIFF, uv_poll readiness). Packets the host routes into the
 * device are read a burst per native call into one reused buffer and handed
 * to `onPackets` together; decrypted packets are queued with `write()` and
 * written a burst per native call by `flush()` (one write() system call per
 * packet remains: TUN takes one packet per write).
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
  /** packets read per native call before handing them over */
  readonly batch?: number;
  readonly logger?: Logger;
}

/** batches per readiness callback: bounded so that IKE and timers are never starved */
const MAX_ROUNDS = 4;
/**
 * Reads are packed into one buffer; a read needs this much room so that no
 * packet is truncated (a TUN device without offloads delivers at most its
 * MTU, which is below 64 KiB).
 */
const READ_RESERVE = 65536;
const READ_BUFFER = 256 * 1024 + READ_RESERVE;
/** decrypted packets waiting for flush(); written in one native call */
const WRITE_BATCH = 64;

export class TunDevice implements PacketDevice {
  readonly name: string;
  readonly fd: number;
  readonly #native: NativeAddon;
  readonly #batch: number;
  readonly #rx = Buffer.allocUnsafeSlow(READ_BUFFER);
  readonly #rxMeta: Uint32Array;
  readonly #pending: Uint8Array[] = [];
  #poll: PollHandle | undefined;
  #closed = false;
  readErrors = 0;
  writeErrors = 0;

  private constructor(native: NativeAddon, fd: number, name: string, batch: number) {
    this.#native = native;
    this.fd = fd;
    this.name = name;
    this.#batch = batch;
    this.#rxMeta = new Uint32Array(2 * batch);
  }

  /** Opens the device (needs CAP_NET_ADMIN and /dev/net/tun); throws KernelError with the reason. */
  static open(opts: TunOptions): TunDevice {
    const native = requireNative('the userspace dataplane (TUN device)');
    try {
      const { fd, name } = native.openTun(opts.name);
      return new TunDevice(native, fd, name, Math.max(1, Math.min(opts.batch ?? 64, 256)));
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      throw new KernelError('KERNEL_TUN', `cannot open TUN device ${opts.name}: ${e instanceof Error ? e.message : String(e)} (needs root/CAP_NET_ADMIN and /dev/net/tun)`, errno);
    }
  }

  /**
   * Starts delivering packets read from the device, a burst at a time. The
   * packets are views into a buffer that the next burst overwrites: valid
   * only during the callback.
   */
  start(onPackets: (pkts: Uint8Array[]) => void): void {
    if (this.#closed || this.#poll !== undefined) return;
    this.#poll = this.#native.pollReadable(this.fd, (status) => {
      if (status < 0 || this.#closed) return;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        let n: number;
        try {
          n = this.#native.readPacketsInto(this.fd, this.#rx, this.#rxMeta, this.#batch, READ_RESERVE);
        } catch {
          this.readErrors++;
          return;
        }
        if (n > 0) {
          const m = this.#rxMeta;
          const pkts: Uint8Array[] = new Array<Uint8Array>(n);
          for (let i = 0; i < n; i++) {
            const off = m[2 * i] ?? 0;
            pkts[i] = this.#rx.subarray(off, off + (m[2 * i + 1] ?? 0));
          }
          onPackets(pkts);
        }
        if (n < this.#batch) return;
      }
      // more is waiting: uv_poll is level-triggered and calls us again after other events
    });
  }

  /** Queues a packet for the device; it is written by the next flush() (or when the queue is full). */
  write(pkt: Uint8Array): void {
    if (this.#closed) return;
    this.#pending.push(pkt);
    if (this.#pending.length >= WRITE_BATCH) this.flush();
  }

  /**
   * Writes the queued packets in one native call; returns how many failed
   * (EAGAIN or EIO: lost, as on a real link).
   */
  flush(): number {
    const n = this.#pending.length;
    if (n === 0 || this.#closed) {
      this.#pending.length = 0;
      return 0;
    }
    let ok = 0;
    try {
      ok = this.#native.writePackets(this.fd, this.#pending, n);
    } catch {
      ok = 0;
    }
    this.#pending.length = 0;
    this.writeErrors += n - ok;
    return n - ok;
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
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
