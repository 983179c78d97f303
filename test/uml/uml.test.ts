/**
 * Kernel ESP in User-mode Linux (LAB.md §4), ONE boot for all scenarios:
 * scripts/uml/setup.sh installs the UML kernel (and the peers' tools), the
 * guest (scripts/uml/guest-init.sh -> test/uml/guest/runner.ts) runs every
 * scenario and writes results.json, and this file asserts on it:
 *   Keyway (xfrm) <-> strongSwan 5.9.8 (kernel-netlink): tunnel + transport,
 *     pings both ways, kernel counters in `keyway list-sas --json`, trap/ACQUIRE,
 *     nothing left after exit;
 *   Keyway (xfrm) <-> Keyway (xfrm) through a masquerading NAT (ESP-in-UDP);
 *   Keyway (xfrm) <-> Keyway (userspace): ESP-in-UDP both ways, per-SA counters
 *     agree, tshark (here, on the host) decrypts and ICV-checks the guest's
 *     capture; `keyway flush` empties the kernel and tells the peer;
 *   IKEv1: Keyway (xfrm) <-> Libreswan 4.10 (pluto, XFRM): Main Mode + Quick
 *     Mode with a PSK (with and without PFS), each side initiating, the SPIs
 *     in both kernels agree, pings cross both tunnels, Delete empties them.
 * Needs root; skips without it unless KEYWAY_REQUIRE_INTEROP=1.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTsharkEsp, type EspFrame } from '../interop/lab/esp-capture.js';
import { missingPrereqs } from '../interop/lab/prereq.js';
import { repoPath } from '../helpers/paths.js';
import { loadNative } from '../../src/native/addon.js';
import { bootUml, type BootResult } from './lab/boot.js';
import type { ScenarioResult } from './guest/record.js';

const required = process.env['KEYWAY_REQUIRE_INTEROP'] === '1';

function prerequisites(): { uml?: string; why?: string } {
  if (process.getuid?.() !== 0) return { why: 'needs root (apt-get, network namespaces inside the guest)' };
  if (loadNative() === undefined) return { why: 'native addon not built (npm run build:native)' };
  const r = spawnSync(repoPath('scripts', 'uml', 'setup.sh'), { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return { why: `scripts/uml/setup.sh failed: ${(r.stderr ?? '').slice(-800)}` };
  const uml = r.stdout.trim().split('\n').pop() ?? '';
  return uml === '' ? { why: 'setup.sh printed no UML kernel path' } : { uml };
}

const pre = prerequisites();
if (pre.why !== undefined && required) {
  test('User-mode Linux prerequisites (KEYWAY_REQUIRE_INTEROP=1)', () => assert.fail(pre.why));
}

type Counters = { bytesIn: number; bytesOut: number; packetsIn: number; packetsOut: number };
type Ping = { ok: boolean; out: string };

function assertCountersMoved(c: unknown, what: string): void {
  const k = c as Counters | undefined;
  assert.ok(k, `${what}: no counters`);
  assert.ok(k.bytesIn > 0 && k.bytesOut > 0 && k.packetsIn > 0 && k.packetsOut > 0, `${what}: kernel counters did not move: ${JSON.stringify(k)}`);
}

function assertPing(p: unknown, what: string): void {
  const x = p as Ping | undefined;
  assert.ok(x?.ok === true, `${what}: ping failed: ${x?.out ?? 'not run'}`);
}

describe('kernel ESP in User-mode Linux (one boot)', { skip: pre.why ?? false }, () => {
  let boot: BootResult;
  const byName = (prefix: string): ScenarioResult => {
    const r = boot.results.find((s) => s.name.startsWith(prefix));
    assert.ok(r, `scenario "${prefix}" did not run; guest log:\n${boot.guestLog.slice(-4000)}\nconsole:\n${boot.console.slice(-2000)}`);
    assert.ok(r.ok, `scenario "${r.name}" failed: ${r.error ?? ''}\ndetails: ${JSON.stringify(r.details).slice(0, 3000)}`);
    return r;
  };

  before(async () => {
    boot = await bootUml(pre.uml ?? '', 900_000);
    const line = `User-mode Linux: 1 boot, ${boot.results.length} scenarios, total ${(boot.ms / 1000).toFixed(1)} s`;
    console.log(line);
    for (const r of boot.results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${(r.ms / 1000).toFixed(1).padStart(5)} s  ${r.name}`);
  });

  test('the guest booted, loaded the ESP modules and ran every scenario', (t) => {
    t.diagnostic(`UML total ${(boot.ms / 1000).toFixed(1)} s`);
    assert.match(boot.guestLog, /guest: modules loaded/);
    assert.match(boot.guestLog, /runner: all scenarios done/, `guest log:\n${boot.guestLog.slice(-4000)}`);
    byName('setup');
  });

  test('Keyway (xfrm) <-> strongSwan: tunnel mode, AES-GCM in the kernel, ping both ways, counters move', () => {
    const d = byName('tunnel mode').details;
    assertPing(d['pingWestToEast'], 'west -> east');
    assertPing(d['pingEastToWest'], 'east -> west');
    assertCountersMoved(d['counters'], 'net');
    assert.ok((d['kernelState'] as string[]).some((l) => l.includes('rfc4106(gcm(aes))')), JSON.stringify(d['kernelState']));
    assert.deepEqual(d['strongswanChild'], ['net']);
  });

  test('Keyway (xfrm) <-> strongSwan: transport mode, AES-CBC + HMAC-SHA-256, ping both ways', () => {
    const d = byName('transport mode').details;
    assert.equal(d['mode'], 'transport');
    assertPing(d['pingWestToEast'], 'west -> east');
    assertPing(d['pingEastToWest'], 'east -> west');
    assertCountersMoved(d['counters'], 'host');
  });

  test('traffic-triggered (ACQUIRE) initiation brings the trapped CHILD SA up', () => {
    const d = byName('trap').details;
    assertPing(d['ping'], 'trapped traffic');
    assert.deepEqual(d['child'], { state: 'installed', mode: 'tunnel' });
    assert.equal(d['acquireLogged'], true);
  });

  test('after Keyway exits, nothing it installed is left in ip xfrm state / policy', () => {
    const d = byName('exit').details;
    assert.equal(d['state'], '');
    assert.equal(d['policy'], '');
  });

  test('Keyway (xfrm) <-> Keyway (xfrm) through a NAT: ESP-in-UDP in the kernel, ping works', () => {
    const d = byName('NAT').details;
    assertPing(d['pingWestToEast'], 'west -> east');
    assertPing(d['pingEastToWest'], 'east -> west');
    assert.equal(d['encap'], true);
    assert.ok((d['kernelEncap'] as string[]).length >= 2 && (d['kernelEncap'] as string[]).every((l) => l.includes('espinudp')), JSON.stringify(d['kernelEncap']));
    assertCountersMoved(d['counters'], 'lan');
    assert.ok((d['natUdp4500'] as number) >= 1, 'the NAT tracked the UDP 4500 flow');
    assert.deepEqual(d['leftAfterExit'], ['', '']);
  });

  type SaCounters = { spiIn: string; spiOut: string; encap: string; bytesIn: number; bytesOut: number; packetsIn: number; packetsOut: number };
  const sides = (): { d: Record<string, unknown>; west: Record<string, SaCounters>; east: Record<string, SaCounters> } => {
    const d = byName('userspace').details;
    return { d, west: d['west'] as Record<string, SaCounters>, east: d['east'] as Record<string, SaCounters> };
  };

  test('Keyway (xfrm) <-> Keyway (userspace): ping both ways through AES-CBC+SHA-256 and AES-GCM, ESP-in-UDP, counters agree', () => {
    const { d, west, east } = sides();
    for (const k of ['pingCbcWestToEast', 'pingCbcEastToWest', 'pingGcmWestToEast', 'pingGcmEastToWest']) assertPing(d[k], k);
    for (const c of ['cbc', 'gcm']) {
      const w = west[c];
      const e = east[c];
      assert.ok(w && e, `${c}: installed on both sides: ${JSON.stringify(d)}`);
      assert.equal(w.encap, 'true', `${c}: west encapsulates`);
      assert.equal(e.encap, 'true', `${c}: east encapsulates`);
      assert.equal(w.spiOut, e.spiIn);
      assert.equal(w.spiIn, e.spiOut);
      assert.ok(w.packetsOut >= 6 && w.packetsIn >= 6, `${c}: 3 requests and 3 replies each way: ${JSON.stringify(w)}`);
      // the kernel and Node count the same packets and the same inner bytes
      assert.deepEqual(
        { packetsIn: e.packetsIn, packetsOut: e.packetsOut, bytesIn: e.bytesIn, bytesOut: e.bytesOut },
        { packetsIn: w.packetsOut, packetsOut: w.packetsIn, bytesIn: w.bytesOut, bytesOut: w.bytesIn },
        `${c}: west (kernel) ${JSON.stringify(w)} vs east (userspace) ${JSON.stringify(e)}`,
      );
    }
    const enc = d['kernelEncap'] as string[];
    assert.equal(enc.length, 4, JSON.stringify(enc));
    assert.ok(enc.every((l) => l.includes('espinudp sport 4500 dport 4500')), JSON.stringify(enc));
    assert.deepEqual(Object.entries(d['eastRxDrops'] as Record<string, number>).filter(([, v]) => v > 0), [], 'Node dropped nothing the kernel sent');
    assert.equal(d['eastRxPackets'], (west['cbc']?.packetsOut ?? 0) + (west['gcm']?.packetsOut ?? 0), 'every ESP packet the kernel sent was accepted by Node');
  });

  test('the wire: tshark decrypts and verifies every ESP packet, built by the kernel and by Node', { skip: missingPrereqs(['tshark']) ?? false }, () => {
    const { west } = sides();
    const pcap = boot.artifacts.get('xfrm-userspace.pcap');
    const keys = boot.artifacts.get('xfrm-userspace.esp_sa');
    assert.ok(pcap && keys, `the guest left its capture and key lines: ${[...boot.artifacts.keys()].join(', ')}`);
    const lines = keys.toString('utf8').split('\n').filter((l) => l.startsWith('"'));
    assert.equal(lines.length, 4, `one esp_sa line per SA: ${keys.toString('utf8')}`);
    const dir = mkdtempSync(join(tmpdir(), 'kw-uml-wire-'));
    let frames: EspFrame[];
    try {
      const path = join(dir, 'wire.pcap');
      writeFileSync(path, pcap);
      const args = ['-n', '-r', path, '-V', '-Y', 'esp', '-o', 'esp.enable_encryption_decode:TRUE', '-o', 'esp.enable_authentication_check:TRUE'];
      for (const l of lines) args.push('-o', `uat:esp_sa:${l}`);
      const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
      assert.equal(r.status, 0, r.stderr);
      frames = parseTsharkEsp(r.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const cbc = west['cbc'];
    const gcm = west['gcm'];
    assert.ok(cbc && gcm);
    const check = (spi: string, inner: readonly string[], icv: boolean, who: string): void => {
      const fs = frames.filter((f) => f.spi === spi);
      assert.ok(fs.length >= 6, `${who}: ${fs.length} ESP frames with SPI ${spi} (all SPIs: ${JSON.stringify(frames.map((f) => f.spi))})`);
      for (const f of fs) {
        assert.ok(inner.includes(f.inner), `${who}: frame ${f.frame} decrypts to ${inner.join(' or ')}, got "${f.inner}":\n${f.text.slice(-2000)}`);
        if (icv) assert.equal(f.authentication, 'good', `${who}: frame ${f.frame} ICV`);
      }
    };
    const wl = ['10.1.0.1->10.2.0.1', '10.2.0.1->10.1.0.1'];
    const gl = ['10.1.1.1->10.2.1.1', '10.2.1.1->10.1.1.1'];
    check(cbc.spiOut, wl, true, 'AES-CBC/SHA-256 built by the kernel (west -> east)');
    check(cbc.spiIn, wl, true, 'AES-CBC/SHA-256 built by Node (east -> west)');
    check(gcm.spiOut, gl, false, 'AES-GCM built by the kernel (west -> east)');
    check(gcm.spiIn, gl, false, 'AES-GCM built by Node (east -> west)');
  });

  test('keyway flush on the kernel side: peer told, nothing of Keyway left in the kernel, daemon still answers', () => {
    const { d } = sides();
    const f = d['flush'] as { ok: boolean; ikeSas: number; childSas: number; traps: number; unanswered: number; dataplane: string; errors: string[] };
    assert.deepEqual(f, { ok: true, ikeSas: 1, childSas: 2, traps: 0, unanswered: 0, dataplane: 'xfrm', errors: [] });
    assert.equal(d['flushLeftState'], '');
    assert.deepEqual(d['flushLeftPolicies'], []);
    assert.equal(d['westSasAfterFlush'], 0);
    assert.equal(d['eastSasAfterFlush'], 0, 'the userspace peer was told and deleted its SAs');
  });

  test('after both daemons exit: nothing in ip xfrm, no TUN device, no policy-routing rules', () => {
    const { d } = sides();
    assert.equal(d['leftAfterExit'], '');
    assert.equal(d['eastTunLeft'], false);
    assert.equal(d['eastRulesLeft'], false);
  });

  type LswChild = { name: string; state: string; spiIn: string; spiOut: string; alg: { keyExchange?: string } };
  type LswSa = { version: number; mode: string; initiator: boolean; children: LswChild[] };
  const assertLibreswanTunnels = (d: Record<string, unknown>, keywayInitiated: boolean): void => {
    const sas = d['keyway'] as LswSa[];
    assert.equal(sas.length, 1, `one ISAKMP SA: ${JSON.stringify(sas)}`);
    const sa = sas[0];
    assert.ok(sa);
    assert.equal(sa.version, 1);
    assert.equal(sa.mode, 'main');
    assert.equal(sa.initiator, keywayInitiated);
    assert.equal(d['sameIsakmpSa'], true, 'both Quick Modes over one ISAKMP SA');
    assert.deepEqual(sa.children.map((c) => [c.name, c.state]).sort(), [['net', 'installed'], ['pfs', 'installed']]);
    assert.equal(sa.children.find((c) => c.name === 'pfs')?.alg.keyExchange, 'MODP_2048', 'PFS in Quick Mode');
    assert.equal(sa.children.find((c) => c.name === 'net')?.alg.keyExchange, undefined, 'no PFS');
    for (const k of ['pingNetWestToEast', 'pingNetEastToWest', 'pingPfsWestToEast', 'pingPfsEastToWest']) assertPing(d[k], k);
    // the SPIs Keyway negotiated are the ones in Libreswan's kernel, and in Keyway's
    assert.equal((d['expectedEastEsp'] as string[]).length, 4);
    assert.deepEqual(d['eastKernelEsp'], d['expectedEastEsp'], 'east (Libreswan) kernel ESP states');
    assert.deepEqual(d['westKernelEsp'], d['expectedEastEsp'], 'west (Keyway) kernel ESP states');
    // 3 echo requests + 3 replies each way through each tunnel
    assert.deepEqual(d['counters'], { net: { packetsIn: 6, packetsOut: 6 }, pfs: { packetsIn: 6, packetsOut: 6 } });
  };

  test('IKEv1 with Libreswan 4.10: Keyway initiates Main Mode + Quick Mode (+ PFS), SPIs match in both kernels, ping both ways, Delete empties both', () => {
    const d = byName('libreswan: Keyway initiates').details;
    assertLibreswanTunnels(d, true);
    assert.deepEqual(d['eastKernelEspAfterDelete'], [], "Keyway's Delete removed Libreswan's SAs");
    assert.deepEqual(d['westKernelEspAfterDelete'], []);
  });

  test('IKEv1 with Libreswan 4.10: Libreswan initiates, Keyway answers Main Mode + Quick Mode (+ PFS), SPIs match, ping both ways', () => {
    const d = byName('libreswan: Libreswan initiates').details;
    assert.equal(d['plutoMainMode-net'], true, 'Libreswan started a new ISAKMP SA (Main Mode)');
    assertLibreswanTunnels(d, false);
  });

  test('IKEv1 with Libreswan 4.10: after Keyway exits, nothing it installed is left', () => {
    const d = byName('libreswan exit').details;
    assert.equal(d['westState'], '');
    assert.equal(d['westPolicy'], '');
  });
});
