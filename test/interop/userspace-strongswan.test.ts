/**
 * Keyway with the `userspace` ESP dataplane (west, 192.0.2.1, protecting
 * 10.1.0.0/24) against strongSwan 5.9.8 with kernel-libipsec (east,
 * 192.0.2.2, 10.2.0.0/24): real pings cross the tunnel in both directions,
 * Keyway as initiator and as responder, and both daemons count the same
 * packets and bytes for the CHILD SA. Both sides UDP-encapsulate (RFC 3948).
 * tshark decrypts the ESP Keyway sent, with the keys from its key log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { createTopology, EAST_LAN, WEST_LAN } from './lab/topology.js';
import type { Topology } from './lab/topology.js';
import { startCharon } from './lab/strongswan.js';
import type { Charon } from './lab/strongswan.js';
import type { Keyway } from './lab/keyway.js';
import { interopGate, missingPrereqs } from './lab/prereq.js';
import { eastConf, sitePair, westConf } from './lab/scenario.js';
import { pingBothWays, userspaceScenario } from './lab/userspace-scenario.js';
import { kwEstablished, pollUntil, swEstablished } from './lab/expect.js';
import { ECHO_PORT, startEchoServer, udpPing } from './lab/udp-echo.js';
import { startEspCapture } from './lab/esp-capture.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const noTshark = missingPrereqs(['tshark']);
const T = { timeout: 60_000 };

describe('Keyway (userspace dataplane) <-> strongSwan 5.9.8 (kernel-libipsec)', { skip }, () => {
  let topo: Topology | undefined;
  let charon: Charon | undefined;

  before(async () => {
    topo = await createTopology();
    charon = await startCharon({ host: topo.east });
  });
  after(async () => {
    await charon?.stop();
    await topo?.destroy();
  });

  function scenario(ike: string, esp: string, body: (kw: Keyway, sw: Charon, t: Topology) => Promise<void>, keylog = false): Promise<void> {
    const pair = sitePair({ ike, esp });
    return userspaceScenario({ topo, charon, eastConf: eastConf(pair), westConf: westConf(pair), keylog }, body);
  }

  for (const [ike, esp] of [
    ['aes128gcm16-prfsha256-x25519', 'aes128gcm16'],
    ['aes256-sha256-modp2048', 'aes256-sha256'],
    ['chacha20poly1305-prfsha384-ecp384', 'chacha20poly1305'],
  ] as const) {
    test(`esp ${esp}: Keyway initiates, ping both ways, counters agree`, T, () =>
      scenario(ike, esp, async (kw, sw, t) => {
        const r = await kw.initiate('gw', 'net');
        assert.equal(r.code, 0, `keyway initiate: ${r.stdout}${r.stderr}`);
        await pollUntil(() => kw.listSas(), kwEstablished);
        await pollUntil(() => sw.listSas(), swEstablished);
        await pingBothWays(kw, sw, t, 2);
      }));

    test(`esp ${esp}: Keyway responds, ping both ways, counters agree`, T, () =>
      scenario(ike, esp, async (kw, sw, t) => {
        const r = await sw.initiate({ child: 'net' });
        assert.equal(r.code, 0, `swanctl --initiate: ${r.stdout}${r.stderr}`);
        await pollUntil(() => kw.listSas(), kwEstablished);
        await pingBothWays(kw, sw, t, 2);
      }));
  }

  for (const esp of ['aes128gcm16', 'aes256-sha256']) {
    test(`tshark decrypts the ESP Keyway sends (${esp}) with its key log`, { ...T, skip: noTshark ?? false }, () =>
      scenario('aes128gcm16-prfsha256-x25519', esp, async (kw, sw, t) => {
        const cap = await startEspCapture(t.west);
        const echo = await startEchoServer(t.east, EAST_LAN);
        try {
          const r = await kw.initiate('gw', 'net');
          assert.equal(r.code, 0, `keyway initiate: ${r.stdout}${r.stderr}`);
          await pollUntil(() => sw.listSas(), swEstablished);
          const out = await udpPing(t.west, WEST_LAN, EAST_LAN, 3);
          assert.equal(out.received, 3, out.output);
          await cap.stop();
          const [sa] = await kw.listSas();
          const child = sa?.children[0];
          assert.ok(child !== undefined && kw.keylogPath !== undefined);
          const espPath = `${kw.keylogPath}.esp_sa`;
          assert.ok(existsSync(espPath), 'esp_sa key log written');
          const lines = readFileSync(espPath, 'utf8').split('\n').filter((l) => l.startsWith('"'));
          assert.equal(lines.length, 2, 'one line per direction');
          const frames = await cap.decrypt(lines);
          const ours = frames.filter((f) => f.spi === child.spiOut);
          assert.equal(ours.length, 3, `3 ESP packets with SPI ${child.spiOut}: ${JSON.stringify(frames.map((f) => f.spi))}`);
          for (const f of ours) {
            assert.equal(f.innerUdp?.dst, ECHO_PORT, `frame ${f.frame} decrypts to a UDP datagram to the echo port:\n${f.text.slice(-2500)}`);
            assert.equal(f.inner, `${WEST_LAN}->${EAST_LAN}`);
            if (esp.includes('sha256')) assert.equal(f.authentication, 'good', `frame ${f.frame} ICV`);
          }
          const theirs = frames.filter((f) => f.spi === child.spiIn);
          assert.equal(theirs.length, 3, 'strongSwan replies decrypt too (our inbound keys are right)');
          assert.ok(theirs.every((f) => f.innerUdp?.src === ECHO_PORT), 'echoes from the echo port');
        } finally {
          await echo.stop();
          await cap.stop();
          cap.remove();
        }
      }, true));
  }
});
