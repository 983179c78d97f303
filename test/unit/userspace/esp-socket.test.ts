/**
 * Batched ESP-in-UDP I/O (esp-socket.ts, esp-sockets.ts) on real loopback
 * sockets of a UdpTransport: sendmmsg with UDP GSO, recvmmsg (with and
 * without UDP GRO), the demux of what is not ESP back to the transport (IKE
 * behind the non-ESP marker, NAT keepalives, RFC 3948 §2.2-2.3), the GSO
 * fallback, and node:dgram reading again after close. No root needed.
 */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Datagram, Endpoint } from '../../../src/ike/ports.js';
import { DataplaneCounters } from '../../../src/kernel/userspace/counters.js';
import { EspSockets } from '../../../src/kernel/userspace/esp-sockets.js';
import { loadNative } from '../../../src/native/addon.js';
import { UdpTransport } from '../../../src/transport/udp.js';

const native = loadNative();
const skip = native === undefined ? 'native addon not built' : false;

/** An ESP-looking datagram: SPI (never 0) then a recognisable body. */
function esp(i: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  b[0] = 0x11;
  b[3] = 0x22;
  b[4] = i >> 8;
  b[5] = i & 0xff;
  for (let k = 8; k < len; k++) b[k] = (i + k) & 0xff;
  return b;
}

