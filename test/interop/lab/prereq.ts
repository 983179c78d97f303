/**
 * Interop prerequisites. Without them the interop tests skip with a clear
 * message — unless KEYWAY_REQUIRE_INTEROP=1 (set by CI), where a missing
 * prerequisite is a test failure: CI must never go green by skipping.
 */
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { findCharon } from './strongswan.js';

export type Need = 'root' | 'netns' | 'strongswan' | 'libipsec' | 'tshark';

export const requireInterop: boolean = process.env['KEYWAY_REQUIRE_INTEROP'] === '1';

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the lab cannot run here, or undefined when it can. */
export function missingPrereqs(needs: readonly Need[]): string | undefined {
  const missing: string[] = [];
  for (const n of needs) {
    switch (n) {
      case 'root':
        if (process.getuid?.() !== 0) missing.push('must run as root (network namespaces)');
        break;
      case 'netns':
        if (!onPath('ip') || !onPath('unshare')) missing.push('iproute2 `ip` / util-linux `unshare` not found');
        break;
      case 'strongswan':
        if (findCharon() === undefined) missing.push('strongSwan charon not installed (apt-get install charon-systemd)');
        if (!onPath('swanctl')) missing.push('swanctl not installed (apt-get install strongswan-swanctl)');
        break;
      case 'libipsec':
        if (!existsSync('/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so'))
          missing.push('kernel-libipsec plugin missing (apt-get install libcharon-extra-plugins)');
        if (!existsSync('/dev/net/tun')) missing.push('/dev/net/tun missing (kernel-libipsec needs TUN)');
        break;
      case 'tshark':
        if (!onPath('tshark') || !onPath('dumpcap')) missing.push('tshark/dumpcap not installed (apt-get install tshark)');
        break;
    }
  }
  return missing.length === 0 ? undefined : missing.join('; ');
}

/**
 * Returns the `skip` option for a describe()/test(): false when the lab can
 * run, otherwise a skip message. When KEYWAY_REQUIRE_INTEROP=1 it also
 * registers a failing test naming what is missing.
 */
export function interopGate(needs: readonly Need[]): string | false {
  const why = missingPrereqs(needs);
  if (why === undefined) return false;
  if (requireInterop) {
    test('interop prerequisites (KEYWAY_REQUIRE_INTEROP=1)', () => {
      assert.fail(`interop prerequisites missing: ${why}`);
    });
  }
  return `interop lab unavailable: ${why}`;
}
