/**
 * The composition root: the only place that creates concrete ports (UDP
 * sockets, timers, the dataplane, the control socket) and wires them to the
 * engine. `keyway daemon --config FILE` ends up here.
 */
import { loadConfigFile } from '../config/load.js';
import type { KeywayConfig } from '../config/model.js';
import type { FlushResult } from '../control/protocol.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { availableParallelism } from 'node:os';
import { InThreadKeyExchanger } from '../crypto/ke/exchanger.js';
import { createKeyExchangeNative } from '../crypto/ke/index.js';
import { NodeRng } from '../crypto/rng.js';
import type { Dataplane } from '../ike/dataplane.js';
import { createEngine, type Engine } from '../ike/engine.js';
import { createV1Engine } from '../ike/v1/engine-v1.js';
import type { Datagram, KeyExchanger, KeyLog, LogLevel, Logger } from '../ike/ports.js';
import { MemoryDataplane } from '../kernel/memory/memory-dataplane.js';
import { USERSPACE_DEFAULTS, createUserspaceRuntime, type UserspaceRuntime } from '../kernel/userspace/runtime.js';
import { openXfrmDataplane, prepareIkeSocketsForXfrm, xfrmOptionsFromConfig } from '../kernel/xfrm/daemon-setup.js';
import { UdpTransport } from '../transport/udp.js';
import { CryptoPool, IN_THREAD_GROUPS } from './crypto-pool.js';
import { poolSigner } from './crypto-signer.js';
import { FileKeyLog, keyLogPaths } from './keylog.js';
import { createLogger, isLogLevel, type LogFormat } from './logging.js';
import { MetricsExporter } from './metrics-exporter.js';
import { EstablishTimer } from './metrics-timing.js';
import { SystemClock, SystemWallClock, TimerScheduler } from './node-platform.js';

export interface DaemonOptions {
  readonly configPath: string;
  readonly logFormat?: LogFormat;
  readonly logLevel?: string;
  readonly socketPath?: string;
  /** resolves to stop the daemon (tests, demo); signals also stop it */
  readonly stop?: Promise<void>;
}

export interface RunningDaemon {
  readonly engine: Engine;
  readonly socketPath: string;
  /** the Prometheus exporter (docs/metrics.md); address is undefined while `daemon { metrics }` is unset */
  readonly metrics: MetricsExporter;
  /** Applies an already validated config: the engine's connections and the metrics address. */
  applyConfig(config: KeywayConfig): void;
  stop(): Promise<void>;
}

function createDataplane(config: KeywayConfig, rng: NodeRng, clock: SystemClock, logger: Logger): { dataplane: Dataplane; userspace?: UserspaceRuntime } {
  switch (config.daemon.dataplane) {
    case 'memory':
      return { dataplane: new MemoryDataplane(rng) };
    case 'userspace': {
      const d = config.daemon;
      const userspace = createUserspaceRuntime({
        settings: {
          tunName: d.tunName ?? USERSPACE_DEFAULTS.tunName,
          tunMtu: d.tunMtu ?? USERSPACE_DEFAULTS.tunMtu,
          tunAddresses: d.tunAddresses ?? USERSPACE_DEFAULTS.tunAddresses,
          routeTable: d.routeTable ?? USERSPACE_DEFAULTS.routeTable,
        },
        rng,
        now: () => clock.nowMs(),
        logger,
      });
      return { dataplane: userspace.dataplane, userspace };
    }
    case 'xfrm':
      throw new Error(`dataplane ${config.daemon.dataplane} is not available in this build yet; use dataplane = memory or userspace`);
  }
}

