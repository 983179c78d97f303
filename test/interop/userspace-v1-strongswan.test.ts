/**
 * IKEv1 with the `userspace` ESP dataplane: Keyway (west, 192.0.2.1,
 * protecting 10.1.0.0/24) against strongSwan 5.9.8 with kernel-libipsec
 * (east, 192.0.2.2, 10.2.0.0/24), both with `version = 1`. Main Mode (and
 * Aggressive Mode) + Quick Mode with PSK, with and without PFS; UDP pings
 * cross the tunnel both ways and both daemons count the same packets and
 * bytes for the IPsec SA pair. kernel-libipsec fakes a NAT (RFC 3947 §3.2),
 * so ESP is UDP-encapsulated (RFC 3948) in both directions.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology } from './lab/topology.js';
import type { Topology } from './lab/topology.js';
import { AGGRESSIVE_PSK_SETTING, startCharon } from './lab/strongswan.js';
import type { Charon } from './lab/strongswan.js';
import type { Keyway } from './lab/keyway.js';
import { interopGate } from './lab/prereq.js';
import { LAB_PSK, sitePair } from './lab/scenario.js';
import { swanctlConf } from './lab/swanctl-conf.js';
import { pingBothWays, userspaceScenario } from './lab/userspace-scenario.js';
import { kwEstablished, pollUntil, swEstablished } from './lab/expect.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const T = { timeout: 60_000 };

interface Case {
  readonly name: string;
  readonly ike: string;
  readonly esp: string;
  readonly aggressive: boolean;
}

const CASES: readonly Case[] = [
  { name: 'Main Mode', ike: 'aes128-sha256-modp2048', esp: 'aes128-sha256', aggressive: false },
  { name: 'Main Mode, PFS', ike: 'aes256-sha1-modp3072', esp: 'aes256-sha1-ecp256', aggressive: false },
  { name: 'Aggressive Mode', ike: 'aes128-sha256-modp2048', esp: 'aes128-sha256', aggressive: true },
];

describe('IKEv1: Keyway (userspace dataplane) <-> strongSwan 5.9.8 (kernel-libipsec)', { skip }, () => {
  let topo: Topology | undefined;
  let charon: Charon | undefined;

  before(async () => {
    topo = await createTopology();
    charon = await startCharon({ host: topo.east, settings: [AGGRESSIVE_PSK_SETTING] });
  });
  after(async () => {
    await charon?.stop();
    await topo?.destroy();
  });

  function scenario(c: Case, body: (kw: Keyway, sw: Charon, t: Topology) => Promise<void>): Promise<void> {
    const p = sitePair({ ike: c.ike, esp: c.esp });
    const v1 = { version: 1 as const, ...(c.aggressive ? { aggressive: true } : {}) };
    return userspaceScenario({ topo, charon, eastConf: swanctlConf([{ ...p.east, ...v1 }], [LAB_PSK]), westConf: swanctlConf([{ ...p.west, ...v1 }], [LAB_PSK]) }, body);
  }

  for (const c of CASES) {
    test(`${c.name} (${c.ike} / ${c.esp}): Keyway initiates, ping both ways, counters agree`, T, () =>
      scenario(c, async (kw, sw, t) => {
        const r = await kw.initiate('gw', 'net');
        assert.equal(r.code, 0, `keyway initiate: ${r.stdout}${r.stderr}`);
        await pollUntil(() => kw.listSas(), kwEstablished);
        await pollUntil(() => sw.listSas(), swEstablished);
        await pingBothWays(kw, sw, t, 1);
      }));

    test(`${c.name} (${c.ike} / ${c.esp}): Keyway responds, ping both ways, counters agree`, T, () =>
      scenario(c, async (kw, sw, t) => {
        const r = await sw.initiate({ child: 'net' });
        assert.equal(r.code, 0, `swanctl --initiate: ${r.stdout}${r.stderr}`);
        await pollUntil(() => kw.listSas(), kwEstablished);
        await pollUntil(() => sw.listSas(), swEstablished);
        await pingBothWays(kw, sw, t, 1);
      }));
  }
});
