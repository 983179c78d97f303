/**
 * Lookup tables for IKE SAs: by our own SPI (the SPI we chose, which is unique
 * per engine), by unique id, and half-open responder SAs by (SPIi, peer) so a
 * retransmitted IKE_SA_INIT request finds its SA (RFC 7296 §2.1).
 */
import { toHex } from '../util/bytes.js';
import type { IkeSa } from './ike-sa.js';

export class SaTable {
  private readonly bySpi = new Map<string, IkeSa>();
  private readonly byId = new Map<number, IkeSa>();
  private readonly byInit = new Map<string, IkeSa>();

  static initKey(spiI: Uint8Array, remoteAddress: string, remotePort: number): string {
    return `${toHex(spiI)}|${remoteAddress}|${remotePort}`;
  }

  add(sa: IkeSa): void {
    this.bySpi.set(toHex(sa.localSpi), sa);
    this.byId.set(sa.uniqueId, sa);
  }

  /** Responder SAs are also indexed by the initiator's SPI until established. */
  addInit(key: string, sa: IkeSa): void {
    this.byInit.set(key, sa);
    sa.initKey = key;
  }

  removeInit(sa: IkeSa): void {
    if (sa.initKey !== undefined && this.byInit.get(sa.initKey) === sa) this.byInit.delete(sa.initKey);
    sa.initKey = undefined;
  }

  remove(sa: IkeSa): void {
    const k = toHex(sa.localSpi);
    if (this.bySpi.get(k) === sa) this.bySpi.delete(k);
    this.byId.delete(sa.uniqueId);
    this.removeInit(sa);
  }

  /** Re-index after the local SPI changed (never for established SAs). */
  rekeySpi(sa: IkeSa, oldSpi: Uint8Array): void {
    const k = toHex(oldSpi);
    if (this.bySpi.get(k) === sa) this.bySpi.delete(k);
    this.bySpi.set(toHex(sa.localSpi), sa);
  }

  bySpiHex(spi: string): IkeSa | undefined {
    return this.bySpi.get(spi);
  }

  get(spi: Uint8Array): IkeSa | undefined {
    return this.bySpi.get(toHex(spi));
  }

  getInit(key: string): IkeSa | undefined {
    return this.byInit.get(key);
  }

  byUniqueId(id: number): IkeSa | undefined {
    return this.byId.get(id);
  }

  all(): IkeSa[] {
    return [...this.byId.values()];
  }

  halfOpenCount(): number {
    let n = 0;
    for (const sa of this.byId.values()) {
      if (!sa.isOriginalInitiator && (sa.state === 'created' || sa.state === 'connecting' || sa.state === 'authenticating')) n++;
    }
    return n;
  }

  size(): number {
    return this.byId.size;
  }
}
