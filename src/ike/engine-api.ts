/**
 * The engine's public API: what the control server, the daemon and tests call.
 * Implemented by src/ike/engine.ts (createEngine).
 */
import type { KeywayConfig } from '../config/model.js';
import type { ConnectionInfo, CountersInfo, FailureRecord, IkeSaInfo } from './info.js';
import type { Datagram } from './ports.js';
import type { TeardownRecord } from './history.js';

export interface InitiateResult {
  readonly ok: boolean;
  /** unique id of the IKE SA used (new or existing) */
  readonly ikeSaId?: number;
  /** unique id of the CHILD SA established, when a child was requested */
  readonly childSaId?: number;
  /** why it failed, when !ok */
  readonly error?: string;
}

/** What `flush()` removed (docs/cli.md `keyway flush`). */
export interface FlushCounts {
  /** IKE SAs deleted (IKEv2 and IKEv1, half-open ones included) */
  readonly ikeSas: number;
  /** CHILD SAs they carried */
  readonly childSas: number;
  /** trap policies removed (start_action = trap) */
  readonly traps: number;
  /** deletes whose peer had not answered when flush() returned (they finish in the background) */
  readonly unanswered: number;
}

export interface EngineApi {
  /** Feed one received IKE datagram (non-ESP marker already stripped). Never throws. */
  receive(d: Datagram): void;
  /**
   * Bring up a connection (IKE SA plus, if `child` is given or the connection
   * has children, that child / all children). Resolves when established or failed.
   */
  initiate(connection: string, child?: string): Promise<InitiateResult>;
  /** Delete an IKE SA (and its CHILD SAs), telling the peer. Resolves when done. */
  terminateIke(uniqueId: number): Promise<boolean>;
  /** Delete one CHILD SA, telling the peer. */
  terminateChild(uniqueId: number): Promise<boolean>;
  /** Replace the configuration (already validated). Existing SAs are kept. */
  loadConfig(config: KeywayConfig): void;
  listSas(): Promise<readonly IkeSaInfo[]>;
  listConnections(): readonly ConnectionInfo[];
  counters(): CountersInfo;
  /** Rekey an IKE SA now (RFC 7296 §1.3.2). false if there is no such established SA. */
  rekeyIke(uniqueId: number): Promise<boolean>;
  /** Rekey a CHILD SA now (§1.3.3). */
  rekeyChild(uniqueId: number): Promise<boolean>;
  /** Reauthenticate an IKE SA now: new IKE SA with full authentication, then the old is deleted. */
  reauthIke(uniqueId: number): Promise<boolean>;
  /** recent teardowns with their reasons, newest last */
  history(): readonly TeardownRecord[];
  /** most recent negotiation failures, newest last */
  failures(): readonly FailureRecord[];
  /**
   * Delete every IKE SA with its CHILD SAs, telling each peer (RFC 7296 §1.4.1),
   * and remove every trap policy; unlike shutdown() the engine keeps running
   * (`keyway reload` re-applies start actions). Resolves when all deletes are
   * answered or after `waitMs` (default 5000), whichever comes first.
   */
  flush(waitMs?: number): Promise<FlushCounts>;
  /** Delete all SAs (telling peers, best effort) and cancel all timers. */
  shutdown(): Promise<void>;
}
