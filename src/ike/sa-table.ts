/**
 * Lookup tables for IKE SAs: by our own SPI (the SPI we chose, which is unique
 * per engine), by unique id, and half-open responder SAs by (SPIi, peer) so a
 * retransmitted IKE_SA_INIT request finds its SA (RFC 7296 §2.1).
 *
 * It also keeps the set of half-open responder SAs current, because every
 * IKE_SA_INIT asks for their number (COOKIE threshold, half-open limit:
 * RFC 7296 §2.6) and counting them by walking all SAs made that O(SAs).
 */
import { toHex } from '../util/bytes.js';
import type { IkeSa, IkeSaState } from './ike-sa.js';

/**
 * A responder SA that has not completed IKE_AUTH: what an attacker can make
 * us hold with spoofed IKE_SA_INIT requests (RFC 7296 §2.6). A rekeyed-in
 * IKE SA is created by the peer but starts authenticated.
 */
export function isHalfOpen(isOriginalInitiator: boolean, state: IkeSaState): boolean {
  return !isOriginalInitiator && (state === 'created' || state === 'connecting' || state === 'authenticating');
}

export class SaTable {
  private readonly bySpi = new Map<string, IkeSa>();
  private readonly byId = new Map<number, IkeSa>();
  private readonly byInit = new Map<string, IkeSa>();
  /**
   * Half-open SAs in the table. A set rather than a bare counter: entering
   * and leaving are idempotent, so no path (a repeated transition, destroy
   * after a failed IKE_AUTH, remove without destroy) can count an SA twice
   * or forget to uncount it.
   */
  private readonly halfOpenSas = new Set<IkeSa>();

  static initKey(spiI: Uint8Array, remoteAddress: string, remotePort: number): string {
    return `${toHex(spiI)}|${remoteAddress}|${remotePort}`;
  }

  add(sa: IkeSa): void {
    this.bySpi.set(toHex(sa.localSpi), sa);
    this.byId.set(sa.uniqueId, sa);
    this.noteState(sa);
  }

  /** Called by IkeSa after every state change: keeps halfOpenCount() current. */
  noteState(sa: IkeSa): void {
    if (isHalfOpen(sa.isOriginalInitiator, sa.state) && this.byId.get(sa.uniqueId) === sa) this.halfOpenSas.add(sa);
    else this.halfOpenSas.delete(sa);
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
    if (this.byId.get(sa.uniqueId) === sa) this.byId.delete(sa.uniqueId);
    this.halfOpenSas.delete(sa);
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

  /** Responder SAs that have not finished IKE_AUTH, in O(1). */
  halfOpenCount(): number {
    return this.halfOpenSas.size;
  }

  size(): number {
    return this.byId.size;
  }
}
