/**
 * The daemon's KeyExchanger (src/crypto/ke/exchanger.ts): Diffie-Hellman on
 * a pool of worker threads, so a 2-core gateway computes on both cores and a
 * burst of IKE_SA_INITs does not stall the event loop that carries
 * retransmissions and DPD of other SAs (NODE-CRYPTO.md trap 4).
 *
 * Dispatch: each job goes to the worker with the fewest jobs in flight.
 * Groups for which a round trip to a worker costs more than it saves (see
 * docs/architecture.md "Performance": X25519 at about 90 µs) run in this
 * thread instead, with the same native key generation the workers use.
 *
 * A worker that dies fails its jobs (CryptoError IKE_ERR_KE_WORKER: the
 * exchange fails like any other, the initiator retries) and is replaced;
 * pending initiator exchanges that lived in it fail at derive time.
 *
 * The same workers sign (`sign`, used by crypto-signer.ts for RSA keys).
 */
import { Worker } from 'node:worker_threads';
import { InThreadKeyExchanger, type KeResponse, type KeyExchanger, type PendingKeyExchange } from '../crypto/ke/exchanger.js';
import { createKeyExchangeNative, type KeyExchangeOptions } from '../crypto/ke/index.js';
import type { Rng } from '../crypto/rng.js';
import { KeId } from '../iana/ikev2.js';
import type { SignatureScheme } from '../ike/ports.js';
import { CryptoError } from '../util/errors.js';
import type { WorkerReply, WorkerRequest } from './crypto-protocol.js';

export interface CryptoPoolOptions {
  /** number of worker threads (>= 1) */
  readonly size: number;
  /** groups computed in this thread rather than in a worker */
  readonly inThreadGroups?: ReadonlySet<number>;
  /** for the in-thread groups' non-X25519 private values */
  readonly rng: Rng;
  /** a worker crashed (for the daemon's log) */
  readonly onWorkerError?: (e: Error) => void;
}

interface Job {
  readonly resolve: (r: WorkerReply) => void;
  readonly reject: (e: Error) => void;
}

class Slot {
  readonly jobs = new Map<number, Job>();
  /** bumped when the worker is replaced: its pending initiator keys are gone */
  generation = 0;
  worker: Worker;

  constructor(spawn: (slot: Slot) => Worker) {
    this.worker = spawn(this);
  }
}

const WORKER_URL = new URL('./crypto-worker.js', import.meta.url);

/**
 * Groups the daemon computes in the event-loop thread even with workers:
 * a worker round trip costs about as much main-thread CPU as X25519 itself
 * (measured: docs/architecture.md "Performance").
 */
export const IN_THREAD_GROUPS: ReadonlySet<number> = new Set([KeId.CURVE25519]);

export class CryptoPool implements KeyExchanger {
  private readonly slots: Slot[] = [];
  private readonly inThread: KeyExchanger;
  private nextId = 1;
  private closed = false;
  /** signing keys by their DER object (a reloaded config brings new objects, hence new ids) */
  private readonly keyIds = new WeakMap<Uint8Array, number>();
  private nextKeyId = 1;
  /** jobs sent to workers / computed in this thread / failed because a worker died */
  readonly stats = { worker: 0, inThread: 0, workerDied: 0 };
  /** signatures made in workers (also counted in stats.worker) */
  readonly signStats = { worker: 0 };

  constructor(private readonly opts: CryptoPoolOptions) {
    this.inThread = new InThreadKeyExchanger((group, o) => createKeyExchangeNative(group, opts.rng, o));
    for (let i = 0; i < Math.max(1, opts.size); i++) {
      this.slots.push(new Slot((slot) => this.spawn(slot)));
    }
  }

  private spawn(slot: Slot): Worker {
    const w = new Worker(WORKER_URL);
    // A pool must never keep the daemon alive on its own.
    w.unref();
    w.on('message', (r: WorkerReply) => {
      const job = slot.jobs.get(r.id);
      if (job === undefined) return;
      slot.jobs.delete(r.id);
      if (r.error !== undefined) job.reject(new CryptoError(r.error.code, r.error.message));
      else job.resolve(r);
    });
    const died = (e: Error): void => {
      if (slot.worker !== w) return;
      this.stats.workerDied += slot.jobs.size;
      for (const job of slot.jobs.values()) job.reject(new CryptoError('IKE_ERR_KE_WORKER', `crypto worker failed: ${e.message}`));
      slot.jobs.clear();
      this.opts.onWorkerError?.(e);
      if (!this.closed) {
        slot.generation++;
        slot.worker = this.spawn(slot);
      }
    };
    w.on('error', died);
    w.on('exit', (code) => died(new Error(`exited with code ${code}`)));
    return w;
  }

