/**
 * IPv6 through the userspace dataplane, Keyway <-> Keyway in two namespaces:
 *
 *   1. IPv4 outer (192.0.2.1 <-> 192.0.2.2), IPv6 inner (2001:db8:1::/64 <-> 2001:db8:2::/64):
 *      ESP next header 41 (RFC 4303 §2.6), IPv6 selectors, `ip -6` routes on the TUN.
 *   2. IPv6 outer (2001:db8::1 <-> 2001:db8::2; IKE and ESP-in-UDP over UDP/IPv6,
 *      RFC 3948 applies unchanged) carrying IPv6 and IPv4 inner traffic in one CHILD SA.
 *
 * Inner addresses sit on the TUN devices (tun_addresses); all addresses are
 * documentation prefixes (RFC 3849, RFC 5737).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runOk } from './lab/exec.js';
import { kwEstablished, pollUntil } from './lab/expect.js';
import { startKeyway } from './lab/keyway.js';
import type { Keyway } from './lab/keyway.js';
import { interopGate } from './lab/prereq.js';
import { LAB_PSK } from './lab/scenario.js';
import { swanctlConf } from './lab/swanctl-conf.js';
import { createTopology, EAST_ADDR, EAST_LAN, WEST_ADDR, WEST_LAN } from './lab/topology.js';
import type { Host, Topology } from './lab/topology.js';
import { keywayChildCounters, statsCounters } from './lab/traffic.js';
import { startEchoServer, udpPing } from './lab/udp-echo.js';

const skip = interopGate(['root', 'netns']);
const T = { timeout: 60_000 };
const WEST6 = '2001:db8::1';
const EAST6 = '2001:db8::2';
const WEST_IN6 = '2001:db8:1::1';
const EAST_IN6 = '2001:db8:2::1';
const PAYLOAD = 100;

function conf(local: string, remote: string, localId: string, remoteId: string, localTs: string, remoteTs: string): string {
  return swanctlConf(
    [{ name: 'gw', localAddr: local, remoteAddr: remote, localId, remoteId, proposals: 'aes128gcm16-prfsha256-x25519', children: [{ name: 'net', localTs, remoteTs, espProposals: 'aes128gcm16' }] }],
    [LAB_PSK],
  );
}

/** the same namespace, addressed (and listened on) by another address */
function as(h: Host, address: string): Host {
  return { ...h, address };
}

interface Pair {
  readonly west: Keyway;
  readonly east: Keyway;
}

async function startPair(topo: Topology, westAddr: string, eastAddr: string, westTs: string, eastTs: string): Promise<Pair> {
  const east = await startKeyway({
    host: as(topo.east, eastAddr),
    conf: conf(eastAddr, westAddr, 'east', 'west', eastTs, westTs),
    dataplane: 'userspace',
    daemonExtra: [`tun_addresses = ${EAST_IN6}/128`],
  });
  try {
    const west = await startKeyway({
      host: as(topo.west, westAddr),
      conf: conf(westAddr, eastAddr, 'west', 'east', westTs, eastTs),
      dataplane: 'userspace',
      daemonExtra: [`tun_addresses = ${WEST_IN6}/128`],
    });
    return { west, east };
  } catch (e) {
    await east.stop();
    throw e;
  }
}

/** pings both ways between inner addresses; returns the packets each way */
async function pingBothWays(topo: Topology, westIn: string, eastIn: string, n: number): Promise<void> {
  const eastEcho = await startEchoServer(topo.east, eastIn);
  const westEcho = await startEchoServer(topo.west, westIn);
  try {
    const there = await udpPing(topo.west, westIn, eastIn, n, PAYLOAD);
    assert.equal(there.received, n, `${westIn} -> ${eastIn}: ${there.output}`);
    const back = await udpPing(topo.east, eastIn, westIn, n, PAYLOAD);
    assert.equal(back.received, n, `${eastIn} -> ${westIn}: ${back.output}`);
  } finally {
    await eastEcho.stop();
    await westEcho.stop();
  }
}

