/**
 * `keyway` command line (ARCHITECTURE B8). Talks to the daemon only through
 * the control protocol; never imports the engine. Exit codes: 0 success,
 * 1 error (daemon unreachable, command failed), 2 usage error.
 */
import { ControlClient } from '../control/client.js';
import type { Command, CommandArgs, CommandResults } from '../control/protocol.js';
import { packageVersion } from '../control/version.js';
import { checkConfig } from './check-config.js';
import {
  formatConnections,
  formatFailures,
  formatFlush,
  formatHistory,
  formatInitiate,
  formatReload,
  formatSas,
  formatStats,
  formatTerminate,
  formatVersion,
} from './format.js';
import { UsageError, parseArgv, usage, type CommandSpec, type ParsedArgs } from './grammar.js';

export const DEFAULT_SOCKET = '/run/keyway/keyway.sock';

/** Where output goes; tests substitute buffers. */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  now(): number;
}

const processIo: CliIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
  now: () => Date.now(),
};

export const COMMAND_TABLE: readonly CommandSpec[] = [
  {
    name: 'daemon',
    summary: 'run the IKE daemon',
    positionals: [],
    flags: [
      { name: 'config', value: 'FILE', help: 'configuration file (required)' },
      { name: 'foreground', help: 'stay in the foreground (log to stdout)' },
      { name: 'log-format', value: 'json|text', help: 'log line format (default json)' },
      { name: 'log-level', value: 'LEVEL', help: 'error|warn|info|debug|trace (overrides the config)' },
    ],
  },
  { name: 'check-config', summary: 'validate a configuration file', positionals: ['FILE'], flags: [] },
  { name: 'list-conns', summary: 'list loaded connections', positionals: [], flags: [] },
  {
    name: 'list-sas',
    summary: 'list IKE SAs and their CHILD SAs',
    positionals: [],
    flags: [{ name: 'ike', value: 'NAME', help: 'only SAs of this connection' }],
  },
  {
    name: 'initiate',
    summary: 'bring up a connection',
    positionals: ['CONN'],
    flags: [
      { name: 'child', value: 'NAME', help: 'only this CHILD SA' },
      { name: 'timeout', value: 'SEC', help: 'give up after SEC seconds (default 30)' },
    ],
  },
  {
    name: 'terminate',
    summary: 'delete an IKE SA (with its CHILD SAs) or one CHILD SA',
    positionals: [],
    flags: [
      { name: 'ike', value: 'ID', help: 'IKE SA unique id' },
      { name: 'child', value: 'ID', help: 'CHILD SA unique id' },
    ],
  },
  {
    name: 'rekey',
    summary: 'rekey an IKE SA or one CHILD SA now',
    positionals: [],
    flags: [
      { name: 'ike', value: 'ID', help: 'IKE SA unique id' },
      { name: 'child', value: 'ID', help: 'CHILD SA unique id' },
    ],
  },
  {
    name: 'reauth',
    summary: 'reauthenticate an IKE SA now (new IKE SA first, then the old is deleted)',
    positionals: [],
    flags: [{ name: 'ike', value: 'ID', help: 'IKE SA unique id' }],
  },
  { name: 'history', summary: 'show recent SA teardowns and their reasons', positionals: [], flags: [] },
  { name: 'stats', summary: 'show SA counts and counters', positionals: [], flags: [] },
  { name: 'failures', summary: 'show recent negotiation failures', positionals: [], flags: [] },
  { name: 'reload', summary: 'reload the configuration file', positionals: [], flags: [] },
  {
    name: 'flush',
    summary: 'delete all SAs (telling peers) and traps, remove what the dataplane installed',
    positionals: [],
    flags: [],
  },
  { name: 'version', summary: 'show CLI and daemon versions', positionals: [], flags: [] },
];

function parseId(s: string, what: string): number {
  if (!/^\d{1,15}$/.test(s)) throw new UsageError(`${what} must be a non-negative integer, got "${s}"`);
  return Number(s);
}

/** Sends one request; on --json prints the raw result, else the human form. */
async function call<C extends Command>(
  p: ParsedArgs,
  io: CliIo,
  cmd: C,
  args: CommandArgs[C],
  human: (r: CommandResults[C]) => string,
  failed: (r: CommandResults[C]) => boolean = () => false,
  timeoutMs?: number,
): Promise<number> {
  const path = p.flags.get('socket') ?? io.env['KEYWAY_SOCKET'] ?? DEFAULT_SOCKET;
  const client = await ControlClient.connect(path);
  try {
    const result = await client.request(cmd, args, timeoutMs);
    const bad = failed(result);
    if (p.flags.has('json')) io.out(`${JSON.stringify(result, null, 2)}\n`);
    else if (bad) io.err(human(result));
    else io.out(human(result));
    return bad ? 1 : 0;
  } finally {
    client.close();
  }
}

