/**
 * Extension point for the IKEv1 engine (RFC 2408/2409). The IKEv2 engine
 * owns the sockets and the public API; datagrams whose ISAKMP header carries
 * major version 1 (RFC 2408 §3.1) are handed to the V1Engine, and API calls
 * for `version = 1` connections or IKEv1 SAs are forwarded to it. Unique ids
 * come from the shared EngineContext so CLI ids never collide.
 */
import type { ChildConfig, ConnectionConfig } from '../config/model.js';
import type { EngineContext } from './context.js';
import type { InitiateResult } from './engine-api.js';
import type { IkeSaInfo } from './info.js';
import type { Datagram } from './ports.js';

export interface V1Engine {
  /** A datagram whose header says major version 1. Never throws. */
  receive(d: Datagram): void;
  /** Phase 1 (if needed) plus Quick Mode for each child. */
  initiate(conn: ConnectionConfig, children: readonly ChildConfig[]): Promise<InitiateResult>;
  listSas(): Promise<readonly IkeSaInfo[]>;
  /** false if no IKEv1 SA has that unique id */
  terminateIke(uniqueId: number): Promise<boolean>;
  terminateChild(uniqueId: number): Promise<boolean>;
  counts(): { readonly ikeSas: number; readonly childSas: number; readonly halfOpen: number };
  /**
   * A dataplane soft/hard expiry for an SA with this SPI. Soft: a new Quick
   * Mode for that child, then the old IPsec SAs are deleted (IKEv1 has no
   * REKEY_SA: rekeying is a fresh Quick Mode). Hard: delete. false if no
   * IKEv1 CHILD SA uses the SPI.
   */
  onExpire(spi: number, hard: boolean): boolean;
  shutdown(): Promise<void>;
}

export type V1EngineFactory = (ctx: EngineContext) => V1Engine;
