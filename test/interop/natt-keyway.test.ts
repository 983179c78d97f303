/**
 * NAT traversal end to end: Keyway (west, 10.99.0.2, behind an nftables
 * masquerade NAT) and Keyway (east, 198.51.100.2), both with the userspace
 * dataplane. NAT detection (RFC 7296 §2.23) finds the NAT on west, IKE moves
 * to port 4500, ESP is UDP-encapsulated (RFC 3948), traffic crosses the tunnel
 * (10.1.0.1 <-> 10.2.0.1, addresses the daemons put on their TUN devices),
 * and west sends NAT keepalives that east receives.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNatTopology, NAT_OUTSIDE_ADDR } from './lab/nat.js';
import type { NatTopology } from './lab/nat.js';
import { EAST_IN, startNatKeyways, WEST_IN } from './lab/nat-keyway.js';
import type { Keyway } from './lab/keyway.js';
import { interopGate } from './lab/prereq.js';
import { kwEstablished, pollUntil } from './lab/expect.js';
import { keywayChildCounters, statsCounters } from './lab/traffic.js';
import { startEchoServer, udpPing } from './lab/udp-echo.js';
import { sleep } from './lab/exec.js';

const skip = interopGate(['root', 'netns']);
const T = { timeout: 60_000 };

describe('NAT traversal: Keyway <-> Keyway (userspace) through an nftables masquerade', { skip }, () => {
  let topo: NatTopology | undefined;
  let west: Keyway | undefined;
  let east: Keyway | undefined;

  before(async () => {
    topo = await createNatTopology();
    ({ west, east } = await startNatKeyways(topo, { daemonExtra: ['nat_keepalive = 1'] }));
  });
  after(async () => {
    await west?.stop();
    await east?.stop();
    await topo?.destroy();
  });

  test('NAT detected on the NATed side; traffic crosses; keepalives are sent and received', T, async () => {
    assert.ok(topo !== undefined && west !== undefined && east !== undefined);
    const w = west;
    const e = east;
    try {
      const r = await w.initiate('gw', 'net');
      assert.equal(r.code, 0, `initiate: ${r.stdout}${r.stderr}`);
      const [wsa] = await pollUntil(() => w.listSas(), kwEstablished);
      const [esa] = await pollUntil(() => e.listSas(), kwEstablished);
      assert.ok(wsa !== undefined && esa !== undefined);
      assert.equal(wsa.natLocal, true, 'west knows it is behind a NAT');
      assert.equal(esa.natRemote, true, 'east knows west is behind a NAT');
      assert.equal(wsa.remote.port, 4500, 'IKE moved to the NAT-T port');
      assert.equal(esa.remote.address, NAT_OUTSIDE_ADDR, 'east sees the NAT address');
      assert.equal(wsa.children[0]?.encap, true, 'ESP-in-UDP');

      const eastEcho = await startEchoServer(topo.east, EAST_IN);
      const westEcho = await startEchoServer(topo.west, WEST_IN);
      try {
        const there = await udpPing(topo.west, WEST_IN, EAST_IN, 5, 1000);
        assert.equal(there.received, 5, there.output);
        const back = await udpPing(topo.east, EAST_IN, WEST_IN, 5, 1000);
        assert.equal(back.received, 5, back.output);
      } finally {
        await eastEcho.stop();
        await westEcho.stop();
      }
      const wc = keywayChildCounters(await w.listSas());
      const ec = keywayChildCounters(await e.listSas());
      assert.deepEqual(wc, { bytesIn: 10 * 1028, bytesOut: 10 * 1028, packetsIn: 10, packetsOut: 10 });
      assert.deepEqual(ec, { bytesIn: wc.bytesOut, bytesOut: wc.bytesIn, packetsIn: wc.packetsOut, packetsOut: wc.packetsIn });

      // nat_keepalive = 1 s on west: after a few seconds both sides have counted some
      await sleep(2_500);
      const ws = statsCounters(await w.cli(['stats']));
      const es = statsCounters(await e.cli(['stats']));
      assert.ok((ws['nat.keepalive.sent'] ?? 0) >= 1, `west sent keepalives: ${JSON.stringify(ws)}`);
      assert.ok((es['udp.rx.keepalive'] ?? 0) >= 1, `east received keepalives through the NAT: ${JSON.stringify(es)}`);
      assert.equal(es['nat.keepalive.sent'] ?? 0, 0, 'east is not behind a NAT and sends none');
      assert.equal((ws['esp.rx.drop.auth'] ?? 0) + (es['esp.rx.drop.auth'] ?? 0), 0);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- west ---\n${w.output().slice(-4000)}\n--- east ---\n${e.output().slice(-4000)}`);
    }
  });
});
