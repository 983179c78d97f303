/**
 * Responder benchmark against strongSwan 5.9.8 on this machine (root only).
 *
 *   west (192.0.2.1): charon as the load generator (initiator), driven over
 *                     vici with W concurrent blocking `initiate` commands,
 *                     reuse_ikesa = no, so each is a new IKE SA + CHILD SA
 *   east (192.0.2.2): the responder under test, either charon (the
 *                     reference) or the Keyway daemon (memory dataplane),
 *                     real UDP on 500/4500
 *
 * Debian's strongSwan has no load-tester plugin, so the initiator is a plain
 * charon driven over vici; it runs the same way against both responders.
 * Per suite and responder: a warm-up, then N establishments are timed and
 * each daemon is charged the CPU time (all threads, /proc/PID/stat) it used
 * meanwhile. SAs are kept (a gateway accumulates them), so the memory column
 * is the responder's RSS growth per IKE SA (with its CHILD SA).
 *
 * Both daemons run with their default log level (charon 1 to a file, Keyway
 * info to a file) unless told otherwise. Everything created (namespaces,
 * processes by pid, temp dirs) is removed at the end, also on Ctrl-C.
 *
 * Run: npm run bench:vs-strongswan [-- --count 2000 --warmup 300 --window 24
 *        --suites x25519,modp2048,ecp256 --responders strongswan,keyway
 *        --repeat 1 --keyway-log info --keyway-workers 0 --all-in-worker --mode cycle|keep
 *        --keyway-prof DIR --perf-map --keyway-root OTHER_TREE]
 */
import { cpus } from 'node:os';
import { createTopology, type Topology } from '../test/interop/lab/topology.js';
import { missingPrereqs } from '../test/interop/lab/prereq.js';
import { swanctlConf, type ConnSpec } from '../test/interop/lab/swanctl-conf.js';
import { startBenchCharon } from './lab/charon.js';
import { startBenchKeyway } from './lab/keyway-daemon.js';
import { sampleProc, type ProcSample } from './lab/proc.js';
import { ViciClient } from './lab/vici.js';

interface Suite {
  readonly key: string;
  readonly ike: string;
  readonly esp: string;
}

