/**
 * The Keyway daemon under test, in a namespace:
 *   ip netns exec NS node bin/keyway.js daemon --config FILE
 * driven through its CLI on the control socket:
 *   node bin/keyway.js <cmd> --socket PATH --json
 * Its config is swanctl.conf syntax plus a `daemon { }` section. With
 * `keylog` set it writes one tshark ikev2_decryption_table line per IKE SA.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../../helpers/paths.js';
import type { FailureRecord, IkeSaInfo } from '../../../src/ike/info.js';
import { run, start, waitFor } from './exec.js';
import type { RunResult, Started } from './exec.js';
import type { Host } from './topology.js';

export const keywayBin: string = repoPath('bin', 'keyway.js');

export interface KeywayOptions {
  readonly host: Host;
  /** `connections { } secrets { }` text (see swanctlConf) */
  readonly conf: string;
  readonly logLevel?: string;
  readonly keylog?: boolean;
  /** default `memory`; `userspace` needs root and /dev/net/tun */
  readonly dataplane?: 'memory' | 'userspace';
  /** extra `key = value` lines for the daemon section (e.g. tun_addresses, nat_keepalive) */
  readonly daemonExtra?: readonly string[];
}

export interface Keyway {
  readonly dir: string;
  readonly socketPath: string;
  readonly configPath: string;
  readonly keylogPath: string | undefined;
  readonly proc: Started;
  /** Run a CLI command (with --socket); no --json, no parsing. */
  cliRaw(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** Run a CLI command with --json and parse stdout; throws on non-zero exit. */
  cli(args: readonly string[], timeoutMs?: number): Promise<unknown>;
  listSas(): Promise<IkeSaInfo[]>;
  failures(): Promise<FailureRecord[]>;
  initiate(conn: string, child?: string): Promise<RunResult>;
  terminateIke(id: number): Promise<RunResult>;
  /** Lines of the keylog file (empty when keylog is off or nothing written yet). */
  keylog(): string[];
  /** Daemon stdout+stderr so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

function daemonSection(o: KeywayOptions, sock: string, keylog: string | undefined): string {
  return [
    'daemon {',
    `  listen = ${o.host.address}`,
    '  port = 500',
    '  nat_port = 4500',
    `  control_socket = ${sock}`,
    `  dataplane = ${o.dataplane ?? 'memory'}`,
    `  log_level = ${o.logLevel ?? 'debug'}`,
    ...(o.daemonExtra ?? []).map((l) => `  ${l}`),
    ...(keylog === undefined ? [] : [`  keylog = ${keylog}`]),
    '}',
    '',
  ].join('\n');
}

function asArray(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`keyway ${what} --json: expected an array, got ${JSON.stringify(v)}`);
  return v as unknown[];
}

export async function startKeyway(o: KeywayOptions): Promise<Keyway> {
  if (!existsSync(keywayBin)) throw new Error(`Keyway daemon not built: ${keywayBin} does not exist`);
  const dir = mkdtempSync(join(tmpdir(), `kw-keyway-${o.host.ns}-`));
  const socketPath = join(dir, 'keyway.sock');
  const keylogPath = o.keylog === true ? join(dir, 'keys.txt') : undefined;
  const configPath = join(dir, 'keyway.conf');
  writeFileSync(configPath, daemonSection(o, socketPath, keylogPath) + o.conf, { mode: 0o600 });
  const proc = start(o.host.exec([process.execPath, keywayBin, 'daemon', '--config', configPath]));

  const cliRaw = (args: readonly string[], timeoutMs = 20_000): Promise<RunResult> =>
    run([process.execPath, keywayBin, ...args, '--socket', socketPath], { timeoutMs });
  const cli = async (args: readonly string[], timeoutMs?: number): Promise<unknown> => {
    const r = await cliRaw([...args, '--json'], timeoutMs);
    if (r.code !== 0) throw new Error(`keyway ${args.join(' ')} failed (${String(r.code)}): ${r.stderr}${r.stdout}`);
    try {
      return JSON.parse(r.stdout) as unknown;
    } catch {
      throw new Error(`keyway ${args.join(' ')} --json printed non-JSON: ${r.stdout.slice(0, 500)}`);
    }
  };
  try {
    await waitFor('Keyway control socket', async () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null)
        throw new Error(`keyway daemon exited early (${String(proc.child.exitCode)}):\n${proc.output()}`);
      if (!existsSync(socketPath)) return false;
      return (await cliRaw(['list-sas', '--json'], 3_000)).code === 0;
    }, 15_000);
  } catch (e) {
    await proc.stop();
    if (process.env['KEYWAY_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    socketPath,
    configPath,
    keylogPath,
    proc,
    cliRaw,
    cli,
    async listSas() {
      return asArray(await cli(['list-sas']), 'list-sas') as IkeSaInfo[];
    },
    async failures() {
      return asArray(await cli(['failures']), 'failures') as FailureRecord[];
    },
    initiate(conn, child) {
      return cliRaw(['initiate', conn, ...(child === undefined ? [] : ['--child', child])], 30_000);
    },
    terminateIke(id) {
      return cliRaw(['terminate', '--ike', String(id)]);
    },
    keylog() {
      if (keylogPath === undefined || !existsSync(keylogPath)) return [];
      return readFileSync(keylogPath, 'utf8').split('\n').filter((l) => l.trim() !== '');
    },
    output: () => proc.output(),
    async stop() {
      await proc.stop();
      if (process.env['KEYWAY_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}
