/**
 * The xfrm dataplane against THIS host's kernel (XFRM but no ESP, LAB.md §5),
 * in a fresh network namespace that this test process enters (setns): policy
 * add/list/remove, ALLOCSPI, ACQUIRE on matching traffic, NEWSA failing with
 * a clear message, crash clean-up touching only tagged state. Needs root and
 * the native addon; skips otherwise (fails with KEYWAY_REQUIRE_INTEROP=1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { loadNative } from '../../../src/native/addon.js';
import type { KernelEvent, PolicySpec, SaSpec, Selector } from '../../../src/ike/dataplane.js';
import { KernelError } from '../../../src/util/errors.js';
import { XfrmDataplane } from '../../../src/kernel/xfrm/xfrm-dataplane.js';

const why =
  process.getuid?.() !== 0 ? 'needs root' : loadNative() === undefined ? 'native addon not built' : spawnSync('ip', ['-V']).status !== 0 ? 'iproute2 missing' : undefined;
if (why !== undefined && process.env['KEYWAY_REQUIRE_INTEROP'] === '1') {
  test('xfrm host-kernel prerequisites (KEYWAY_REQUIRE_INTEROP=1)', () => assert.fail(why));
}

const ns = `kw-xfrm-${process.pid}`;
const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const net = (a: string): Selector => ({ family: 4, startAddress: a, endAddress: a.replace(/\.0$/, '.255'), protocol: 0, startPort: 0, endPort: 65535 });
const OUT: PolicySpec = { direction: 'out', local: net('10.1.0.0'), remote: net('10.2.0.0'), mode: 'tunnel', tunnelSrc: '192.0.2.1', tunnelDst: '192.0.2.2', reqid: 7, protocol: 'esp', priority: 0 };
const IN: PolicySpec = { ...OUT, direction: 'in', tunnelSrc: '192.0.2.2', tunnelDst: '192.0.2.1' };
const FWD: PolicySpec = { ...IN, direction: 'fwd' };

describe('xfrm dataplane on the host kernel (fresh namespace)', { skip: why ?? false }, () => {
  let dp: XfrmDataplane;
  const events: KernelEvent[] = [];

  before(async () => {
    ip('netns', 'add', ns);
    loadNative()?.setns(`/run/netns/${ns}`);
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'kw0', 'type', 'veth', 'peer', 'name', 'kw1');
    ip('addr', 'add', '192.0.2.1/24', 'dev', 'kw0');
    ip('addr', 'add', '10.1.0.1/24', 'dev', 'kw0');
    ip('link', 'set', 'kw0', 'up');
    ip('link', 'set', 'kw1', 'up');
    ip('route', 'add', '10.2.0.0/24', 'via', '192.0.2.2', 'dev', 'kw0', 'onlink');
    dp = await XfrmDataplane.open({ timeoutMs: 5000 });
    dp.onEvent((e) => events.push(e));
  });

  after(async () => {
    await dp?.flush().catch(() => undefined);
    await dp?.close();
    spawnSync('ip', ['netns', 'del', ns]);
  });

  test('policies (in/out/fwd) are added, listed by `ip xfrm policy`, and removed', async () => {
    for (const p of [OUT, IN, FWD]) await dp.addPolicy(p);
    const listed = ip('xfrm', 'policy');
    assert.match(listed, /src 10\.1\.0\.0\/24 dst 10\.2\.0\.0\/24\s+dir out priority 199808/);
    assert.match(listed, /src 10\.2\.0\.0\/24 dst 10\.1\.0\.0\/24\s+dir in/);
    assert.match(listed, /dir fwd/);
    assert.match(listed, /proto esp reqid 1258291207 mode tunnel/);
    assert.equal(dp.installed().policies, 3);
    await assert.rejects(dp.addPolicy(OUT), (e: unknown) => e instanceof KernelError && e.code === 'KERNEL_EEXIST');
    await dp.deletePolicy(FWD);
    await dp.deletePolicy(IN);
    assert.doesNotMatch(ip('xfrm', 'policy'), /dir (in|fwd)/);
  });

  test('ALLOCSPI returns an SPI in range and a larval state; deleteSa releases it', async () => {
    const spi = await dp.allocateSpi('esp', '192.0.2.2', '192.0.2.1', 7);
    assert.ok(spi >= 0x100 && spi <= 0xffffffff);
    const hex = `0x${spi.toString(16).padStart(8, '0')}`;
    assert.match(ip('xfrm', 'state'), new RegExp(`spi ${hex} reqid 1258291207`));
    await dp.deleteSa({ protocol: 'esp', spi, dst: '192.0.2.1' });
    assert.doesNotMatch(ip('xfrm', 'state'), new RegExp(`spi ${hex}`));
  });

  test('traffic matching the out policy raises an ACQUIRE with the engine reqid', async () => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind({ address: '10.1.0.1', port: 0 }, () => r()));
    s.send(Buffer.from('x'), 9, '10.2.0.9');
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.kind === 'acquire') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    s.close();
    const acq = events.find((e) => e.kind === 'acquire');
    assert.ok(acq && acq.kind === 'acquire', 'no ACQUIRE within 5 s');
    assert.equal(acq.reqid, 7);
    assert.equal(acq.local.startAddress, '10.1.0.1');
    assert.equal(acq.remote.startAddress, '10.2.0.9');
    assert.equal(acq.remote.protocol, 17);
    assert.equal(acq.remote.startPort, 9);
  });

  test('NEWSA for ESP fails with EPROTONOSUPPORT and says the kernel lacks ESP', async () => {
    const sa: SaSpec = {
      protocol: 'esp', spi: 0x2000, direction: 'out', src: '192.0.2.1', dst: '192.0.2.2', mode: 'tunnel', esn: false, replayWindow: 32,
      localTs: [], remoteTs: [], lifetime: {}, reqid: 7,
      keys: { encrId: 12, encrKeyBits: 128, encrKey: new Uint8Array(16), integId: 12, integKey: new Uint8Array(32) },
    };
    await assert.rejects(dp.addSa(sa), (e: unknown) => {
      assert.ok(e instanceof KernelError);
      assert.equal(e.code, 'KERNEL_EPROTONOSUPPORT');
      assert.equal(e.errno, 93);
      assert.match(e.message, /kernel says "Requested type not found"/);
      assert.match(e.message, /lacks ESP support/);
      return true;
    });
    assert.equal(dp.installed().sas, 0);
  });

  test('flush removes everything it installed; crash clean-up removes only tagged state', async () => {
    await dp.flush();
    assert.doesNotMatch(ip('xfrm', 'policy'), /reqid 1258291207/);
    // a "crashed Keyway" policy (tagged reqid) and another daemon's (reqid 5)
    ip('xfrm', 'policy', 'add', 'src', '10.3.0.0/24', 'dst', '10.4.0.0/24', 'dir', 'out', 'tmpl', 'src', '192.0.2.1', 'dst', '192.0.2.3', 'proto', 'esp', 'reqid', String(0x4b000063), 'mode', 'tunnel');
    ip('xfrm', 'policy', 'add', 'src', '10.5.0.0/24', 'dst', '10.6.0.0/24', 'dir', 'out', 'tmpl', 'src', '192.0.2.1', 'dst', '192.0.2.3', 'proto', 'esp', 'reqid', '5', 'mode', 'tunnel');
    ip('xfrm', 'state', 'allocspi', 'src', '192.0.2.3', 'dst', '192.0.2.1', 'proto', 'esp', 'reqid', String(0x4b000063), 'min', '0x300', 'max', '0x300');
    ip('xfrm', 'state', 'allocspi', 'src', '192.0.2.3', 'dst', '192.0.2.1', 'proto', 'esp', 'reqid', '5', 'min', '0x301', 'max', '0x301');
    const removed = await dp.cleanupLeftovers();
    assert.deepEqual(removed, { sas: 1, policies: 1 });
    const pol = ip('xfrm', 'policy');
    const st = ip('xfrm', 'state');
    assert.doesNotMatch(pol, /10\.3\.0\.0/);
    assert.match(pol, /10\.5\.0\.0\/24/);
    assert.doesNotMatch(st, /spi 0x00000300/);
    assert.match(st, /spi 0x00000301 reqid 5/);
  });
});
