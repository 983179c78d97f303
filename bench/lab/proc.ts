/**
 * CPU time and memory of another process (and all its threads) from /proc,
 * so a benchmark can charge each daemon for exactly what it used.
 *
 * /proc/PID/stat fields 14 and 15 (utime, stime) are in clock ticks
 * (USER_HZ, 100 on Linux x86); /proc/PID/status VmRSS is in KiB.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100;

export interface ProcSample {
  /** user + system CPU in microseconds, all threads */
  readonly cpuUs: number;
  /** the same for the main thread only (Node's event loop; charon's first thread) */
  readonly mainCpuUs: number;
  readonly rssKiB: number;
  readonly threads: number;
}

function cpuTicks(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // comm (field 2) may contain spaces: split after its closing parenthesis
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime = field 14 -> rest[11], stime -> rest[12]
  return Number(rest[11] ?? 0) + Number(rest[12] ?? 0);
}

export function sampleProc(pid: number): ProcSample {
  const ticks = cpuTicks(`/proc/${pid}/stat`);
  // the thread whose id is the pid is the main thread (Node's event loop)
  const mainTicks = cpuTicks(`/proc/${pid}/task/${pid}/stat`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+)/m.exec(status);
  const thr = /^Threads:\s+(\d+)/m.exec(status);
  return {
    cpuUs: (ticks * 1e6) / TICKS_PER_S,
    mainCpuUs: (mainTicks * 1e6) / TICKS_PER_S,
    rssKiB: Number(rss?.[1] ?? 0),
    threads: Number(thr?.[1] ?? 0),
  };
}

export function procName(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}
