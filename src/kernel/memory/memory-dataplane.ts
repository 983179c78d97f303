/**
 * The `memory` dataplane: records what would be installed and answers queries
 * from that record. It is what the demo and most tests use; it also serves as a
 * dry-run backend. Counters stay zero (no packets flow).
 */
import { KernelError } from '../../util/errors.js';
import type {
  Dataplane,
  IpsecProtocol,
  KernelEvent,
  PolicySpec,
  SaCounters,
  SaId,
  SaSpec,
} from '../../ike/dataplane.js';
import type { Rng } from '../../crypto/rng.js';

function saKey(id: SaId): string {
  return `${id.protocol}/${id.spi.toString(16)}/${id.dst}`;
}

function policyKey(p: PolicySpec): string {
  const s = (x: PolicySpec['local']): string =>
    `${x.startAddress}-${x.endAddress}/${x.protocol}/${x.startPort}-${x.endPort}`;
  return `${p.direction}|${s(p.local)}|${s(p.remote)}|${p.reqid}`;
}

export class MemoryDataplane implements Dataplane {
  readonly name = 'memory';
  readonly sas = new Map<string, SaSpec>();
  readonly policies = new Map<string, PolicySpec>();
  /** SPIs handed out by allocateSpi and not yet released */
  readonly reservedSpis = new Set<number>();
  private readonly listeners = new Set<(e: KernelEvent) => void>();
  private readonly rng: Rng;

  constructor(rng: Rng) {
    this.rng = rng;
  }

  allocateSpi(_protocol: IpsecProtocol, _src: string, _dst: string, _reqid: number): Promise<number> {
    // RFC 4303 §2.1: SPI values 1-255 are reserved by IANA; 0 is never sent.
    for (let i = 0; i < 64; i++) {
      const b = this.rng.bytes(4);
      const spi = ((b[0] ?? 0) << 24 | (b[1] ?? 0) << 16 | (b[2] ?? 0) << 8 | (b[3] ?? 0)) >>> 0;
      if (spi < 256 || this.reservedSpis.has(spi)) continue;
      this.reservedSpis.add(spi);
      return Promise.resolve(spi);
    }
    return Promise.reject(new KernelError('KERNEL_SPI', 'could not allocate a free SPI'));
  }

  addSa(sa: SaSpec): Promise<void> {
    const k = saKey(sa);
    if (this.sas.has(k)) return Promise.reject(new KernelError('KERNEL_EXISTS', `SA ${k} already installed`));
    this.sas.set(k, sa);
    return Promise.resolve();
  }

  deleteSa(id: SaId): Promise<void> {
    this.sas.delete(saKey(id));
    this.reservedSpis.delete(id.spi);
    return Promise.resolve();
  }

  querySa(id: SaId): Promise<SaCounters> {
    if (!this.sas.has(saKey(id))) return Promise.reject(new KernelError('KERNEL_NOENT', `no SA ${saKey(id)}`));
    return Promise.resolve({ bytes: 0, packets: 0 });
  }

  addPolicy(p: PolicySpec): Promise<void> {
    this.policies.set(policyKey(p), p);
    return Promise.resolve();
  }

  deletePolicy(p: PolicySpec): Promise<void> {
    this.policies.delete(policyKey(p));
    return Promise.resolve();
  }

  flush(): Promise<void> {
    this.sas.clear();
    this.policies.clear();
    this.reservedSpis.clear();
    return Promise.resolve();
  }

  onEvent(listener: (e: KernelEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Test hook: raise a kernel event (acquire/expire) as a real kernel would. */
  emit(e: KernelEvent): void {
    for (const l of this.listeners) l(e);
  }
}
