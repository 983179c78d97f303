/**
 * Two Keyway engines in one process (ARCHITECTURE B7.3): shared fake clock,
 * seeded RNGs, fake network, memory dataplanes and recording loggers.
 */
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/load.js';
import type { KeywayConfig } from '../../src/config/model.js';
import { SeededRng } from '../../src/crypto/rng.js';
import { createEngine, type Engine } from '../../src/ike/engine.js';
import type { Logger, LogLevel } from '../../src/ike/ports.js';
import type { V1EngineFactory } from '../../src/ike/v1-api.js';
import { MemoryDataplane } from '../../src/kernel/memory/memory-dataplane.js';
import { FakeClock } from './fake-clock.js';
import { FakeNet, settle } from './fake-net.js';

export interface LogRecord {
  readonly level: LogLevel;
  readonly event: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export class RecordingLogger implements Logger {
  readonly records: LogRecord[] = [];
  log(level: LogLevel, event: string, fields: Readonly<Record<string, unknown>>): void {
    this.records.push({ level, event, fields });
    if (process.env['KEYWAY_SIM_LOG'] === '1') console.log(level, event, JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  }
}

export interface Peer {
  readonly name: string;
  readonly address: string;
  readonly engine: Engine;
  readonly dataplane: MemoryDataplane;
  readonly logger: RecordingLogger;
}

export function parseConfig(text: string, name = 'sim.conf'): KeywayConfig {
  const r = loadConfigText(text, name);
  if (r.config === undefined) throw new Error(`bad test config:\n${r.errors.map((e) => e.message).join('\n')}`);
  return r.config;
}

export interface PairOptions {
  /** extra text inside each side's connection section */
  readonly westConn?: string;
  readonly eastConn?: string;
  readonly westChild?: string;
  readonly eastChild?: string;
  readonly westDaemon?: string;
  readonly eastDaemon?: string;
  readonly westPsk?: string;
  readonly eastPsk?: string;
  readonly seed?: string;
  /** addresses and protected subnets (default WEST/EAST, 10.1.0.0/24 and 10.2.0.0/24) */
  readonly sites?: { readonly west: string; readonly east: string; readonly westNet: string; readonly eastNet: string };
}

export const WEST = '192.0.2.1';
export const EAST = '192.0.2.2';

/** A swanctl.conf for one side of the standard west/east pair. */
export function sideConfig(me: string, peer: string, meId: string, peerId: string, lts: string, rts: string, conn: string, child: string, daemon: string, psk: string): string {
  return `
daemon {
  listen = ${me}
  log_level = debug
  ${daemon}
}
connections {
  net {
    version = 2
    local_addrs = ${me}
    remote_addrs = ${peer}
    ${conn}
    local {
      auth = psk
      id = ${meId}
    }
    remote {
      auth = psk
      id = ${peerId}
    }
    children {
      net {
        local_ts = ${lts}
        remote_ts = ${rts}
        ${child}
      }
    }
  }
}
secrets {
  ike-1 {
    id-a = ${meId}
    id-b = ${peerId}
    secret = ${psk}
  }
}
`;
}

/** One side of a pair: where it listens and the configuration it runs. */
export interface SideSpec {
  readonly address: string;
  readonly config: KeywayConfig;
}

/**
 * Two engines on the shared fake clock and network; Pair (IKEv2) and V1Pair
 * (IKEv1, v1-harness.ts) only differ in the configs they build.
 */
export class SimPair {
  readonly clock = new FakeClock();
  readonly net = new FakeNet();
  readonly west: Peer;
  readonly east: Peer;

  protected constructor(seed: string, west: SideSpec, east: SideSpec, v1Factory?: V1EngineFactory) {
    const mk = (name: string, side: SideSpec): Peer => {
      const rng = new SeededRng(`${seed}-${name}`);
      const dataplane = new MemoryDataplane(new SeededRng(`${seed}-${name}-spi`));
      const logger = new RecordingLogger();
      const engine = createEngine(
        { rng, clock: this.clock, wallClock: this.clock, scheduler: this.clock, transport: this.net.transport(), dataplane, logger, ...(v1Factory === undefined ? {} : { v1Factory }) },
        side.config,
      );
      this.net.attach(side.address, engine);
      return { name, address: side.address, engine, dataplane, logger };
    };
    this.west = mk('west', west);
    this.east = mk('east', east);
  }

  /** Delivers queued datagrams (and lets handlers run) until the network is quiet. */
  async run(maxSteps = 1000): Promise<void> {
    await settle();
    for (let i = 0; i < maxSteps; i++) {
      if (!this.net.deliverOne()) {
        await settle();
        if (this.net.queue.length === 0) return;
        continue;
      }
      await settle();
    }
    throw new Error('network did not quiesce');
  }

  /** Advances the fake clock, running the network after each due timer. */
  async advance(ms: number, step = 500): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await this.run();
    }
  }

