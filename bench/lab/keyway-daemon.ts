/**
 * The real Keyway daemon (bin/keyway.js daemon) in a namespace for a load
 * benchmark. Unlike the interop helper, its log goes to a file (as charon's
 * does), not through a pipe that the benchmark process would have to drain
 * on the same two cores.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keywayBin } from '../../test/interop/lab/keyway.js';
import { start, waitFor, type Started } from '../../test/interop/lab/exec.js';
import type { Host } from '../../test/interop/lab/topology.js';

export interface BenchKeyway {
  readonly dir: string;
  readonly proc: Started;
  log(): string;
  stop(): Promise<void>;
}

export interface BenchKeywayOptions {
  readonly host: Host;
  /** `connections { } secrets { }` text */
  readonly conf: string;
  readonly logLevel: string;
  /** extra `key = value` lines for the daemon section */
  readonly daemonExtra?: readonly string[];
  /** extra environment for the daemon (e.g. KEYWAY_CRYPTO_WORKERS) */
  readonly env?: Readonly<Record<string, string>>;
  /** another build's bin/keyway.js (before/after comparisons); default this repo's */
  readonly bin?: string;
  /** extra node flags, e.g. --cpu-prof */
  readonly nodeFlags?: readonly string[];
}

export async function startBenchKeyway(o: BenchKeywayOptions): Promise<BenchKeyway> {
  const bin = o.bin ?? keywayBin;
  if (!existsSync(bin)) throw new Error(`Keyway not built: ${bin}`);
  const dir = mkdtempSync(join(tmpdir(), `kw-bench-keyway-${o.host.ns}-`));
  const sock = join(dir, 'keyway.sock');
  const logPath = join(dir, 'keyway.log');
  const configPath = join(dir, 'keyway.conf');
  const daemon = [
    'daemon {',
    `  listen = ${o.host.address}`,
    '  port = 500',
    '  nat_port = 4500',
    `  control_socket = ${sock}`,
    '  dataplane = memory',
    `  log_level = ${o.logLevel}`,
    ...(o.daemonExtra ?? []).map((l) => `  ${l}`),
    '}',
    '',
  ].join('\n');
  writeFileSync(configPath, daemon + o.conf, { mode: 0o600 });
  const flags = (o.nodeFlags ?? []).map((f) => `'${f.replace(/'/g, '')}'`).join(' ');
  // sh execs node, so the tracked pid is the daemon's own
  const cmd = `cd '${dir}' && exec '${process.execPath}' ${flags} '${bin}' daemon --config '${configPath}' > '${logPath}' 2>&1`;
  const proc = start(o.host.exec(['sh', '-c', cmd]), { ...process.env, ...(o.env ?? {}) });
  const log = (): string => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  const cleanup = async (): Promise<void> => {
    await proc.stop(10_000);
    if (process.env['KEYWAY_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('Keyway daemon start', () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`keyway exited early:\n${log()}`);
      // the control socket is bound after the engine and the UDP sockets are up
      return existsSync(sock);
    }, 15_000);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { dir, proc, log, stop: cleanup };
}
