/**
 * A UDP "ping" for the tunnel tests (the lab does not depend on iputils):
 *
 *   node udp-echo.js server <bind-addr> <port>            echoes every datagram back
 *   node udp-echo.js client <src> <dst> <port> <count> <size>
 *       sends <count> datagrams of <size> bytes one at a time, waits up to 2 s
 *       for each echo, prints {"sent":n,"received":m} and exits 0 if all came back
 *
 * Run inside a namespace with `ip netns exec`. Each datagram is an IPv4 packet
 * of 28 + size bytes (IPv6: 48 + size), which the tests use to predict SA
 * byte counters. IPv6 addresses select udp6 sockets.
 */
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { repoPath } from '../../helpers/paths.js';
import { run, start } from './exec.js';
import type { Started } from './exec.js';
import type { Host } from './topology.js';

export const ECHO_PORT = 7777;
const script = (): string => repoPath('dist', 'test', 'interop', 'lab', 'udp-echo.js');

/** Starts an echo server in the host's namespace (stop it with `.stop()`). */
export async function startEchoServer(host: Host, bind: string, port = ECHO_PORT): Promise<Started> {
  const p = start(host.exec([process.execPath, script(), 'server', bind, String(port)]));
  // wait for "listening" so the first datagram is not refused
  for (let i = 0; i < 100 && !p.output().includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
  return p;
}

export interface EchoResult {
  readonly sent: number;
  readonly received: number;
  readonly output: string;
}

/**
 * Sends `count` datagrams of `size` bytes from `src` to `dst` and counts the
 * echoes; `intervalMs` paces them (a steady stream across rekeys).
 */
export async function udpPing(host: Host, src: string, dst: string, count = 3, size = 56, port = ECHO_PORT, intervalMs = 0): Promise<EchoResult> {
  const r = await run(host.exec([process.execPath, script(), 'client', src, dst, String(port), String(count), String(size), String(intervalMs)]), {
    timeoutMs: 5_000 + count * (2_500 + intervalMs),
  });
  const m = /\{"sent":(\d+),"received":(\d+)\}/.exec(r.stdout);
  return { sent: Number(m?.[1] ?? -1), received: Number(m?.[2] ?? -1), output: r.stdout + r.stderr };
}

function udpType(addr: string): 'udp4' | 'udp6' {
  return addr.includes(':') ? 'udp6' : 'udp4';
}

function server(bind: string, port: number): void {
  const s = createSocket(udpType(bind));
  s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
  s.bind(port, bind, () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => process.exit(0));
}

async function client(src: string, dst: string, port: number, count: number, size: number, intervalMs = 0): Promise<void> {
  const s = createSocket(udpType(dst));
  await new Promise<void>((r) => s.bind(0, src, () => r()));
  let received = 0;
  for (let i = 0; i < count; i++) {
    const payload = Buffer.alloc(size, i & 0xff);
    const got = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 2_000);
      s.once('message', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    s.send(payload, port, dst);
    if (await got) received++;
    if (intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
  }
  process.stdout.write(`${JSON.stringify({ sent: count, received })}\n`);
  s.close();
  process.exitCode = received === count ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, a, b, c, d, e, f] = process.argv.slice(2);
  if (mode === 'server' && a !== undefined && b !== undefined) server(a, Number(b));
  else if (mode === 'client' && a !== undefined && b !== undefined && c !== undefined) void client(a, b, Number(c), Number(d ?? 3), Number(e ?? 56), Number(f ?? 0));
  else {
    process.stderr.write('usage: udp-echo.js server <addr> <port> | client <src> <dst> <port> <count> <size>\n');
    process.exitCode = 2;
  }
}
