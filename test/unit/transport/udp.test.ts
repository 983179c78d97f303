import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import type { Datagram, Endpoint } from '../../../src/ike/ports.js';
import { UdpTransport } from '../../../src/transport/udp.js';
import { KeywayError } from '../../../src/util/errors.js';

/** Collects deliveries and lets a test await the next one. */
class Inbox<T> {
  readonly items: T[] = [];
  #waiters: ((v: T) => void)[] = [];
  push = (v: T): void => {
    this.items.push(v);
    const w = this.#waiters.shift();
    if (w) w(v);
  };
  next(ms = 2000): Promise<T> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('nothing arrived')), ms);
      this.#waiters.push((v) => {
        clearTimeout(t);
        resolve(v);
      });
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function ikeBytes(tag: number): Uint8Array {
  return new Uint8Array(36).fill(tag);
}

describe('UdpTransport on loopback', () => {
  let a: UdpTransport;
  let b: UdpTransport;
  const aIke = new Inbox<Datagram>();
  const bIke = new Inbox<Datagram>();
  const bEsp = new Inbox<Datagram>();
  let peer: Socket;
  const peerRx = new Inbox<{ msg: Buffer; from: Endpoint }>();
  let aIkeEp: Endpoint;
  let aNatEp: Endpoint;
  let bNatEp: Endpoint;
  let peerEp: Endpoint;

  before(async () => {
    a = await UdpTransport.open({ listen: ['127.0.0.1'], port: 0, natPort: 0, onIke: aIke.push });
    b = await UdpTransport.open({ listen: ['127.0.0.2'], port: 0, natPort: 0, onIke: bIke.push, onEsp: bEsp.push });
    const ep = (t: UdpTransport, role: 'ike' | 'natt'): Endpoint => {
      const s = t.sockets.find((x) => x.role === role);
      assert.ok(s);
      return { address: s.address, port: s.port };
    };
    aIkeEp = ep(a, 'ike');
    aNatEp = ep(a, 'natt');
    bNatEp = ep(b, 'natt');
    peer = createSocket('udp4');
    peer.on('message', (msg, r) => peerRx.push({ msg, from: { address: r.address, port: r.port } }));
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    peerEp = { address: '127.0.0.1', port: peer.address().port };
  });
  after(async () => {
    await a.close();
    await b.close();
    peer.close();
  });

  const sendFromPeer = (to: Endpoint, bytes: Uint8Array): void => {
    peer.send(bytes, to.port, to.address);
  };

  test('binds distinct ephemeral ports for IKE and NAT-T', () => {
    assert.equal(a.sockets.length, 2);
    assert.notEqual(aIkeEp.port, aNatEp.port);
    assert.ok(aIkeEp.port > 0);
  });

  test('socket descriptors are read without the deprecated _handle getter (no DEP0112 warning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => void warnings.push(w.code ?? w.name);
    process.on('warning', onWarning);
    try {
      const fds = a.socketFds();
      assert.equal(fds.length, 2);
      for (const f of fds) assert.ok(Number.isInteger(f.fd) && f.fd > 2, `a real descriptor for ${f.role}: ${f.fd}`);
      assert.notEqual(fds[0]?.fd, fds[1]?.fd);
      await sleep(20); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    assert.equal(warnings.includes('DEP0112'), false, warnings.join(', '));
  });

  test('IKE port delivers datagrams unchanged with local and remote endpoints', async () => {
    const p = aIke.next();
    sendFromPeer(aIkeEp, ikeBytes(1));
    const d = await p;
    assert.deepEqual(Buffer.from(d.bytes), Buffer.from(ikeBytes(1)));
    assert.deepEqual(d.local, aIkeEp);
    assert.deepEqual(d.remote, peerEp);
  });

  test('NAT-T port strips the non-ESP marker', async () => {
    const p = aIke.next();
    sendFromPeer(aNatEp, Buffer.concat([Buffer.alloc(4), ikeBytes(2)]));
    const d = await p;
    assert.deepEqual(Buffer.from(d.bytes), Buffer.from(ikeBytes(2)));
    assert.deepEqual(d.local, aNatEp);
  });

  test('keepalives, short datagrams and hookless ESP are counted and dropped', async () => {
    const before = aIke.items.length;
    sendFromPeer(aNatEp, Uint8Array.of(0xff));
    sendFromPeer(aNatEp, Uint8Array.of(1, 2));
    sendFromPeer(aIkeEp, new Uint8Array(10));
    sendFromPeer(aNatEp, Uint8Array.of(0xc0, 0, 0, 1, 0, 0, 0, 1, 0xaa, 0xbb));
    await sleep(100);
    const c = a.counters();
    assert.equal(c['udp.rx.keepalive'], 1);
    assert.equal(c['udp.rx.drop.short'], 2);
    assert.equal(c['udp.rx.drop.esp'], 1);
    assert.equal(aIke.items.length, before);
  });

  test('ESP goes to the onEsp hook with the SPI intact', async () => {
    const esp = Uint8Array.of(0xc0, 0, 0, 1, 0, 0, 0, 1, 0xaa, 0xbb);
    const p = bEsp.next();
    sendFromPeer(bNatEp, esp);
    const d = await p;
    assert.deepEqual(Buffer.from(d.bytes), Buffer.from(esp));
    assert.equal(b.counters()['udp.rx.esp'], 1);
  });

  test('sending from the NAT-T port adds the marker, from the IKE port it does not', async () => {
    let p = peerRx.next();
    a.send({ local: aNatEp, remote: peerEp, bytes: ikeBytes(3) });
    let r = await p;
    assert.deepEqual(r.msg, Buffer.concat([Buffer.alloc(4), ikeBytes(3)]));
    assert.deepEqual(r.from, aNatEp);
    p = peerRx.next();
    a.send({ local: aIkeEp, remote: peerEp, bytes: ikeBytes(4) });
    r = await p;
    assert.deepEqual(r.msg, Buffer.from(ikeBytes(4)));
    assert.deepEqual(r.from, aIkeEp);
  });

  test('two transports talk IKE over NAT-T: 127.0.0.1 -> 127.0.0.2', async () => {
    const p = bIke.next();
    a.send({ local: aNatEp, remote: bNatEp, bytes: ikeBytes(5) });
    const d = await p;
    assert.deepEqual(Buffer.from(d.bytes), Buffer.from(ikeBytes(5)));
    assert.deepEqual(d.remote, aNatEp);
    assert.deepEqual(d.local, bNatEp);
  });

  test('keepalive and ESP sending', async () => {
    let p = peerRx.next();
    a.sendKeepalive(aNatEp, peerEp);
    assert.deepEqual((await p).msg, Buffer.of(0xff));
    p = peerRx.next();
    a.sendEsp({ local: aNatEp, remote: peerEp, bytes: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
    assert.deepEqual((await p).msg, Buffer.of(1, 2, 3, 4, 5, 6, 7, 8));
  });

  test('send never throws: bad addresses and unknown local endpoints are counted', () => {
    a.send({ local: aIkeEp, remote: { address: 'not-an-ip', port: 500 }, bytes: ikeBytes(6) });
    a.send({ local: { address: '127.0.0.9', port: 1 }, remote: peerEp, bytes: ikeBytes(6) });
    a.send({ local: aIkeEp, remote: { address: '::1', port: 500 }, bytes: ikeBytes(6) });
    a.send({ local: aIkeEp, remote: { address: '127.0.0.1', port: 70000 }, bytes: ikeBytes(6) });
    const c = a.counters();
    assert.equal(c['udp.tx.drop.badAddress'], 1);
    assert.equal(c['udp.tx.drop.noSocket'], 2);
    assert.equal(c['udp.tx.error'], 1);
  });
});

describe('UdpTransport binding', () => {
  test('wildcard sockets are used as the fallback for sending', async () => {
    const rx = new Inbox<Datagram>();
    const t = await UdpTransport.open({ listen: ['0.0.0.0'], port: 0, natPort: 0, onIke: () => {} });
    const r = await UdpTransport.open({ listen: ['127.0.0.1'], port: 0, natPort: 0, onIke: rx.push });
    try {
      const ike = t.sockets.find((s) => s.role === 'ike');
      const dst = r.sockets.find((s) => s.role === 'ike');
      assert.ok(ike?.wildcard && dst);
      const p = rx.next();
      // the engine names a concrete local address; the transport falls back to 0.0.0.0:port
      t.send({ local: { address: '127.0.0.1', port: ike.port }, remote: { address: dst.address, port: dst.port }, bytes: ikeBytes(7) });
      const d = await p;
      assert.equal(d.remote.port, ike.port);
    } finally {
      await t.close();
      await r.close();
    }
  });

  test('a port already in use is a KeywayError and releases what was bound', async () => {
    const t = await UdpTransport.open({ listen: ['127.0.0.1'], port: 0, natPort: 0, onIke: () => {} });
    const taken = t.sockets.find((s) => s.role === 'natt');
    assert.ok(taken);
    await assert.rejects(
      UdpTransport.open({ listen: ['127.0.0.1'], port: 0, natPort: taken.port, onIke: () => {} }),
      (e: unknown) => e instanceof KeywayError && e.code === 'TRANSPORT_BIND',
    );
    await assert.rejects(UdpTransport.open({ listen: ['localhost'], port: 0, natPort: 0, onIke: () => {} }), KeywayError);
    await t.close();
  });

  test('IPv6 loopback works with ipv6Only sockets', async (t) => {
    let tr: UdpTransport;
    try {
      tr = await UdpTransport.open({ listen: ['::1'], port: 0, natPort: 0, onIke: () => {} });
    } catch {
      t.skip('no IPv6 loopback');
      return;
    }
    const rx = new Inbox<Datagram>();
    const other = await UdpTransport.open({ listen: ['::1'], port: 0, natPort: 0, onIke: rx.push });
    try {
      const src = tr.sockets.find((s) => s.role === 'natt');
      const dst = other.sockets.find((s) => s.role === 'natt');
      assert.ok(src && dst && src.family === 6);
      const p = rx.next();
      tr.send({ local: { address: src.address, port: src.port }, remote: { address: '::1', port: dst.port }, bytes: ikeBytes(8) });
      const d = await p;
      assert.deepEqual(Buffer.from(d.bytes), Buffer.from(ikeBytes(8)));
      assert.equal(d.remote.address, '::1');
    } finally {
      await tr.close();
      await other.close();
    }
  });
});
