/**
 * What every part of the engine shares: the ports, the current config, the SA
 * table, counters and the failure log. Built once by createEngine().
 */
import type { KeywayConfig } from '../config/model.js';
import type { Dataplane } from './dataplane.js';
import type { Counters } from './counters.js';
import type { FailureLog } from './failures.js';
import type { FailureRecord } from './info.js';
import type { Clock, KeyLog, Logger, LogLevel, Rng, Scheduler, Transport, WallClock } from './ports.js';
import type { SaTable } from './sa-table.js';
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
  /** IKEv1 support (src/ike/v1); absent = IKEv1 datagrams are counted and dropped */
  readonly v1Factory?: V1EngineFactory;
}

export interface EngineContext extends EngineDeps {
  config: KeywayConfig;
  readonly counters: Counters;
  readonly failures: FailureLog;
  readonly table: SaTable;
  /** the IKEv1 engine, when deps.v1Factory was given */
  v1: V1Engine | undefined;
  nextUniqueId(): number;
  log(level: LogLevel, event: string, fields: Readonly<Record<string, unknown>>): void;
  fail(record: Omit<FailureRecord, 'at'>): void;
}