  private pick(): Slot {
    let best = this.slots[0];
    for (const s of this.slots) if (best === undefined || s.jobs.size < best.jobs.size) best = s;
    if (best === undefined) throw new CryptoError('IKE_ERR_KE_WORKER', 'crypto pool has no workers');
    return best;
  }

  private call(slot: Slot, req: WorkerRequest & { readonly id: number }): Promise<WorkerReply> {
    if (this.closed) return Promise.reject(new CryptoError('IKE_ERR_KE_WORKER', 'crypto pool closed'));
    this.stats.worker++;
    return new Promise((resolve, reject) => {
      slot.jobs.set(req.id, { resolve, reject });
      slot.worker.postMessage(req);
    });
  }

  private useWorker(group: number): boolean {
    return this.opts.inThreadGroups?.has(group) !== true;
  }

  async respond(group: number, peer: Uint8Array, opts?: KeyExchangeOptions): Promise<KeResponse> {
    if (!this.useWorker(group)) {
      this.stats.inThread++;
      return this.inThread.respond(group, peer, opts);
    }
    const r = await this.call(this.pick(), { op: 'respond', id: this.nextId++, group, peer, exponent: opts?.modpExponent ?? 'short' });
    if (r.publicValue === undefined || r.sharedSecret === undefined) throw new CryptoError('IKE_ERR_KE_WORKER', 'malformed worker reply');
    return { publicValue: r.publicValue, sharedSecret: r.sharedSecret };
  }

  async initiate(group: number, opts?: KeyExchangeOptions): Promise<PendingKeyExchange> {
    if (!this.useWorker(group)) {
      this.stats.inThread++;
      return this.inThread.initiate(group, opts);
    }
    const slot = this.pick();
    const generation = slot.generation;
    const r = await this.call(slot, { op: 'initiate', id: this.nextId++, group, exponent: opts?.modpExponent ?? 'short' });
    const handle = r.handle;
    if (handle === undefined || r.publicValue === undefined) throw new CryptoError('IKE_ERR_KE_WORKER', 'malformed worker reply');
    let live = true;
    return {
      group,
      publicValue: r.publicValue,
      computeSharedSecret: async (peer: Uint8Array): Promise<Uint8Array> => {
        if (!live || slot.generation !== generation) throw new CryptoError('IKE_ERR_KE_STATE', 'key exchange already used, disposed or lost with its worker');
        live = false;
        const d = await this.call(slot, { op: 'derive', id: this.nextId++, handle, peer });
        if (d.sharedSecret === undefined) throw new CryptoError('IKE_ERR_KE_WORKER', 'malformed worker reply');
        return d.sharedSecret;
      },
      dispose: (): void => {
        if (!live) return;
        live = false;
        if (slot.generation === generation && !this.closed) slot.worker.postMessage({ op: 'dispose', handle } satisfies WorkerRequest);
      },
    };
  }

  /**
   * Signs in a worker with a PKCS#8 DER key (RSA signing costs 0.25-2 ms:
   * NODE-CRYPTO.md). Rejects with CryptoError like the in-thread signer.
   */
  async sign(der: Uint8Array, scheme: SignatureScheme, data: Uint8Array): Promise<Uint8Array> {
    let keyId = this.keyIds.get(der);
    if (keyId === undefined) {
      keyId = this.nextKeyId++;
      this.keyIds.set(der, keyId);
    }
    const r = await this.call(this.pick(), { op: 'sign', id: this.nextId++, keyId, der, scheme, data });
    if (r.signature === undefined) throw new CryptoError('IKE_ERR_SIGN', 'malformed worker reply');
    this.signStats.worker++;
    return r.signature;
  }

  /** Jobs in flight per worker (tests, diagnostics). */
  inFlight(): number[] {
    return this.slots.map((s) => s.jobs.size);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slots) {
      for (const job of s.jobs.values()) job.reject(new CryptoError('IKE_ERR_KE_WORKER', 'crypto pool closed'));
      s.jobs.clear();
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
