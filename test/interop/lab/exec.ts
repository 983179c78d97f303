/**
 * Process helpers for the interop lab: run a command to completion with a
 * deadline, or start a long-lived one whose pid is tracked so that it is
 * killed on every exit path (test failure, exception, Ctrl-C).
 *
 * Processes are always ended by their own pid, never by name: other lab runs
 * (and other engineers' daemons) may be running on the same machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
}

/** A command failed (non-zero exit or timeout); carries its output for the test log. */
export class LabCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(
      `command failed (code ${String(result.code)}, signal ${String(result.signal)}): ${argv.join(' ')}\n` +
        `stdout: ${result.stdout.slice(-2000)}\nstderr: ${result.stderr.slice(-2000)}`,
    );
    this.name = 'LabCommandError';
  }
}

/** Run argv to completion; resolves even on failure (check `code`). */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new Error('run: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (child.stdin !== null) {
      // a command that exits without reading its input must not crash us (EPIPE)
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
    }
  });
}

/** Run argv and throw LabCommandError unless it exits 0. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new LabCommandError(argv, r);
  return r;
}

/** Synchronous variant, for exit handlers only. Never throws. */
export function runSyncQuiet(argv: readonly string[]): void {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return;
  try {
    spawnSync(cmd, args, { stdio: 'ignore', timeout: 5_000 });
  } catch {
    // best effort during teardown
  }
}

/** Every long-lived process started by the lab in this Node process. */
const tracked = new Set<ChildProcess>();
/** Synchronous cleanups (namespace deletion) to run if the process exits early. */
const exitHooks = new Set<() => void>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const cleanupAll = (): void => {
    for (const c of tracked) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    tracked.clear();
    for (const h of exitHooks) h();
    exitHooks.clear();
  };
  process.on('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanupAll();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Register a synchronous cleanup for abnormal exits; returns an unregister function. */
export function onAbnormalExit(hook: () => void): () => void {
  installExitHandlers();
  exitHooks.add(hook);
  return () => {
    exitHooks.delete(hook);
  };
}

export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the process wrote so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** Start a long-lived process, tracked for cleanup. */
export function start(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Started {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('start: empty argv');
  installExitHandlers();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  const pid = child.pid;
  tracked.add(child);
  let buf = '';
  const append = (b: Buffer): void => {
    // keep the tail only: a debug-level daemon can be chatty
    buf = (buf + b.toString('utf8')).slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  void exited.then(() => tracked.delete(child));
  const stop = async (graceMs = 3_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { child, pid, output: () => buf, exited, stop };
}

/** Poll `check` every intervalMs until it returns true or timeoutMs passes. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
