import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncrId, IntegId } from '../../../src/iana/ikev2.js';
import type { SaKey } from '../../../src/ike/dataplane.js';
import type { KernelEvent } from '../../../src/ike/dataplane.js';
import { E, W, installPair, makeSide, pair, sel, udp4 } from './pair.js';
import type { Side } from './pair.js';

function key(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

const SUITES: readonly { name: string; keys: SaKey }[] = [
  { name: 'AES-GCM-16-128', keys: { encrId: EncrId.ENCR_AES_GCM_16, encrKeyBits: 128, encrKey: key(20, 1), integId: 0, integKey: key(0, 0) } },
  { name: 'AES-GCM-12-256', keys: { encrId: EncrId.ENCR_AES_GCM_12, encrKeyBits: 256, encrKey: key(36, 2), integId: 0, integKey: key(0, 0) } },
  { name: 'AES-GCM-8-192', keys: { encrId: EncrId.ENCR_AES_GCM_8, encrKeyBits: 192, encrKey: key(28, 3), integId: 0, integKey: key(0, 0) } },
  { name: 'ChaCha20-Poly1305', keys: { encrId: EncrId.ENCR_CHACHA20_POLY1305, encrKeyBits: 256, encrKey: key(36, 4), integId: 0, integKey: key(0, 0) } },
  { name: 'AES-CBC-128/HMAC-SHA1-96', keys: { encrId: EncrId.ENCR_AES_CBC, encrKeyBits: 128, encrKey: key(16, 5), integId: IntegId.AUTH_HMAC_SHA1_96, integKey: key(20, 6) } },
  { name: 'AES-CBC-256/HMAC-SHA2-256-128', keys: { encrId: EncrId.ENCR_AES_CBC, encrKeyBits: 256, encrKey: key(32, 7), integId: IntegId.AUTH_HMAC_SHA2_256_128, integKey: key(32, 8) } },
  { name: 'AES-CBC-192/HMAC-SHA2-384-192', keys: { encrId: EncrId.ENCR_AES_CBC, encrKeyBits: 192, encrKey: key(24, 9), integId: IntegId.AUTH_HMAC_SHA2_384_192, integKey: key(48, 10) } },
  { name: 'AES-CBC-128/HMAC-SHA2-512-256', keys: { encrId: EncrId.ENCR_AES_CBC, encrKeyBits: 128, encrKey: key(16, 11), integId: IntegId.AUTH_HMAC_SHA2_512_256, integKey: key(64, 12) } },
  { name: 'AES-CTR-128/HMAC-SHA2-256-128', keys: { encrId: EncrId.ENCR_AES_CTR, encrKeyBits: 128, encrKey: key(20, 13), integId: IntegId.AUTH_HMAC_SHA2_256_128, integKey: key(32, 14) } },
  { name: 'AES-CBC-128/AES-XCBC-96', keys: { encrId: EncrId.ENCR_AES_CBC, encrKeyBits: 128, encrKey: key(16, 15), integId: IntegId.AUTH_AES_XCBC_96, integKey: key(16, 16) } },
  { name: '3DES-CBC/HMAC-SHA1-96', keys: { encrId: EncrId.ENCR_3DES, encrKeyBits: 192, encrKey: key(24, 17), integId: IntegId.AUTH_HMAC_SHA1_96, integKey: key(20, 18) } },
  { name: 'NULL/HMAC-SHA2-256-128', keys: { encrId: EncrId.ENCR_NULL, encrKeyBits: 0, encrKey: key(0, 0), integId: IntegId.AUTH_HMAC_SHA2_256_128, integKey: key(32, 19) } },
];

const GCM = SUITES[0]?.keys as SaKey;
const CBC = SUITES[5]?.keys as SaKey;

async function ready(keys: SaKey, extra: Partial<Parameters<typeof installPair>[2]> = {}): Promise<{ west: Side; east: Side }> {
  const p = pair();
  await installPair(p.west, p.east, { keys, ...extra });
  return p;
}

for (const s of SUITES) {
  test(`${s.name}: packets of every size cross in both directions, counters match`, async () => {
    const { west, east } = await ready(s.keys);
    const sizes = [0, 1, 2, 3, 13, 14, 15, 16, 17, 100, 1372];
    for (const n of sizes) west.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', n)]);
    for (const n of sizes) east.dp.fromDevice([udp4('10.2.0.1', '10.1.0.1', n)]);
    assert.deepEqual(east.delivered, sizes.map((n) => udp4('10.1.0.1', '10.2.0.1', n)));
    assert.deepEqual(west.delivered, sizes.map((n) => udp4('10.2.0.1', '10.1.0.1', n)));
    const bytes = sizes.reduce((a, n) => a + 28 + n, 0);
    assert.deepEqual(await west.dp.querySa({ protocol: 'esp', spi: 0x1000, dst: E }), { bytes, packets: sizes.length, lastUsedMs: 0 });
    assert.deepEqual(await east.dp.querySa({ protocol: 'esp', spi: 0x1000, dst: E }), { bytes, packets: sizes.length, lastUsedMs: 0 });
    // the ESP really is encrypted (except NULL) and 4-byte aligned (RFC 4303 §2.4)
    for (const w of west.wire) assert.equal((w.length - 8) % 4, 0);
    if (s.keys.encrId !== EncrId.ENCR_NULL) {
      const marker = udp4('10.1.0.1', '10.2.0.1', 1372).subarray(28, 60);
      assert.equal(Buffer.from(west.wire[west.wire.length - 1] ?? []).includes(Buffer.from(marker)), false);
    }
  });

  test(`${s.name}: a flipped bit anywhere is an auth failure, nothing delivered`, async () => {
    const { west, east } = await ready(s.keys);
    const p = pair();
    // capture one packet without delivering it
    const lone = makeSide('lone', () => undefined);
    await installPair(lone, p.east, { keys: s.keys });
    lone.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 40)]);
    const pkt = lone.wire[0];
    assert.ok(pkt !== undefined);
    for (const at of [8, 12, pkt.length - 20, pkt.length - 1]) {
      const bad = new Uint8Array(pkt);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      p.east.dp.fromNetwork({ local: { address: E, port: 4500 }, remote: { address: W, port: 4500 }, bytes: bad });
    }
    assert.equal(p.east.delivered.length, 0);
    assert.equal(p.east.dp.counters()['esp.rx.drop.auth'], 4);
    // and the original still passes afterwards (the window was not advanced by forgeries)
    p.east.dp.fromNetwork({ local: { address: E, port: 4500 }, remote: { address: W, port: 4500 }, bytes: pkt });
    assert.equal(p.east.delivered.length, 1);
    void west;
    void east;
  });
}

