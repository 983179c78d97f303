/**
 * IKE handshake benchmark (issue 3 "Also"): IKE SA + CHILD SA establishments
 * per second between two in-process engines. Both engines share one Node.js
 * thread, the real clock and real timers, the memory dataplane and a direct
 * in-memory transport (a datagram is handed to the peer's receive() in a
 * microtask), so the figures are protocol + crypto cost with no sockets.
 *
 * Per suite, establish/delete cycles run sequentially (connection bench0)
 * and in batches of --concurrency (one connection each, bench0..benchN-1).
 * Every SA is deleted right after it is counted, so memory stays flat and
 * each initiation is a new IKE SA (not a CHILD SA on an existing one). CPU
 * figures are process CPU (user+system) for both sides.
 *
 * Run: npm run bench [-- --seconds 2 --concurrency 16 --no-crypto --suites x25519,modp2048
 *        --ke seeded|native --workers N --all-in-worker]
 * Then the crypto micro-benchmark (bench/crypto.ts) runs unless --no-crypto.
 */
import { cpus } from 'node:os';
import { cpuUsage, memoryUsage } from 'node:process';
import { loadConfigText } from '../src/config/load.js';
import type { KeywayConfig } from '../src/config/model.js';
import { NodeRng } from '../src/crypto/rng.js';
import { SystemClock, SystemWallClock, TimerScheduler } from '../src/daemon/node-platform.js';
import { InThreadKeyExchanger } from '../src/crypto/ke/exchanger.js';
import { createKeyExchangeNative } from '../src/crypto/ke/index.js';
import { CryptoPool, IN_THREAD_GROUPS } from '../src/daemon/crypto-pool.js';
import { createEngine, type Engine } from '../src/ike/engine.js';
import type { Datagram, KeyExchanger, Logger } from '../src/ike/ports.js';
import { MemoryDataplane } from '../src/kernel/memory/memory-dataplane.js';

interface Suite {
  readonly ike: string;
  readonly esp: string;
}

const SUITES: readonly Suite[] = [
  { ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16' },
  { ike: 'aes256-sha256-modp2048', esp: 'aes256-sha256' },
  { ike: 'aes128gcm16-prfsha256-ecp256', esp: 'aes128gcm16' },
];

const WEST = '192.0.2.1';
const EAST = '192.0.2.2';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/**
 * One side's swanctl.conf with `n` connections bench0..bench<n-1> between the
 * same two addresses. Each has its own pair of identities, so the responder
 * tells them apart at IKE_AUTH and an INITIAL_CONTACT on one (RFC 7296 §2.4)
 * never clears the SAs of another that are being set up at the same time.
 * Retransmission is slowed down and the COOKIE threshold raised so that a busy
 * CPU in the concurrent phase measures handshakes, not retries or cookies.
 */
function sideConfig(me: string, peer: string, suite: Suite, n: number): KeywayConfig {
  const id = (who: string, i: number): string => `${who === WEST ? 'west' : 'east'}${i}.bench.example`;
  const conns: string[] = [];
  const secrets: string[] = [];
  for (let i = 0; i < n; i++) {
    conns.push(`
  bench${i} {
    version = 2
    local_addrs = ${me}
    remote_addrs = ${peer}
    proposals = ${suite.ike}
    local {
      auth = psk
      id = ${id(me, i)}
    }
    remote {
      auth = psk
      id = ${id(peer, i)}
    }
    children {
      net {
        local_ts = ${me === WEST ? '10.1.0.0/24' : '10.2.0.0/24'}
        remote_ts = ${me === WEST ? '10.2.0.0/24' : '10.1.0.0/24'}
        esp_proposals = ${suite.esp}
      }
    }
  }`);
    secrets.push(`
  ike-${i} {
    id-a = ${id(WEST, i)}
    id-b = ${id(EAST, i)}
    secret = "a benchmark secret of decent length"
  }`);
  }
  const text = `
daemon {
  listen = ${me}
  log_level = info
  cookie_threshold = 100000
  half_open_limit = 100000
  retransmit_timeout = 60
}
connections {${conns.join('')}
}
secrets {${secrets.join('')}
}
`;
  const r = loadConfigText(text, `bench-${me}.conf`);
  if (r.config === undefined) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.config;
}

interface Side {
  readonly engine: Engine;
  readonly dataplane: MemoryDataplane;
  readonly scheduler: TimerScheduler;
}

const silent: Logger = { log: () => undefined };

/**
 * Where the Diffie-Hellman runs: `--ke native` (default) = in-thread with
 * OpenSSL's own X25519 key generation, as the daemon does without workers;
 * `--ke seeded` = the engine's built-in exchanger over the Rng port (what the
 * sim uses); `--workers N` = a CryptoPool of N worker threads shared by both
 * engines (`--all-in-worker`: X25519 too).
 */
function keyExchanger(): { ke: KeyExchanger | undefined; pool: CryptoPool | undefined } {
  const workers = arg('workers', 0);
  if (workers > 0) {
    const pool = new CryptoPool({
      size: workers,
      rng: new NodeRng(),
      ...(process.argv.includes('--all-in-worker') ? {} : { inThreadGroups: IN_THREAD_GROUPS }),
    });
    return { ke: pool, pool };
  }
  const i = process.argv.indexOf('--ke');
  if (i < 0 || process.argv[i + 1] !== 'seeded') {
    const rng = new NodeRng();
    return { ke: new InThreadKeyExchanger((g, o) => createKeyExchangeNative(g, rng, o)), pool: undefined };
  }
  return { ke: undefined, pool: undefined };
}

function makePair(suite: Suite, n: number, ke: KeyExchanger | undefined): { west: Side; east: Side } {
  const clock = new SystemClock();
  const nodes = new Map<string, Engine>();
  const transport = {
    // Deliver asynchronously, as a socket would: never re-enter the sender.
    send(d: Datagram): void {
      const to = nodes.get(d.remote.address);
      if (to !== undefined) queueMicrotask(() => to.receive({ local: d.remote, remote: d.local, bytes: d.bytes }));
    },
  };
  const side = (me: string, peer: string): Side => {
    const scheduler = new TimerScheduler(clock);
    const dataplane = new MemoryDataplane(new NodeRng());
    const deps = { rng: new NodeRng(), clock, wallClock: new SystemWallClock(), scheduler, transport, dataplane, logger: silent, ...(ke ? { keyExchanger: ke } : {}) };
    const engine = createEngine(deps, sideConfig(me, peer, suite, n));
    nodes.set(me, engine);
    return { engine, dataplane, scheduler };
  };
  return { west: side(WEST, EAST), east: side(EAST, WEST) };
}

interface Phase {
  n: number;
  wallMs: number;
  cpuUs: number;
  deleteCpuUs: number;
}

function cpuNow(): number {
  const u = cpuUsage();
  return u.user + u.system;
}

/** Establishes `batch` SAs at once, then deletes them; adds the costs to `ph`. */
async function cycle(west: Engine, batch: number, ph: Phase): Promise<void> {
  const c0 = cpuNow();
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: batch }, (_x, i) => west.initiate(`bench${i}`)));
  const t1 = performance.now();
  const c1 = cpuNow();
  for (const r of results) if (!r.ok || r.childSaId === undefined) throw new Error(`establishment failed: ${r.error ?? 'no CHILD SA'}`);
  await Promise.all(results.map((r) => west.terminateIke(r.ikeSaId ?? -1)));
  ph.n += batch;
  ph.wallMs += t1 - t0;
  ph.cpuUs += c1 - c0;
  ph.deleteCpuUs += cpuNow() - c1;
}