  /** Runs an API call to completion, advancing fake time to due timers when the network is idle. */
  async settle<T>(p: Promise<T>, maxRounds = 400): Promise<T> {
    let result: { v: T } | undefined;
    void p.then((v) => (result = { v }));
    for (let i = 0; i < maxRounds && result === undefined; i++) {
      await this.run();
      if (result !== undefined) break;
      const next = this.clock.nextAt();
      if (next === undefined) break;
      this.clock.advance(Math.max(0, next - this.clock.nowMs()));
    }
    return result === undefined ? await p : result.v;
  }

  /** Starts an initiation on `from` and runs the network until it settles. */
  initiate(from: Peer, conn = 'net', child?: string): ReturnType<Engine['initiate']> {
    return this.settle(from.engine.initiate(conn, child));
  }
}

export class Pair extends SimPair {
  constructor(opts: PairOptions = {}) {
    const s = opts.sites ?? { west: WEST, east: EAST, westNet: '10.1.0.0/24', eastNet: '10.2.0.0/24' };
    const westCfg = parseConfig(
      sideConfig(s.west, s.east, 'west@example.org', 'east@example.org', s.westNet, s.eastNet, opts.westConn ?? '', opts.westChild ?? '', opts.westDaemon ?? '', opts.westPsk ?? '"a sim secret of decent length"'),
      'west.conf',
    );
    const eastCfg = parseConfig(
      sideConfig(s.east, s.west, 'east@example.org', 'west@example.org', s.eastNet, s.westNet, opts.eastConn ?? '', opts.eastChild ?? '', opts.eastDaemon ?? '', opts.eastPsk ?? '"a sim secret of decent length"'),
      'east.conf',
    );
    super(opts.seed ?? 'pair', { address: s.west, config: westCfg }, { address: s.east, config: eastCfg });
  }
}

/** After everything is torn down: no SAs, no dataplane state, no timers (B7.3 leak check). */
export function assertNoLeaks(pair: SimPair): void {
  for (const p of [pair.west, pair.east]) {
    assert.equal(p.engine.context.table.size(), 0, `${p.name} still has IKE SAs`);
    assert.equal(p.dataplane.sas.size, 0, `${p.name} dataplane still has SAs`);
    assert.equal(p.dataplane.policies.size, 0, `${p.name} dataplane still has policies`);
    assert.equal(p.dataplane.reservedSpis.size, 0, `${p.name} still has reserved SPIs`);
  }
  assert.equal(pair.clock.pending, 0, 'timers still armed');
}

/** Deletes every IKE SA of `from` through the API (telling the peer) and runs the network. */
export async function terminateAll(pair: SimPair, from: Peer): Promise<void> {
  for (const sa of await from.engine.listSas()) {
    const done = from.engine.terminateIke(sa.uniqueId);
    await pair.run();
    assert.equal(await done, true);
  }
}