async function runDaemonCommand(p: ParsedArgs): Promise<number> {
  const configPath = p.flags.get('config');
  if (configPath === undefined || configPath === '') throw new UsageError('daemon needs --config FILE');
  const logFormat = p.flags.get('log-format');
  if (logFormat !== undefined && logFormat !== 'json' && logFormat !== 'text') {
    throw new UsageError('--log-format must be json or text');
  }
  // A variable specifier keeps tsc from requiring the module at build time
  // and keeps the daemon's code out of every other CLI invocation.
  const spec = '../daemon/main.js';
  const mod: unknown = await import(spec);
  const run: unknown = typeof mod === 'object' && mod !== null && 'runDaemon' in mod ? mod.runDaemon : undefined;
  if (typeof run !== 'function') throw new Error('daemon module does not export runDaemon()');
  const opts: Record<string, unknown> = { configPath, foreground: p.flags.has('foreground') };
  if (logFormat !== undefined) opts['logFormat'] = logFormat;
  const level = p.flags.get('log-level');
  if (level !== undefined) opts['logLevel'] = level;
  const sock = p.flags.get('socket');
  if (sock !== undefined) opts['socketPath'] = sock;
  await (run as (o: Record<string, unknown>) => Promise<void>)(opts);
  return 0;
}

async function dispatch(p: ParsedArgs, io: CliIo): Promise<number> {
  const pos = (i: number): string => p.positionals[i] ?? '';
  switch (p.command) {
    case 'daemon':
      return runDaemonCommand(p);
    case 'check-config':
      return checkConfig(pos(0), p.flags.has('json'), io);
    case 'list-conns':
      return call(p, io, 'list-conns', {}, formatConnections);
    case 'list-sas': {
      const ike = p.flags.get('ike');
      return call(p, io, 'list-sas', ike === undefined ? {} : { ike }, (r) => formatSas(r, io.now()));
    }
    case 'initiate': {
      const conn = pos(0);
      const child = p.flags.get('child');
      const t = p.flags.get('timeout');
      const args: { conn: string; child?: string; timeoutMs?: number } = { conn };
      if (child !== undefined) args.child = child;
      if (t !== undefined) {
        const sec = Number(t);
        if (!/^\d+(\.\d+)?$/.test(t) || sec <= 0 || sec > 600) throw new UsageError('--timeout must be 0 < SEC <= 600');
        args.timeoutMs = Math.ceil(sec * 1000);
      }
      return call(p, io, 'initiate', args, (r) => formatInitiate(conn, r), (r) => !r.ok);
    }
    case 'terminate': {
      const ike = p.flags.get('ike');
      const child = p.flags.get('child');
      if ((ike === undefined) === (child === undefined)) throw new UsageError('terminate needs exactly one of --ike ID or --child ID');
      const args = ike !== undefined ? { ike: parseId(ike, '--ike') } : { child: parseId(child ?? '', '--child') };
      return call(p, io, 'terminate', args, formatTerminate, (r) => !r.ok);
    }
    case 'rekey': {
      const ike = p.flags.get('ike');
      const child = p.flags.get('child');
      if ((ike === undefined) === (child === undefined)) throw new UsageError('rekey needs exactly one of --ike ID or --child ID');
      const args = ike !== undefined ? { ike: parseId(ike, '--ike') } : { child: parseId(child ?? '', '--child') };
      return call(p, io, 'rekey', args, (r) => `${r.ok ? 'rekeying' : 'no such established'} ${r.kind === 'ike' ? 'IKE' : 'CHILD'} SA #${r.id}\n`, (r) => !r.ok);
    }
    case 'reauth': {
      const ike = p.flags.get('ike');
      if (ike === undefined) throw new UsageError('reauth needs --ike ID');
      return call(p, io, 'reauth', { ike: parseId(ike, '--ike') }, (r) => `${r.ok ? 'reauthenticating' : 'no such established'} IKE SA #${r.id}\n`, (r) => !r.ok);
    }
    case 'history':
      return call(p, io, 'history', {}, formatHistory);
    case 'stats':
      return call(p, io, 'stats', {}, formatStats);
    case 'failures':
      return call(p, io, 'failures', {}, formatFailures);
    case 'reload':
      return call(p, io, 'reload', {}, formatReload, (r) => !r.ok);
    case 'flush':
      // the daemon waits up to 5 s for the peers' answers, then removes kernel state one message at a time
      return call(p, io, 'flush', {}, formatFlush, (r) => !r.ok, 60_000);
    case 'version':
      return call(p, io, 'version', {}, (r) => formatVersion(packageVersion(), r));
    default:
      throw new UsageError(`unknown command "${p.command}"`);
  }
}

/** Runs one CLI invocation and returns the process exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgv(argv, COMMAND_TABLE);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`keyway: ${e.message}\n\n${usage(COMMAND_TABLE)}`);
      return 2;
    }
    throw e;
  }
  if (parsed.flags.has('help')) {
    io.out(usage(COMMAND_TABLE, parsed.command === 'help' ? undefined : parsed.command));
    return 0;
  }
  try {
    return await dispatch(parsed, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`keyway: ${e.message}\n\n${usage(COMMAND_TABLE, parsed.command)}`);
      return 2;
    }
    const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? ` (${e.code})` : '';
    io.err(`keyway: ${e instanceof Error ? e.message : String(e)}${code}\n`);
    return 1;
  }
}