test('replayed packets are dropped and counted; reordering inside the window is fine', async () => {
  const { west, east } = await ready(GCM);
  const lone = makeSide('lone', () => undefined);
  await installPair(lone, makeSide('x', () => undefined), { keys: GCM });
  for (let i = 0; i < 100; i++) lone.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 10)]);
  const wire = lone.wire;
  const deliver = (i: number): void =>
    east.dp.fromNetwork({ local: { address: E, port: 4500 }, remote: { address: W, port: 4500 }, bytes: wire[i] ?? new Uint8Array(0) });
  deliver(50);
  deliver(10); // 40 behind the top, inside a 64-packet window
  deliver(50); // duplicate
  deliver(10); // duplicate
  deliver(99);
  deliver(20); // 79 behind: left of the window
  assert.equal(east.delivered.length, 3);
  const c = east.dp.counters();
  assert.equal(c['esp.rx.drop.replay'], 3);
  void west;
});

test('unknown SPI, short and garbage packets are counted, never thrown', async () => {
  const { east } = await ready(GCM);
  const from = { local: { address: E, port: 4500 }, remote: { address: W, port: 4500 } };
  east.dp.fromNetwork({ ...from, bytes: Uint8Array.of(0, 0, 0x99, 0x99, 0, 0, 0, 1, 1, 2, 3, 4) });
  east.dp.fromNetwork({ ...from, bytes: Uint8Array.of(0, 0, 0x10, 0x00, 0, 0, 0, 1) });
  east.dp.fromNetwork({ ...from, bytes: Uint8Array.of(1, 2, 3) });
  east.dp.fromNetwork({ ...from, bytes: new Uint8Array(0) });
  const c = east.dp.counters();
  assert.equal(c['esp.rx.drop.badSpi'], 1);
  assert.equal(c['esp.rx.drop.malformed'], 3);
});

