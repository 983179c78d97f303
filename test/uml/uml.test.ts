/**
 * Kernel ESP in User-mode Linux (LAB.md §4), ONE boot for all scenarios:
 * scripts/uml/setup.sh installs the UML kernel (and the peers' tools), the
 * guest (scripts/uml/guest-init.sh -> test/uml/guest/runner.ts) runs every
 * scenario and writes results.json, and this file asserts on it:
 *   Keyway (xfrm) <-> strongSwan 5.9.8 (kernel-netlink): tunnel + transport,
 *     pings both ways, kernel counters in `keyway list-sas --json`, trap/ACQUIRE,
 *     nothing left after exit;
 *   Keyway (xfrm) <-> Keyway (xfrm) through a masquerading NAT (ESP-in-UDP).
 * Needs root; skips without it unless KEYWAY_REQUIRE_INTEROP=1.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
});