/** The engine as the control server sees it: `stats` also reports transport and dataplane counters. */
function withExtraCounters(engine: Engine, extra: () => Readonly<Record<string, number>>): Engine {
  return new Proxy(engine, {
    get(target, prop) {
      if (prop === 'counters') {
        return () => {
          const c = target.counters();
          return { ...c, counters: { ...c.counters, ...extra() } };
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * `keyway flush`: the engine deletes every SA (telling peers) and its traps,
 * then the dataplane removes whatever this daemon still has installed (for
 * xfrm: exactly the kernel state it recorded). The userspace dataplane's
 * flush() also tears down its host routes and rules, which a running daemon
 * still needs, so there the engine's deletes (which empty its SAD/SPD) suffice.
 */
async function flushAll(engine: Engine, dataplane: Dataplane, flushDataplane: boolean, logger: Logger): Promise<FlushResult> {
  const counts = await engine.flush();
  const errors: string[] = [];
  if (flushDataplane) await dataplane.flush().catch((e: unknown) => errors.push(e instanceof Error ? e.message : String(e)));
  logger.log(errors.length > 0 ? 'warn' : 'info', 'daemon.flushed', { ...counts, dataplane: dataplane.name, dataplaneFlushed: flushDataplane, errors });
  return { ok: errors.length === 0, ...counts, ...(flushDataplane ? { dataplane: dataplane.name } : {}), errors };
}

/**
 * How many crypto worker threads: `daemon { crypto_workers = N | auto }`,
 * else KEYWAY_CRYPTO_WORKERS, else auto = one per
 * core when there are at least two cores (on one core a worker only adds
 * message passing). 0 = Diffie-Hellman in the event-loop thread.
 */
export function cryptoWorkerCount(config: KeywayConfig, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const fromConfig = config.daemon.cryptoWorkers;
  const raw = fromConfig !== undefined ? String(fromConfig) : (env['KEYWAY_CRYPTO_WORKERS'] ?? 'auto');
  if (raw === 'auto') return cores >= 2 ? cores : 0;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, 64) : 0;
}

/**
 * The key exchanger for the engine: a worker pool, or native in-thread
 * crypto. X25519/X448 stay in-thread even with workers (see CryptoPool).
 */
function createKeyExchanger(workers: number, rng: NodeRng, logger: Logger, env: NodeJS.ProcessEnv = process.env): { ke: KeyExchanger; pool?: CryptoPool } {
  if (workers <= 0) return { ke: new InThreadKeyExchanger((group, o) => createKeyExchangeNative(group, rng, o)) };
  // KEYWAY_CRYPTO_WORKER_GROUPS=all sends X25519 to the workers too (for measurements)
  const all = env['KEYWAY_CRYPTO_WORKER_GROUPS'] === 'all';
  const pool = new CryptoPool({
    size: workers,
    rng,
    ...(all ? {} : { inThreadGroups: IN_THREAD_GROUPS }),
    onWorkerError: (e) => logger.log('error', 'crypto.worker.failed', { error: e.message }),
  });
  return { ke: pool, pool };
}

/** Loads the config or throws an Error whose message lists every problem. */
function loadOrThrow(path: string): KeywayConfig {
  const r = loadConfigFile(path);
  if (r.config === undefined) throw new Error(`invalid configuration:\n${r.errors.map((e) => `  ${e.message}`).join('\n')}`);
  return r.config;
}

/** Starts everything; returns a handle. Used by runDaemon and by in-process demos/tests. */
export async function startDaemon(opts: DaemonOptions): Promise<RunningDaemon> {
  let config = loadOrThrow(opts.configPath);
  const level: LogLevel = opts.logLevel !== undefined && isLogLevel(opts.logLevel) ? opts.logLevel : config.daemon.logLevel;
  if (level !== config.daemon.logLevel) config = { ...config, daemon: { ...config.daemon, logLevel: level } };
  const keyLogOn = config.daemon.keyLog !== undefined;
  const logger = createLogger({ level, format: opts.logFormat ?? 'json', allowSecrets: keyLogOn });
  const clock = new SystemClock();
  const rng = new NodeRng();
  const scheduler = new TimerScheduler(clock, (e) =>
    logger.log('error', 'timer.bug', { error: e instanceof Error ? e.stack : String(e) }),
  );
  const keyLog: KeyLog | undefined = config.daemon.keyLog !== undefined ? new FileKeyLog(keyLogPaths(config.daemon.keyLog)) : undefined;
  if (keyLog !== undefined) logger.log('warn', 'keylog.enabled', { path: config.daemon.keyLog, note: 'IKE and ESP keys are written to disk (debug only)' });
  const xfrm = config.daemon.dataplane === 'xfrm' ? await openXfrmDataplane(logger, xfrmOptionsFromConfig(config.daemon)) : undefined;
  const { dataplane, userspace } = xfrm !== undefined ? { dataplane: xfrm, userspace: undefined } : createDataplane(config, rng, clock, logger);
  let engineRef: Engine | undefined;
  const transport = await UdpTransport.open({
    listen: config.daemon.listen,
    port: config.daemon.port,
    natPort: config.daemon.natPort,
    onIke: (d: Datagram) => engineRef?.receive(d),
    ...(userspace ? { onEsp: (d: Datagram) => userspace.onEsp(d) } : {}),
    logger,
  }).catch(async (e: unknown) => {
    // xfrm: the netlink sockets would keep the process alive
    await xfrm?.close();
    throw e;
  });
  if (userspace) {
    try {
      // TUN, routes and rules; the bound ports must bypass the tunnel (docs/userspace.md)
      await userspace.start(transport, [...new Set(transport.sockets.map((s) => s.port))]);
    } catch (e) {
      await transport.close();
      throw e;
    }
  }
  if (config.daemon.dataplane === 'xfrm') {
    try {
      prepareIkeSocketsForXfrm(transport.socketFds(), logger);
    } catch (e) {
      await transport.close();
      await xfrm?.close();
      throw e;
    }
  }
  const workers = cryptoWorkerCount(config);
  const { ke: keyExchanger, pool } = createKeyExchanger(workers, rng, logger);
  // the establishment-time histogram is fed from the engine's own log records (metrics-timing.ts)
  const establishTimer = new EstablishTimer(() => clock.nowMs());
  // RSA signatures (IKEv2 AUTH, IKEv1 SIG) go to the workers too; ECDSA/Ed25519 stay in-thread (crypto-signer.ts)
  const signer = pool === undefined ? undefined : poolSigner(pool, () => engineRef?.context.config ?? config);
  const engine = createEngine(
    { rng, clock, wallClock: new SystemWallClock(), scheduler, transport, dataplane, logger: establishTimer.wrap(logger), keyExchanger, v1Factory: createV1Engine, ...(keyLog ? { keyLog } : {}), ...(signer ? { signer } : {}) },
    config,
  );
  engineRef = engine;
  const statsEngine = withExtraCounters(engine, () => ({ ...transport.counters(), ...(userspace?.dataplane.counters() ?? {}), ...(xfrm?.counters() ?? {}) }));
  const metrics = new MetricsExporter(statsEngine, logger, establishTimer);
  const applyConfig = (c: KeywayConfig): void => {
    engine.loadConfig(c);
    // a reload that cannot bind the new metrics address keeps the daemon running
    metrics.apply(c.daemon.metrics).catch((e: unknown) => logger.log('error', 'metrics.start.failed', { error: e instanceof Error ? e.message : String(e) }));
  };
  const socketPath = opts.socketPath ?? config.daemon.controlSocket;
  let control: ControlServer | undefined;
  try {
    control = await startControlServer({
      path: socketPath,
      engine: statsEngine,
      logger,
      flush: () => flushAll(engine, dataplane, userspace === undefined, logger),
      reload: () => {
        const r = loadConfigFile(opts.configPath);
        if (r.config === undefined) return Promise.resolve({ ok: false, errors: r.errors.map((e) => e.message) });
        applyConfig(r.config);
        return Promise.resolve({ ok: true, errors: [] });
      },
    });
    await metrics.apply(config.daemon.metrics);
  } catch (e) {
    await control?.close();
    await transport.close();
    await userspace?.stop();
    await pool?.close();
    // start_action = start may already have armed timers (e.g. the metrics address was in use)
    scheduler.cancelAll();
    throw e;
  }
  logger.log('info', 'daemon.started', {
    listen: config.daemon.listen,
    port: config.daemon.port,
    natPort: config.daemon.natPort,
    socket: socketPath,
    dataplane: dataplane.name,
    cryptoWorkers: workers,
    ...(metrics.address !== undefined ? { metrics: `${metrics.address.host}:${metrics.address.port}` } : {}),
    connections: config.connections.map((c) => c.name),
  });
  // start_action (start / trap) is applied by the engine itself when it is created and on reload.
  let stopped = false;
  return {
    engine,
    socketPath,
    metrics,
    applyConfig,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      logger.log('info', 'daemon.stopping', {});
      await Promise.race([engine.shutdown(), new Promise<void>((r) => setTimeout(r, 3000).unref())]);
      await control?.close();
      await metrics.close();
      await transport.close();
      await dataplane.flush().catch((e: unknown) => logger.log('warn', 'dataplane.flush.failed', { error: e instanceof Error ? e.message : String(e) }));
      // the xfrm dataplane holds netlink sockets (uv_poll handles) that keep the process alive
      await xfrm?.close();
      // userspace: routes, rules and the TUN device (docs/userspace.md)
      await userspace?.stop().catch((e: unknown) => logger.log('warn', 'userspace.stop.failed', { error: e instanceof Error ? e.message : String(e) }));
      keyLog instanceof FileKeyLog && keyLog.close();
      // SAs whose deletes were still unanswered keep lifetime timers armed: drop them so the process can exit
      scheduler.cancelAll();
      await pool?.close();
      logger.log('info', 'daemon.stopped', {});
    },
  };
}

/** Runs in the foreground until SIGINT/SIGTERM (or opts.stop); SIGHUP reloads the config. */
export async function runDaemon(opts: DaemonOptions): Promise<void> {
  const d = await startDaemon(opts);
  await new Promise<void>((resolve) => {
    const onSignal = (): void => resolve();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.on('SIGHUP', () => {
      const r = loadConfigFile(opts.configPath);
      if (r.config !== undefined) d.applyConfig(r.config);
    });
    void opts.stop?.then(resolve);
  });
  await d.stop();
}
