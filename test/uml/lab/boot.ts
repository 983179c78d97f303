/**
 * Boots User-mode Linux once (LAB.md §4): the host's root read-only over
 * hostfs, scripts/uml/guest-init.sh as PID 1, a fresh work folder shared
 * read-write for results. Returns the guest's results.json, its log and the
 * wall-clock time. The UML process is ended by its pid on every path.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath, repoRoot } from '../../helpers/paths.js';
import type { ScenarioResult } from '../guest/record.js';

export interface BootResult {
  readonly results: readonly ScenarioResult[];
  readonly guestLog: string;
  readonly console: string;
  readonly ms: number;
  readonly exitCode: number | null;
  /** files the guest left in `<work>/artifacts/` (captures, key lines), read before the folder goes */
  readonly artifacts: ReadonlyMap<string, Buffer>;
}

/** at most this much of the guest's artifacts is kept in memory */
const MAX_ARTIFACT_BYTES = 32 * 1024 * 1024;

function readArtifacts(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!existsSync(dir)) return out;
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (!st.isFile() || total + st.size > MAX_ARTIFACT_BYTES) continue;
    total += st.size;
    out.set(name, readFileSync(p));
  }
  return out;
}

export async function bootUml(umlBinary: string, timeoutMs: number): Promise<BootResult> {
  const work = mkdtempSync(join(tmpdir(), 'kw-uml-'));
  const t0 = Date.now();
  const args = [
    'mem=1536M',
    'rootfstype=hostfs',
    'rootflags=/',
    'ro',
    `init=${repoPath('scripts', 'uml', 'guest-init.sh')}`,
    'con=null',
    'con0=null,fd:1',
    // unknown "name=value" parameters become init's environment
    `KW_WORK=${work}`,
    `KW_REPO=${repoRoot}`,
  ];
  let consoleOut = '';
  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(umlBinary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: work } });
      const keep = (b: Buffer): void => {
        consoleOut = (consoleOut + b.toString('utf8')).slice(-100_000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => {
        if (child.pid !== undefined) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }, timeoutMs);
      const onExit = (): void => {
        if (child.pid !== undefined && child.exitCode === null) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      };
      process.once('exit', onExit);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        process.off('exit', onExit);
        resolve(code);
      });
    });
    const resultsPath = join(work, 'results.json');
    const results = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as { results: ScenarioResult[] }).results : [];
    const logPath = join(work, 'guest.log');
    const guestLog = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    return { results, guestLog, console: consoleOut, ms: Date.now() - t0, exitCode, artifacts: readArtifacts(join(work, 'artifacts')) };
  } finally {
    if (process.env['KEYWAY_KEEP_LAB'] !== '1') rmSync(work, { recursive: true, force: true });
  }
}