test('no policy: counted; policy without SA: acquire event once per second', async () => {
  let now = 0;
  const side = makeSide('solo', () => undefined, () => now);
  const events: KernelEvent[] = [];
  side.dp.onEvent((e) => events.push(e));
  side.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 1)]);
  assert.equal(side.dp.counters()['esp.tx.drop.noPolicy'], 1);
  await side.dp.addPolicy({ direction: 'out', local: sel('10.1.0.0', '10.1.0.255'), remote: sel('10.2.0.0', '10.2.0.255'), mode: 'tunnel', tunnelSrc: W, tunnelDst: E, reqid: 9, protocol: 'esp', priority: 0 });
  side.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 1), udp4('10.1.0.1', '10.2.0.1', 1)]);
  now = 1500;
  side.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 1)]);
  await new Promise((r) => setImmediate(r));
  assert.equal(side.dp.counters()['esp.tx.drop.noSa'], 3);
  assert.deepEqual(events.map((e) => e.kind), ['acquire', 'acquire']);
});

test('inner packets outside the SA selectors are dropped after decryption (RFC 4301 §5.2)', async () => {
  const { west, east } = await ready(GCM, { westNet: sel('10.1.0.0', '10.1.0.255'), eastNet: sel('10.2.0.0', '10.2.0.255') });
  // west's policy lets 10.1/24 -> 10.2/24 out; spoof an east-bound packet from 10.9.0.1 by editing west's policy view
  await west.dp.addPolicy({ direction: 'out', local: sel('10.9.0.0', '10.9.0.255'), remote: sel('10.2.0.0', '10.2.0.255'), mode: 'tunnel', tunnelSrc: W, tunnelDst: E, reqid: 7, protocol: 'esp', priority: 0 });
  west.dp.fromDevice([udp4('10.9.0.1', '10.2.0.1', 5)]);
  assert.equal(east.delivered.length, 0);
  assert.equal(east.dp.counters()['esp.rx.drop.policy'], 1);
});

test('lifetimes: soft then hard expire by packets; the hard-expired SA stops carrying traffic', async () => {
  const { west, east } = await ready(CBC, { lifetime: { softPackets: 2, hardPackets: 4 } });
  const events: KernelEvent[] = [];
  west.dp.onEvent((e) => events.push(e));
  for (let i = 0; i < 6; i++) west.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 8)]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events.map((e) => (e.kind === 'expire' ? `${e.hard ? 'hard' : 'soft'}:${e.sa.spi}` : e.kind)), ['soft:4096', 'hard:4096']);
  assert.equal(east.delivered.length, 4);
  assert.equal(west.dp.counters()['esp.tx.drop.expired'], 2);
});

test('ESN: sequence numbers past 2^32 keep working (RFC 4303 App. A)', async () => {
  for (const keys of [GCM, CBC]) {
    const { west, east } = await ready(keys, { esn: true });
    const out = west.dp.sad.outboundFor(7);
    assert.ok(out !== undefined);
    out.seq = 0xffffffff - 3;
    const inb = east.dp.sad.inbound(0x1000);
    assert.ok(inb?.replay !== undefined);
    inb.replay.accept(0xffffffff - 3);
    for (let i = 0; i < 8; i++) west.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 8)]);
    assert.equal(east.delivered.length, 8);
    assert.equal(inb.replay.top, 0xffffffff - 3 + 8);
  }
});