async function phase(west: Engine, batch: number, seconds: number): Promise<Phase> {
  const ph: Phase = { n: 0, wallMs: 0, cpuUs: 0, deleteCpuUs: 0 };
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || ph.n < 4 * batch) await cycle(west, batch, ph);
  return ph;
}

/** Every SA was deleted as soon as it was counted: anything left is a leak. */
function leaks(s: Side): string[] {
  const out: string[] = [];
  const c = s.engine.counters();
  if (c.ikeSas !== 0) out.push(`${c.ikeSas} IKE SAs`);
  if (s.dataplane.sas.size !== 0) out.push(`${s.dataplane.sas.size} dataplane SAs`);
  for (const [k, v] of Object.entries(c.counters)) if (k.startsWith('bug.') && v > 0) out.push(`${k}=${v}`);
  return out;
}

function row(cols: readonly (string | number)[]): string {
  const widths = [30, 12, 6, 9, 11, 12, 12, 9];
  return cols.map((c, i) => (i < 2 ? String(c).padEnd(widths[i] ?? 8) : String(c).padStart(widths[i] ?? 8))).join(' ');
}

function fmt(ph: Phase, label: string, suite: Suite, heapMb: number): string {
  return row([
    suite.ike,
    label,
    ph.n,
    ((ph.n * 1000) / ph.wallMs).toFixed(0),
    (ph.wallMs / ph.n).toFixed(2),
    (ph.cpuUs / ph.n).toFixed(0),
    (ph.deleteCpuUs / ph.n).toFixed(0),
    heapMb.toFixed(1),
  ]);
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 2);
  const concurrency = arg('concurrency', 16);
  console.log(`Keyway IKE handshake bench: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`);
  console.log('establishment = IKE_SA_INIT + IKE_AUTH with the first CHILD SA (PSK), both engines in this process');
  console.log(row(['suite', 'mode', 'n', 'est/s', 'ms/est', 'CPU µs/est', 'delete µs', 'heap MB']));
  let failed = false;
  const ke = keyExchanger();
  if (ke.pool !== undefined) console.log(`crypto: ${arg('workers', 0)} worker threads${process.argv.includes('--all-in-worker') ? ' (all groups)' : ' (X25519 in-thread)'}`);
  const only = process.argv.indexOf('--suites');
  const wanted = only >= 0 ? (process.argv[only + 1] ?? '').split(',') : [];
  for (const suite of SUITES.filter((s) => wanted.length === 0 || wanted.some((w) => s.ike.includes(w)))) {
    const { west, east } = makePair(suite, concurrency, ke.ke);
    await phase(west.engine, 1, 0.5); // warm-up (JIT, OpenSSL contexts)
    const seq = await phase(west.engine, 1, seconds);
    console.log(fmt(seq, 'sequential', suite, memoryUsage().heapUsed / 2 ** 20));
    const par = await phase(west.engine, concurrency, seconds);
    console.log(fmt(par, `${concurrency} at once`, suite, memoryUsage().heapUsed / 2 ** 20));
    await new Promise((r) => setTimeout(r, 50)); // let the last deletes' dataplane calls settle
    const bad = [...leaks(west).map((l) => `west: ${l}`), ...leaks(east).map((l) => `east: ${l}`)];
    if (bad.length > 0) {
      failed = true;
      console.log(`  LEAK/BUG after ${suite.ike}: ${bad.join(', ')}`);
    }
    await west.engine.shutdown();
    west.scheduler.cancelAll();
    east.scheduler.cancelAll();
  }
  await ke.pool?.close();
  if (failed) process.exitCode = 1;
  if (!process.argv.includes('--no-crypto')) {
    console.log('\nCrypto micro-benchmark (bench/crypto.ts):');
    await import('./crypto.js');
  }
}

await main();
