/** Small helpers for the guest scenarios: commands in namespaces, ping, xfrm listings. */
import { run, runOk } from '../../interop/lab/exec.js';

export async function sh(ns: string, argv: readonly string[], timeoutMs = 60_000): Promise<string> {
  return (await runOk(['ip', 'netns', 'exec', ns, ...argv], { timeoutMs })).stdout;
}

/** busybox ping (the host image has no iputils); true when at least one reply came back. */
export async function ping(ns: string, from: string, to: string, count = 3): Promise<{ ok: boolean; out: string }> {
  const r = await run(['ip', 'netns', 'exec', ns, 'busybox', 'ping', '-c', String(count), '-W', '3', '-I', from, to], { timeoutMs: 60_000 });
  const m = /(\d+) packets received/.exec(r.stdout);
  return { ok: m !== null && Number(m[1]) > 0, out: (r.stdout + r.stderr).slice(-600) };
}

/** Pings until one gets through (traffic-triggered negotiation drops the first packets). */
export async function pingUntil(ns: string, from: string, to: string, timeoutMs: number): Promise<{ ok: boolean; tries: number; out: string }> {
  const deadline = Date.now() + timeoutMs;
  let tries = 0;
  let out = '';
  while (Date.now() < deadline) {
    tries++;
    const r = await ping(ns, from, to, 1);
    out = r.out;
    if (r.ok) return { ok: true, tries, out };
  }
  return { ok: false, tries, out };
}

export async function xfrm(ns: string): Promise<{ state: string; policy: string }> {
  return { state: await sh(ns, ['ip', 'xfrm', 'state']), policy: await sh(ns, ['ip', 'xfrm', 'policy']) };
}