function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > end) reject(new Error('timed out'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

interface End {
  readonly t: UdpTransport;
  readonly ike: Datagram[];
  readonly dgramEsp: Datagram[];
  readonly natt: Endpoint;
}

async function end(address: string): Promise<End> {
  const ike: Datagram[] = [];
  const dgramEsp: Datagram[] = [];
  const t = await UdpTransport.open({ listen: [address], port: 0, natPort: 0, onIke: (d) => ike.push(d), onEsp: (d) => dgramEsp.push(d) });
  const s = t.sockets.find((x) => x.role === 'natt');
  assert.ok(s !== undefined);
  return { t, ike, dgramEsp, natt: { address: s.address, port: s.port } };
}

describe('batched ESP socket I/O', { skip }, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  async function setup(gro: boolean): Promise<{ a: End; b: End; sa: EspSockets; sb: EspSockets; got: Uint8Array[]; ca: DataplaneCounters; cb: DataplaneCounters; batches: number[] }> {
    assert.ok(native !== undefined);
    const a = await end('127.0.0.1');
    const b = await end('127.0.0.2');
    cleanup.push(() => a.t.close(), () => b.t.close());
    const got: Uint8Array[] = [];
    const batches: number[] = [];
    let inBatch = 0;
    const ca = new DataplaneCounters();
    const cb = new DataplaneCounters();
    const sa = EspSockets.open(a.t, { fromEsp: () => undefined, endBatch: () => undefined }, { native, counters: ca, gso: true, gro: false });
    const sb = EspSockets.open(
      b.t,
      {
        // copy: the view is only valid during the call
        fromEsp: (bytes) => {
          got.push(new Uint8Array(bytes));
          inBatch++;
        },
        endBatch: () => {
          batches.push(inBatch);
          inBatch = 0;
        },
      },
      { native, counters: cb, gso: true, gro },
    );
    cleanup.push(() => sa.close(), () => sb.close());
    assert.equal(sa.size, 1);
    assert.equal(sb.size, 1);
    return { a, b, sa, sb, got, ca, cb, batches };
  }

  for (const gro of [false, true]) {
    test(`a burst of equal-size packets goes out as GSO and arrives whole and in order (GRO ${gro ? 'on' : 'off'})`, async () => {
      const { a, b, sa, got, ca, cb, batches } = await setup(gro);
      const sent: Uint8Array[] = [];
      // 150 packets in three flushes (64, 64, 22: a GSO run each, the last packet shorter),
      // waiting in between so that the default receive buffer is never overrun
      for (let i = 0; i < 150; i++) sent.push(esp(i, i === 149 ? 333 : 1200));
      for (const [from, to] of [[0, 64], [64, 128], [128, 150]] as const) {
        for (const p of sent.slice(from, to)) assert.ok(sa.queue(a.natt, b.natt, [p.subarray(0, 100), p.subarray(100)], p.length));
        sa.flush();
        await until(() => got.length >= to);
      }
      assert.deepEqual(got, sent);
      assert.equal(ca.get('udp.tx.esp'), 150);
      assert.equal(ca.get('esp.io.tx.batches'), 3);
      assert.equal(cb.get('udp.rx.esp'), 150);
      assert.equal(batches.reduce((x, y) => x + y, 0), 150);
      // GRO hands a GSO run over as one datagram: far fewer receive slots than packets
      if (gro) assert.ok(batches.length <= 10, `receive bursts: ${batches.length}`);
      assert.equal(b.dgramEsp.length, 0, 'node:dgram no longer reads the socket');
    });
  }

  test('IKE behind the non-ESP marker and keepalives go back to the transport with the right source', async () => {
    const { a, b, got } = await setup(false);
    const ike = new Uint8Array(40).fill(7);
    a.t.send({ local: a.natt, remote: b.natt, bytes: ike });
    a.t.sendKeepalive(a.natt, b.natt);
    await until(() => b.ike.length === 1 && (b.t.counters()['udp.rx.keepalive'] ?? 0) === 1);
    assert.deepEqual(new Uint8Array(b.ike[0]?.bytes ?? []), ike, 'marker removed by the transport demux');
    assert.deepEqual(b.ike[0]?.remote, a.natt);
    assert.deepEqual(b.ike[0]?.local, b.natt);
    assert.equal(got.length, 0);
  });

  test('IPv6: source address and port of an IKE datagram survive the hand-over', async (t) => {
    assert.ok(native !== undefined);
    let v6: End;
    try {
      v6 = await end('::1');
    } catch {
      t.skip('no IPv6 loopback');
      return;
    }
    cleanup.push(() => v6.t.close());
    const s = EspSockets.open(v6.t, { fromEsp: () => undefined, endBatch: () => undefined }, { native, counters: new DataplaneCounters(), gso: true, gro: false });
    cleanup.push(() => s.close());
    const u = createSocket({ type: 'udp6', ipv6Only: true });
    cleanup.push(() => {
      u.close();
    });
    await new Promise<void>((r) => u.bind(0, '::1', () => r()));
    u.send(Buffer.concat([Buffer.alloc(4), Buffer.alloc(40, 9)]), v6.natt.port, '::1');
    await until(() => v6.ike.length === 1);
    assert.deepEqual(v6.ike[0]?.remote, { address: '::1', port: u.address().port });
  });

  test('the kernel refusing GSO (SO_NO_CHECK) falls back to single datagrams, counted', async () => {
    const { a, b, sa, got, ca } = await setup(false);
    assert.ok(native !== undefined);
    const fd = a.t.socketFds().find((s) => s.role === 'natt')?.fd ?? -1;
    // SOL_SOCKET / SO_NO_CHECK: UDP GSO needs checksums, so the kernel answers EINVAL (udp_send_skb)
    native.setsockoptInt(fd, 1, 11, 1);
    const sent = Array.from({ length: 10 }, (_, i) => esp(i, 500));
    for (const p of sent) sa.queue(a.natt, b.natt, [p], p.length);
    sa.flush();
    await until(() => got.length >= 10);
    assert.deepEqual(got, sent);
    assert.equal(ca.get('esp.io.tx.gsoFallback'), 1);
    assert.equal(ca.get('udp.tx.esp'), 10);
  });

  test('packets to two peers keep their destinations; unknown local sockets are refused', async () => {
    const { a, b, sa, got } = await setup(false);
    const c = await end('127.0.0.3');
    cleanup.push(() => c.t.close());
    sa.queue(a.natt, b.natt, [esp(1, 100)], 100);
    sa.queue(a.natt, c.natt, [esp(2, 100)], 100);
    sa.queue(a.natt, b.natt, [esp(3, 100)], 100);
    assert.equal(sa.queue({ address: '127.0.0.9', port: a.natt.port }, b.natt, [esp(4, 100)], 100), false);
    sa.flush();
    await until(() => got.length === 2 && c.dgramEsp.length === 1);
    assert.deepEqual(got, [esp(1, 100), esp(3, 100)]);
    assert.deepEqual(new Uint8Array(c.dgramEsp[0]?.bytes ?? []), esp(2, 100));
  });

  test('after close node:dgram reads the socket again', async () => {
    const { a, b, sa, sb, got } = await setup(false);
    sb.close();
    sa.queue(a.natt, b.natt, [esp(5, 64)], 64);
    sa.flush();
    await until(() => b.dgramEsp.length === 1);
    assert.equal(got.length, 0);
    assert.deepEqual(new Uint8Array(b.dgramEsp[0]?.bytes ?? []), esp(5, 64));
  });
});
