/**
 * Traffic source and sink for bench/esp-throughput.ts, run inside a namespace:
 *
 *   node udp-flood.js sink <bind> <port>                  counts datagrams until SIGTERM,
 *                                                         then prints {"packets":n,"bytes":b,"firstMs":t0,"lastMs":t1}
 *   node udp-flood.js send <src> <dst> <port> <size> <seconds> [ratePps]
 *                                                         sends <size>-byte datagrams as fast as
 *                                                         possible (or at ratePps) for <seconds>,
 *                                                         prints {"sent":n}
 *
 * Both share the machine with the two daemons being measured, so they are
 * made cheap per packet: with the native addon the sender uses sendmmsg (64
 * datagrams per system call) and the sink recvmmsg; without it node:dgram.
 * The sender yields to its event loop between bursts (setImmediate) so it
 * never floods its own memory.
 */
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../src/native/addon.js';

const BURST = 64;

/** node:dgram's descriptor (the addon reads and writes it directly); -1 when hidden */
function fdOf(s: Socket): number {
  const h = (s as unknown as { _handle?: { fd?: number; recvStop?: () => number } })._handle;
  return typeof h?.fd === 'number' ? h.fd : -1;
}

function sink(bind: string, port: number): void {
  const s = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  let packets = 0;
  let bytes = 0;
  let firstMs = 0;
  let lastMs = 0;
  const count = (n: number, len: number): void => {
    const now = performance.now();
    if (packets === 0) firstMs = now;
    lastMs = now;
    packets += n;
    bytes += len;
  };
  s.on('message', (m) => count(1, m.length));
  s.bind(port, bind, () => {
    const native = loadNative();
    const fd = fdOf(s);
    const h = (s as unknown as { _handle?: { recvStop?: () => number } })._handle;
    if (native !== undefined && fd >= 0 && h?.recvStop !== undefined) {
      // read with recvmmsg on a duplicate descriptor; node:dgram stops reading
      h.recvStop();
      const dup = native.dupFd(fd);
      const slot = 2048;
      const buf = Buffer.allocUnsafeSlow(slot * BURST);
      const meta = new Uint32Array(10 * BURST);
      native.pollReadable(dup, () => {
        for (let round = 0; round < 8; round++) {
          const n = native.recvmmsgInto(dup, buf, slot, meta, BURST);
          let len = 0;
          for (let i = 0; i < n; i++) len += meta[10 * i] ?? 0;
          if (n > 0) count(n, len);
          if (n < BURST) return;
        }
      });
    }
    process.stdout.write('listening\n');
  });
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ packets, bytes, firstMs, lastMs })}\n`);
    process.exit(0);
  });
}

function send(src: string, dst: string, port: number, size: number, seconds: number, rate: number): void {
  const s = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
  const payload = Buffer.alloc(size, 0x5a);
  const native = loadNative();
  // BURST copies of the payload back to back, for sendmmsg
  const many = Buffer.alloc(size * BURST, 0x5a);
  const meta = new Uint32Array(2 * BURST);
  for (let i = 0; i < BURST; i++) {
    meta[2 * i] = i * size;
    meta[2 * i + 1] = size;
  }
  const stats = new Uint32Array(3);
  const dstBytes = Uint8Array.from(dst.split('.').map(Number));
  let sent = 0;
  s.bind(0, src, () => {
    const fd = fdOf(s);
    const burstOf = (n: number): number => {
      if (native === undefined || fd < 0) {
        for (let i = 0; i < n; i++) s.send(payload, port, dst);
        return n;
      }
      // a full socket buffer (EAGAIN) ends a burst early: count what left
      return native.sendmmsgTo(fd, 4, dstBytes, port, many, meta, n, false, stats);
    };
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    const burst = (): void => {
      const now = performance.now();
      if (now >= end) {
        process.stdout.write(`${JSON.stringify({ sent })}\n`);
        s.close();
        return;
      }
      const due = rate > 0 ? Math.min(BURST, Math.floor(((now - t0) / 1000) * rate) - sent) : BURST;
      if (due > 0) sent += burstOf(due);
      if (due <= 0) setTimeout(burst, 1);
      else setImmediate(burst);
    };
    burst();
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, a, b, c, d, e, f] = process.argv.slice(2);
  if (mode === 'sink' && a !== undefined && b !== undefined) sink(a, Number(b));
  else if (mode === 'send' && a !== undefined && b !== undefined && c !== undefined) send(a, b, Number(c), Number(d ?? 1372), Number(e ?? 5), Number(f ?? 0));
  else {
    process.stderr.write('usage: udp-flood.js sink <addr> <port> | send <src> <dst> <port> <size> <seconds> [ratePps]\n');
    process.exitCode = 2;
  }
}
