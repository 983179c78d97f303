/**
 * NAT mapping change (RFC 7296 §2.23): Keyway (west, behind an nftables
 * masquerade) and Keyway (east), both with the userspace dataplane. Mid-tunnel
 * the NAT forgets west's mapping and gives west's next packet a new external
 * port. East must follow west's new address/port on the next authenticated
 * IKE message (west's DPD liveness check), move its IKE SA and its ESP SAs
 * (Dataplane.updateSa), and traffic must flow in both directions again.
 *
 * The change is made with nft and conntrack timeouts only (lab/nat.ts): new
 * mappings take ports from 40000-40999, the UDP timeouts drop to 1 s so the
 * idle mapping dies between two DPDs (every 3 s), then go back to the defaults.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNatTopology, NAT_OUTSIDE_ADDR, setMasquerade, setUdpConntrackTimeouts, UDP_CT_DEFAULTS } from './lab/nat.js';
import type { NatTopology } from './lab/nat.js';
import { EAST_IN, startNatKeyways, WEST_IN } from './lab/nat-keyway.js';
import type { Keyway } from './lab/keyway.js';
import { interopGate } from './lab/prereq.js';
import { kwEstablished, pollUntil } from './lab/expect.js';
import { statsCounters } from './lab/traffic.js';
import { startEchoServer, udpPing } from './lab/udp-echo.js';
import { sleep } from './lab/exec.js';
import type { IkeSaInfo } from '../../src/ike/info.js';

const skip = interopGate(['root', 'netns']);
const T = { timeout: 90_000 };
const NEW_PORTS = { from: 40000, to: 40999 };
const DPD_S = 3;

function remotePort(sas: readonly IkeSaInfo[]): number {
  return sas[0]?.remote.port ?? -1;
}

describe('NAT mapping change: the responder follows the initiator (RFC 7296 §2.23)', { skip }, () => {
  let topo: NatTopology | undefined;
  let west: Keyway | undefined;
  let east: Keyway | undefined;

  before(async () => {
    topo = await createNatTopology();
    // west's DPD: the authenticated IKE message that tells east about the new mapping
    ({ west, east } = await startNatKeyways(topo, { conn: { dpd_delay: `${DPD_S}s` } }));
  });
  after(async () => {
    await west?.stop();
    await east?.stop();
    await topo?.destroy();
  });

  test('after a new external port, the next DPD moves the IKE SA and the ESP SAs on the responder', T, async () => {
    assert.ok(topo !== undefined && west !== undefined && east !== undefined);
    const t = topo;
    const w = west;
    const e = east;
    const eastEcho = await startEchoServer(t.east, EAST_IN);
    const westEcho = await startEchoServer(t.west, WEST_IN);
    try {
      const r = await w.initiate('gw', 'net');
      assert.equal(r.code, 0, `initiate: ${r.stdout}${r.stderr}`);
      await pollUntil(() => w.listSas(), kwEstablished);
      const before = await pollUntil(() => e.listSas(), kwEstablished);
      assert.equal(before[0]?.remote.address, NAT_OUTSIDE_ADDR);
      const oldPort = remotePort(before);
      assert.ok(oldPort < NEW_PORTS.from || oldPort > NEW_PORTS.to, `first mapping outside the new range: ${oldPort}`);
      assert.equal((await udpPing(t.west, WEST_IN, EAST_IN, 3, 100)).received, 3);
      assert.equal((await udpPing(t.east, EAST_IN, WEST_IN, 3, 100)).received, 3);

      // the NAT forgets west's idle mapping; west's next packet (a DPD) gets a port from the new range
      await setMasquerade(t, NEW_PORTS);
      await setUdpConntrackTimeouts(t, { unreplied: 1, stream: 1 });
      const moved = await pollUntil(
        () => e.listSas(),
        (sas) => remotePort(sas) >= NEW_PORTS.from && remotePort(sas) <= NEW_PORTS.to,
        8 * DPD_S * 1000,
      );
      await setUdpConntrackTimeouts(t, UDP_CT_DEFAULTS);
      const newPort = remotePort(moved);
      assert.ok(newPort >= NEW_PORTS.from && newPort <= NEW_PORTS.to, `east follows west to a port in ${NEW_PORTS.from}-${NEW_PORTS.to}: ${JSON.stringify(moved)}`);
      assert.equal(moved[0]?.remote.address, NAT_OUTSIDE_ADDR);
      assert.equal(moved[0]?.state, 'established');
      assert.equal(moved[0]?.uniqueId, before[0]?.uniqueId, 'the same IKE SA moved (no new negotiation)');
      assert.deepEqual(
        moved[0]?.children.map((c) => [c.spiIn, c.spiOut]),
        before[0]?.children.map((c) => [c.spiIn, c.spiOut]),
        'the same CHILD SA moved',
      );
      // the last mapping may have been made while the timeouts were short: let one more DPD settle it
      await sleep((DPD_S + 1) * 1000);

      // traffic flows again both ways: east's outbound ESP now goes to the new port
      const back = await udpPing(t.east, EAST_IN, WEST_IN, 5, 100);
      assert.equal(back.received, 5, back.output);
      const there = await udpPing(t.west, WEST_IN, EAST_IN, 5, 100);
      assert.equal(there.received, 5, there.output);
      const es = statsCounters(await e.cli(['stats']));
      assert.ok((es['child.endpoints.updated'] ?? 0) >= 1, `east moved its CHILD SA: ${JSON.stringify(es)}`);
      assert.ok((es['sa.updated'] ?? 0) >= 2, `east's dataplane updated both ESP SAs: ${JSON.stringify(es)}`);
      const ws = statsCounters(await w.cli(['stats']));
      assert.equal((ws['esp.rx.drop.auth'] ?? 0) + (es['esp.rx.drop.auth'] ?? 0), 0);
      const sas = await e.listSas();
      assert.equal(remotePort(sas) >= NEW_PORTS.from && remotePort(sas) <= NEW_PORTS.to, true, `east still on the new mapping: ${remotePort(sas)}`);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- west ---\n${w.output().slice(-4000)}\n--- east ---\n${e.output().slice(-4000)}`);
    } finally {
      await eastEcho.stop();
      await westEcho.stop();
    }
  });
});