describe('userspace dataplane with IPv6 (Keyway <-> Keyway)', { skip }, () => {
  let topo: Topology | undefined;

  before(async () => {
    topo = await createTopology();
    // nodad: the addresses are usable at once (no duplicate address detection wait)
    await runOk(['ip', '-n', topo.west.ns, 'addr', 'add', `${WEST6}/64`, 'dev', topo.west.dev, 'nodad']);
    await runOk(['ip', '-n', topo.east.ns, 'addr', 'add', `${EAST6}/64`, 'dev', topo.east.dev, 'nodad']);
  });
  after(async () => {
    await topo?.destroy();
  });

  test('IPv4 outer, IPv6 inner: traffic both ways, counters agree', T, async () => {
    assert.ok(topo !== undefined);
    const t = topo;
    const { west, east } = await startPair(t, WEST_ADDR, EAST_ADDR, '2001:db8:1::/64', '2001:db8:2::/64');
    try {
      assert.equal((await west.initiate('gw', 'net')).code, 0);
      const [wsa] = await pollUntil(() => west.listSas(), kwEstablished);
      await pollUntil(() => east.listSas(), kwEstablished);
      assert.equal(wsa?.remote.address, EAST_ADDR);
      assert.equal(wsa?.children[0]?.encap, true);
      await pingBothWays(t, WEST_IN6, EAST_IN6, 5);
      const wc = keywayChildCounters(await west.listSas());
      const ec = keywayChildCounters(await east.listSas());
      // 10 IPv6/UDP packets each way (5 pings + 5 echoes): 40 + 8 + payload bytes each
      const bytes = 10 * (48 + PAYLOAD);
      assert.deepEqual(wc, { bytesIn: bytes, bytesOut: bytes, packetsIn: 10, packetsOut: 10 });
      assert.deepEqual(ec, { bytesIn: wc?.bytesOut, bytesOut: wc?.bytesIn, packetsIn: wc?.packetsOut, packetsOut: wc?.packetsIn });
      const es = statsCounters(await east.cli(['stats']));
      assert.equal(es['esp.rx.drop.innerMismatch'] ?? 0, 0);
      assert.equal(es['esp.rx.drop.policy'] ?? 0, 0);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- west ---\n${west.output().slice(-3000)}\n--- east ---\n${east.output().slice(-3000)}`);
    } finally {
      await west.stop();
      await east.stop();
    }
  });

  test('IPv6 outer (IKE and ESP-in-UDP over IPv6), IPv6 and IPv4 inner in one CHILD SA', T, async () => {
    assert.ok(topo !== undefined);
    const t = topo;
    const { west, east } = await startPair(t, WEST6, EAST6, '2001:db8:1::/64,10.1.0.0/24', '2001:db8:2::/64,10.2.0.0/24');
    try {
      assert.equal((await west.initiate('gw', 'net')).code, 0);
      const [wsa] = await pollUntil(() => west.listSas(), kwEstablished);
      const [esa] = await pollUntil(() => east.listSas(), kwEstablished);
      assert.equal(wsa?.remote.address, EAST6);
      assert.equal(esa?.remote.address, WEST6);
      assert.equal(wsa?.remote.port, 4500, 'UDP encapsulation moves IKE to 4500');
      await pingBothWays(t, WEST_IN6, EAST_IN6, 5);
      await pingBothWays(t, WEST_LAN, EAST_LAN, 5);
      const wc = keywayChildCounters(await west.listSas());
      const ec = keywayChildCounters(await east.listSas());
      const bytes = 10 * (48 + PAYLOAD) + 10 * (28 + PAYLOAD);
      assert.deepEqual(wc, { bytesIn: bytes, bytesOut: bytes, packetsIn: 20, packetsOut: 20 });
      assert.deepEqual(ec, { bytesIn: wc?.bytesOut, bytesOut: wc?.bytesIn, packetsIn: wc?.packetsOut, packetsOut: wc?.packetsIn });
      const ws = statsCounters(await west.cli(['stats']));
      assert.ok((ws['udp.tx.esp'] ?? 0) >= 20, `ESP left over IPv6: ${JSON.stringify(ws)}`);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- west ---\n${west.output().slice(-3000)}\n--- east ---\n${east.output().slice(-3000)}`);
    } finally {
      await west.stop();
      await east.stop();
    }
  });
});
