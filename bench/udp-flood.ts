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
 * The sender keeps a bounded number of sends in flight (setImmediate between
 * bursts) so it neither starves its event loop nor floods its own memory.
 */
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';

function sink(bind: string, port: number): void {
  const s = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  let packets = 0;
  let bytes = 0;
  let firstMs = 0;
  let lastMs = 0;
  s.on('message', (m) => {
    const now = performance.now();
    if (packets === 0) firstMs = now;
    lastMs = now;
    packets++;
    bytes += m.length;
  });
  s.bind(port, bind, () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ packets, bytes, firstMs, lastMs })}\n`);
    process.exit(0);
  });
}

function send(src: string, dst: string, port: number, size: number, seconds: number, rate: number): void {
  const s = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
  const payload = Buffer.alloc(size, 0x5a);
  let sent = 0;
  s.bind(0, src, () => {
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    const burst = (): void => {
      const now = performance.now();
      if (now >= end) {
        process.stdout.write(`${JSON.stringify({ sent })}\n`);
        s.close();
        return;
      }
      const due = rate > 0 ? Math.min(64, Math.floor(((now - t0) / 1000) * rate) - sent) : 32;
      for (let i = 0; i < due; i++) s.send(payload, port, dst);
      sent += Math.max(0, due);
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