const SUITES: readonly Suite[] = [
  { key: 'x25519', ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16' },
  { key: 'modp2048', ike: 'aes256-sha256-modp2048', esp: 'aes256-sha256' },
  { key: 'ecp256', ike: 'aes128gcm16-prfsha256-ecp256', esp: 'aes128gcm16' },
];

function argStr(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
function argNum(name: string, fallback: number): number {
  const v = Number(argStr(name, ''));
  return Number.isFinite(v) && v >= 0 && argStr(name, '') !== '' ? v : fallback;
}

const PSK = { ids: ['west.bench', 'east.bench'], secret: 'keyway-bench-psk-0123456789abcdef' };

function pair(s: Suite): { west: ConnSpec; east: ConnSpec } {
  return {
    west: {
      name: 'bench', localAddr: '192.0.2.1', remoteAddr: '192.0.2.2', localId: 'west.bench', remoteId: 'east.bench',
      proposals: s.ike, children: [{ name: 'net', localTs: '10.1.0.0/24', remoteTs: '10.2.0.0/24', espProposals: s.esp }],
    },
    east: {
      name: 'bench', localAddr: '192.0.2.2', remoteAddr: '192.0.2.1', localId: 'east.bench', remoteId: 'west.bench',
      proposals: s.ike, children: [{ name: 'net', localTs: '10.2.0.0/24', remoteTs: '10.1.0.0/24', espProposals: s.esp }],
    },
  };
}

interface Result {
  readonly suite: string;
  readonly responder: string;
  readonly n: number;
  readonly failed: number;
  readonly wallS: number;
  readonly respCpuUs: number;
  readonly respMainCpuUs: number;
  readonly initCpuUs: number;
  readonly rssKiBPerSa: number;
  readonly threads: number;
}

/**
 * Keeps `window` blocking initiates in flight on as many vici connections
 * until `target` more SAs are up. Returns the number of failures.
 */
async function drive(viciPath: string, window: number, target: number): Promise<number> {
  // one at a time: charon's vici socket has a short listen backlog (EAGAIN)
  const clients: ViciClient[] = [];
  for (let i = 0; i < window; i++) {
    for (let tries = 0; ; tries++) {
      try {
        clients.push(await ViciClient.open(viciPath));
        break;
      } catch (e) {
        if (tries > 50) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  let inflight = 0;
  let ok = 0;
  let failed = 0;
  try {
    await Promise.all(
      clients.map(async (c) => {
        while (ok + inflight < target && failed < Math.max(20, target / 10)) {
          inflight++;
          const r = await c.request('initiate', { child: 'net', ike: 'bench', timeout: '30000', 'init-limits': 'no' });
          inflight--;
          if (r['success'] === 'yes') ok++;
          else failed++;
        }
      }),
    );
  } finally {
    for (const c of clients) c.close();
  }
  if (ok < target) throw new Error(`only ${ok}/${target} establishments succeeded (${failed} failed)`);
  return failed;
}

/**
 * The load-tester's delete_after_established: as soon as the initiator
 * reports a CHILD SA up, it deletes that IKE SA (asynchronously), so the
 * number of live SAs stays near the window and each cycle costs the
 * responder one establishment and one delete.
 */
async function startDeleter(viciPath: string): Promise<{ deleted: () => number; stop: () => void }> {
  const events = await ViciClient.open(viciPath);
  const cmds = await ViciClient.open(viciPath);
  let deleted = 0;
  events.onEvent = (_name, body) => {
    if (body['up'] !== 'yes') return;
    for (const v of Object.values(body)) {
      if (typeof v !== 'object' || Array.isArray(v)) continue;
      const id = (v as Record<string, unknown>)['uniqueid'];
      if (typeof id !== 'string') continue;
      deleted++;
      cmds.request('terminate', { 'ike-id': id, timeout: '-1' }).catch(() => undefined);
    }
  };
  await events.register('child-updown');
  return {
    deleted: () => deleted,
    stop: () => {
      events.close();
      cmds.close();
    },
  };
}

async function runOne(topo: Topology, suite: Suite, responder: 'strongswan' | 'keyway', o: Opts): Promise<Result> {
  const p = pair(suite);
  const init = await startBenchCharon(topo.west, { threads: o.window + 16, logLevel: o.initLog });
  let stopResp: () => Promise<void> = () => Promise.resolve();
  try {
    await init.load(swanctlConf([p.west], [PSK]));
    let respPid: number;
    let respLog: () => string;
    if (responder === 'strongswan') {
      const r = await startBenchCharon(topo.east, { logLevel: o.charonLog });
      stopResp = r.stop;
      await r.load(swanctlConf([p.east], [PSK]));
      respPid = r.proc.pid;
      respLog = r.log;
    } else {
      const extra = ['cookie_threshold = 1000000', 'half_open_limit = 1000000'];
      const r = await startBenchKeyway({
        host: topo.east,
        conf: swanctlConf([p.east], [PSK]),
        logLevel: o.keywayLog,
        daemonExtra: extra,
        ...(o.keywayRoot === undefined ? {} : { bin: `${o.keywayRoot}/bin/keyway.js` }),
        env: {
          ...(o.keywayWorkers === undefined ? {} : { KEYWAY_CRYPTO_WORKERS: o.keywayWorkers }),
          ...(o.allInWorker ? { KEYWAY_CRYPTO_WORKER_GROUPS: 'all' } : {}),
        },
        nodeFlags: [
          ...(o.keywayProf === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${o.keywayProf}`]),
          ...(process.argv.includes('--perf-map') ? ['--perf-basic-prof'] : []),
        ],
      });
      stopResp = r.stop;
      respPid = r.proc.pid;
      respLog = r.log;
    }
    const deleter = o.cycle ? await startDeleter(init.viciPath) : undefined;
    try {
      await drive(init.viciPath, o.window, o.warmup);
      const r0: ProcSample = sampleProc(respPid);
      const i0 = sampleProc(init.proc.pid);
      const t0 = performance.now();
      const failed = await drive(init.viciPath, o.window, o.count);
      const wallS = (performance.now() - t0) / 1000;
      const r1 = sampleProc(respPid);
      const i1 = sampleProc(init.proc.pid);
      return {
        suite: suite.key,
        responder,
        n: o.count,
        failed,
        wallS,
        respCpuUs: (r1.cpuUs - r0.cpuUs) / o.count,
        respMainCpuUs: (r1.mainCpuUs - r0.mainCpuUs) / o.count,
        initCpuUs: (i1.cpuUs - i0.cpuUs) / o.count,
        rssKiBPerSa: (r1.rssKiB - r0.rssKiB) / o.count,
        threads: r1.threads,
      };
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- responder log (tail) ---\n${respLog().slice(-3000)}`);
    } finally {
      deleter?.stop();
    }
  } finally {
    await stopResp();
    await init.stop();
  }
}

interface Opts {
  readonly count: number;
  readonly warmup: number;
  readonly window: number;
  readonly charonLog: number;
  readonly initLog: number;
  readonly keywayLog: string;
  /** KEYWAY_CRYPTO_WORKERS for the daemon (undefined = its default, auto) */
  readonly keywayWorkers: string | undefined;
  readonly keywayProf: string | undefined;
  /** another Keyway tree (built) to run instead of this one, e.g. a baseline */
  readonly keywayRoot: string | undefined;
  /** X25519 in the workers too (KEYWAY_CRYPTO_WORKER_GROUPS=all) */
  readonly allInWorker: boolean;
  /** delete each IKE SA as soon as it is up (steady state) instead of keeping them */
  readonly cycle: boolean;
}

function row(cols: readonly (string | number)[]): string {
  const w = [9, 11, 6, 7, 14, 11, 14, 8, 8, 5];
  return cols.map((c, i) => (i < 2 ? String(c).padEnd(w[i] ?? 8) : String(c).padStart(w[i] ?? 8))).join(' ');
}

async function main(): Promise<void> {
  const why = missingPrereqs(['root', 'netns', 'strongswan', 'libipsec']);
  if (why !== undefined) {
    console.error(`bench:vs-strongswan needs the interop lab: ${why}`);
    process.exitCode = 2;
    return;
  }
  const workers = argStr('keyway-workers', '');
  const opts: Opts = {
    count: argNum('count', 2000),
    warmup: argNum('warmup', 300),
    window: argNum('window', 24),
    charonLog: argNum('charon-log', 1),
    initLog: argNum('init-log', 0),
    keywayLog: argStr('keyway-log', 'info'),
    keywayWorkers: workers === '' ? undefined : workers,
    keywayProf: process.argv.includes('--keyway-prof') ? argStr('keyway-prof', '/tmp') : undefined,
    cycle: argStr('mode', 'cycle') === 'cycle',
    allInWorker: process.argv.includes('--all-in-worker'),
    keywayRoot: process.argv.includes('--keyway-root') ? argStr('keyway-root', '') : undefined,
  };
  const want = argStr('suites', 'x25519,modp2048').split(',');
  const responders = argStr('responders', 'strongswan,keyway').split(',').filter((r): r is 'strongswan' | 'keyway' => r === 'strongswan' || r === 'keyway');
  const repeat = argNum('repeat', 1);
  console.log(`Responder benchmark: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`);
  console.log(`initiator: charon 5.9.8 over vici, ${opts.window} concurrent initiates; ${opts.warmup} warm-up + ${opts.count} timed IKE SA + CHILD SA (PSK) per row`);
  console.log(opts.cycle
    ? 'mode cycle: each IKE SA is deleted by the initiator once up (CPU = establishment + delete, live SAs stay near the window)'
    : 'mode keep: SAs accumulate (CPU = establishment; KiB/SA = responder memory growth)');
  console.log(`logging: charon level ${opts.charonLog} (file), Keyway ${opts.keywayLog} (file); Keyway crypto workers: ${workers === '' ? 'default (auto)' : workers}${opts.allInWorker ? ' (all groups)' : ''}`);
  console.log(row(['suite', 'responder', 'n', 'est/s', 'resp CPU µs/SA', 'main thread', 'init CPU µs/SA', 'KiB/SA', 'threads', 'fail']));
  const topo = await createTopology();
  try {
    for (let r = 0; r < repeat; r++) {
      for (const s of SUITES.filter((x) => want.includes(x.key))) {
        for (const who of responders) {
          const res = await runOne(topo, s, who, opts);
          console.log(row([
            res.suite, res.responder === 'keyway' && opts.keywayRoot !== undefined ? 'keyway-alt' : res.responder, res.n, (res.n / res.wallS).toFixed(0), res.respCpuUs.toFixed(0), res.respMainCpuUs.toFixed(0), res.initCpuUs.toFixed(0),
            res.rssKiBPerSa.toFixed(1), res.threads, res.failed,
          ]));
        }
      }
    }
  } finally {
    await topo.destroy();
  }
}

await main();
