/**
 * A Keyway daemon in a namespace, `dataplane = xfrm` by default (or
 * `userspace` / `memory`), driven through its CLI. Works on the host and
 * inside User-mode Linux (generous timeouts).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FailureRecord, IkeSaInfo } from '../../../src/ike/info.js';
import { keywayBin } from '../../interop/lab/keyway.js';
import { run, start, waitFor, type RunResult, type Started } from '../../interop/lab/exec.js';

export interface KwOptions {
  readonly ns: string;
  readonly address: string;
  /** swanctl.conf `connections { } secrets { }` text */
  readonly conf: string;
  readonly dataplane?: 'xfrm' | 'memory' | 'userspace';
  /** extra `key = value` lines for the daemon section (e.g. tun_name, xfrm_reqid_tag) */
  readonly daemonExtra?: readonly string[];
  /** write the debug key log (tshark formats) to `<dir>/keys.log` and `<dir>/keys.log.esp_sa` */
  readonly keylog?: boolean;
  /** generous: User-mode Linux is about 20x slower at syscalls */
  readonly startTimeoutMs?: number;
}

export interface Kw {
  readonly dir: string;
  /** `<dir>/keys.log` when keylog is on */
  readonly keylogPath: string | undefined;
  readonly proc: Started;
  cli(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  json(args: readonly string[], timeoutMs?: number): Promise<unknown>;
  listSas(): Promise<IkeSaInfo[]>;
  failures(): Promise<FailureRecord[]>;
  output(): string;
  stop(): Promise<void>;
}

export async function startKw(o: KwOptions): Promise<Kw> {
  const dir = mkdtempSync(join(tmpdir(), `kw-${o.ns}-`));
  const sock = join(dir, 'keyway.sock');
  const cfg = join(dir, 'keyway.conf');
  const keylogPath = o.keylog === true ? join(dir, 'keys.log') : undefined;
  const daemon = [
    'daemon {',
    `  listen = ${o.address}`,
    '  port = 500',
    '  nat_port = 4500',
    `  control_socket = ${sock}`,
    `  dataplane = ${o.dataplane ?? 'xfrm'}`,
    '  log_level = debug',
    ...(keylogPath !== undefined ? [`  keylog = ${keylogPath}`] : []),
    ...(o.daemonExtra ?? []).map((l) => `  ${l}`),
    '}',
    '',
  ].join('\n');
  writeFileSync(cfg, daemon + o.conf, { mode: 0o600 });
  const proc = start(['ip', 'netns', 'exec', o.ns, process.execPath, keywayBin, 'daemon', '--config', cfg]);
  const cli = (args: readonly string[], timeoutMs = 60_000): Promise<RunResult> =>
    run([process.execPath, keywayBin, ...args, '--socket', sock], { timeoutMs });
  const json = async (args: readonly string[], timeoutMs?: number): Promise<unknown> => {
    const r = await cli([...args, '--json'], timeoutMs);
    if (r.code !== 0) throw new Error(`keyway ${args.join(' ')}: exit ${String(r.code)}: ${r.stderr}${r.stdout}`);
    return JSON.parse(r.stdout) as unknown;
  };
  try {
    await waitFor('keyway control socket', async () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`keyway exited early:\n${proc.output()}`);
      return existsSync(sock) && (await cli(['list-sas', '--json'], 20_000)).code === 0;
    }, o.startTimeoutMs ?? 60_000, 250);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return {
    dir,
    keylogPath,
    proc,
    cli,
    json,
    listSas: async () => (await json(['list-sas'])) as IkeSaInfo[],
    failures: async () => (await json(['failures'])) as FailureRecord[],
    output: () => proc.output(),
    async stop() {
      await proc.stop(20_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