test('without ESN the sequence number never wraps: hard expire and drop', async () => {
  const { west } = await ready(GCM);
  const out = west.dp.sad.outboundFor(7);
  assert.ok(out !== undefined);
  out.seq = 0xffffffff;
  const events: KernelEvent[] = [];
  west.dp.onEvent((e) => events.push(e));
  west.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 8)]);
  await new Promise((r) => setImmediate(r));
  assert.equal(west.dp.counters()['esp.tx.drop.seqOverflow'], 1);
  assert.deepEqual(events.map((e) => e.kind === 'expire' && e.hard), [true]);
});

test('transport mode: the IP header is rebuilt and the UDP checksum is valid', async () => {
  const { west, east } = await ready(GCM, { mode: 'transport' });
  const pkt = udp4(W, E, 33);
  // a checksum computed for other addresses (as after a NAT): must be recomputed (RFC 3948 §3.1.2)
  pkt[26] = 0x12;
  pkt[27] = 0x34;
  west.dp.fromDevice([pkt]);
  const got = east.delivered[0];
  assert.ok(got !== undefined);
  assert.equal(got.length, pkt.length);
  assert.deepEqual(got.subarray(12, 20), pkt.subarray(12, 20), 'addresses');
  assert.deepEqual(got.subarray(28), pkt.subarray(28), 'payload');
  assert.notDeepEqual(got.subarray(26, 28), Uint8Array.of(0x12, 0x34), 'checksum recomputed');
  // verify UDP checksum over the pseudo-header
  const { inetChecksum } = await import('../../../src/kernel/userspace/ip-header.js');
  const udpPart = got.subarray(20);
  const pseudo = Uint8Array.of(0, 17, udpPart.length >> 8, udpPart.length & 0xff);
  assert.equal(inetChecksum([got.subarray(12, 20), pseudo, udpPart]), 0);
  assert.equal(inetChecksum([got.subarray(0, 20)]), 0, 'IPv4 header checksum');
});

test('updateSa moves an SA to the new NAT mapping and keeps its counters and sequence', async () => {
  const { west, east } = await ready(GCM);
  west.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 8)]);
  const id = { protocol: 'esp' as const, spi: 0x1000, dst: E };
  const old = west.dp.sad.find(id);
  assert.ok(old !== undefined);
  await west.dp.updateSa(id, { ...old.spec, encap: { srcPort: 4500, dstPort: 31337 } });
  west.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 8)]);
  assert.equal(east.delivered.length, 2);
  assert.deepEqual(await west.dp.querySa(id), { bytes: 72, packets: 2, lastUsedMs: 0 });
  assert.equal(west.dp.sad.outboundFor(7)?.seq, 2);
});

test('SA errors: unsupported algorithm, AEAD with integrity, no UDP encapsulation, duplicates', async () => {
  const { west } = await ready(GCM);
  const base = west.dp.sad.find({ protocol: 'esp', spi: 0x1000, dst: E })?.spec;
  assert.ok(base !== undefined);
  await assert.rejects(west.dp.addSa({ ...base, spi: 0x3000, keys: { ...base.keys, encrId: 99 } }), /not supported/);
  await assert.rejects(west.dp.addSa({ ...base, spi: 0x3001, keys: { ...base.keys, integId: IntegId.AUTH_HMAC_SHA1_96, integKey: key(20, 1) } }), /AEAD/);
  const { encap: _e, ...noEncap } = base;
  void _e;
  await assert.rejects(west.dp.addSa({ ...noEncap, spi: 0x3002 }), /UDP encapsulation/);
  await assert.rejects(west.dp.addSa(base), /already installed/);
  await assert.rejects(west.dp.addSa({ ...base, spi: 0x3003, keys: { ...CBC, integId: 0, integKey: key(0, 0) } }), /integrity/);
});

test('allocateSpi never returns reserved or duplicate SPIs; deleteSa releases', async () => {
  const side = makeSide('spi', () => undefined);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) {
    const spi = await side.dp.allocateSpi('esp', E, W, 1);
    assert.ok(spi >= 256 && !seen.has(spi));
    seen.add(spi);
  }
  await side.dp.flush();
  assert.equal(side.dp.sad.size, 0);
});
