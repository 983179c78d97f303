/**
 * What every part of the engine shares: the ports, the current config, the SA
 * table, counters and the failure log. Built once by createEngine().
 */
import type { KeywayConfig } from '../config/model.js';
import type { Dataplane } from './dataplane.js';
import type { Counters } from './counters.js';
import type { FailureLog } from './failures.js';
import type { FailureRecord } from './info.js';
import type { Clock, KeyExchanger, KeyLog, Logger, LogLevel, Rng, Scheduler, Signer, Transport, WallClock } from './ports.js';
import type { SaTable } from './sa-table.js';
import type { PeerIndex } from './v2/peer-index.js';
import type { TeardownHistory } from './history.js';
import type { PolicyBook } from './policy-book.js';
import type { ChildConfig, ConnectionConfig } from '../config/model.js';
import type { ChildSa } from './child-sa.js';
import type { IkeSa } from './ike-sa.js';
import type { V1Engine, V1EngineFactory } from './v1-api.js';

export interface EngineDeps {
  readonly rng: Rng;
  readonly clock: Clock;
  readonly wallClock: WallClock;
  readonly scheduler: Scheduler;
  readonly transport: Transport;
  readonly dataplane: Dataplane;
  readonly logger: Logger;
  readonly keyLog?: KeyLog;
  /** signs with private keys (RSA/ECDSA auth); absent = an in-process signer over the configured keys */
  readonly signer?: Signer;
  /**
   * Diffie-Hellman work of IKE_SA_INIT (both roles) and of the CREATE_CHILD_SA
   * responder (the PFS initiators and IKE SA rekeys still compute in-thread): absent = in this thread, private
   * values drawn from `rng` (deterministic with a seeded Rng); the daemon
   * passes a worker-thread pool.
   */
  readonly keyExchanger?: KeyExchanger;
  /** IKEv1 support (src/ike/v1); absent = IKEv1 datagrams are counted and dropped */
  readonly v1Factory?: V1EngineFactory;
}

export interface EngineContext extends EngineDeps {
  config: KeywayConfig;
  readonly counters: Counters;
  readonly failures: FailureLog;
  readonly table: SaTable;
  /** IKE SAs by the peer's authenticated identity (maintained by IkeSa) */
  readonly peers: PeerIndex;
  readonly policies: PolicyBook;
  readonly history: TeardownHistory;
  /** deps.keyExchanger, or the in-thread one over deps.rng */
  readonly ke: KeyExchanger;
  /** true when a record at `level` would be written (skip building fields otherwise) */
  logs(level: LogLevel): boolean;
  /** lifecycle actions that need the engine (set by createEngine) */
  readonly hooks: EngineHooks;
  /** the IKEv1 engine, when deps.v1Factory was given */
  v1: V1Engine | undefined;
  nextUniqueId(): number;
  /** the stable reqid of a trapped (start_action = trap) child config, if trapped */
  trapReqid(conn: ConnectionConfig, cfg: ChildConfig): number | undefined;
  log(level: LogLevel, event: string, fields: Readonly<Record<string, unknown>>): void;
  fail(record: Omit<FailureRecord, 'at'>): void;
}

/** Actions of the engine that SA-level code triggers (RFC-independent policy). */
export interface EngineHooks {
  /**
   * Bring `children` of `conn` up on a new IKE SA: restart after DPD or a
   * peer's delete, keyingtries, reauthentication (then `replacing` is the old
   * IKE SA, deleted once the new one is up: make-before-break).
   */
  reinitiate(conn: ConnectionConfig, children: readonly ChildConfig[], why: string, replacing?: IkeSa): void;
  /** A CHILD SA closed for good (peer delete / dead peer): apply close_action / dpd_action. */
  childClosed(cfg: ChildConfig, conn: ConnectionConfig, cause: 'peer' | 'dpd'): void;
}
