/**
 * The shape every userspace-dataplane interop case shares: strongSwan
 * (kernel-libipsec) in east loads its config, a Keyway daemon with
 * `dataplane = userspace` starts in west, the case runs, both daemons'
 * logs are attached to a failure, and afterwards Keyway must have removed
 * its TUN device and policy-routing rules. pingBothWays() is the traffic
 * check: UDP pings both ways and counters that agree on both sides.
 */
import assert from 'node:assert/strict';
import { runOk } from './exec.js';
import { startKeyway, type Keyway } from './keyway.js';
import type { Charon } from './strongswan.js';
import { EAST_LAN, WEST_LAN, type Topology } from './topology.js';
import { keywayChildCounters, statsCounters, swanChildCounters } from './traffic.js';
import { startEchoServer, udpPing } from './udp-echo.js';

export interface UserspaceCase {
  readonly topo: Topology | undefined;
  readonly charon: Charon | undefined;
  /** swanctl.conf text for strongSwan (east) and Keyway (west) */
  readonly eastConf: string;
  readonly westConf: string;
  readonly keylog?: boolean;
}

export async function userspaceScenario(c: UserspaceCase, body: (kw: Keyway, sw: Charon, t: Topology) => Promise<void>): Promise<void> {
  const { topo, charon } = c;
  assert.ok(topo !== undefined && charon !== undefined, 'lab is up');
  await charon.terminateAll();
  await charon.load(c.eastConf);
  const kw = await startKeyway({ host: topo.west, conf: c.westConf, dataplane: 'userspace', keylog: c.keylog ?? false });
  try {
    await body(kw, charon, topo);
  } catch (e) {
    const tail = kw.output().slice(-5000);
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- keyway output (tail) ---\n${tail}\n--- charon log (tail) ---\n${charon.log().slice(-3000)}`);
  } finally {
    await kw.stop();
    await charon.terminateAll();
  }
  // the daemon removed its TUN device and its policy-routing rules on exit
  const links = await runOk(topo.west.exec(['ip', '-o', 'link', 'show']));
  assert.doesNotMatch(links.stdout, /keyway0/, 'TUN device removed');
  const rules = await runOk(topo.west.exec(['ip', 'rule', 'show']));
  assert.doesNotMatch(rules.stdout, /lookup 220/, 'rules removed');
}

/**
 * 3 UDP pings each way through the tunnel; then Keyway's and strongSwan's
 * counters for the CHILD/IPsec SA pair must be mirror images, their SPIs
 * must pair up, and Keyway must have dropped nothing.
 */
export async function pingBothWays(kw: Keyway, sw: Charon, t: Topology, version: 1 | 2): Promise<void> {
  const eastEcho = await startEchoServer(t.east, EAST_LAN);
  const westEcho = await startEchoServer(t.west, WEST_LAN);
  try {
    const out = await udpPing(t.west, WEST_LAN, EAST_LAN, 3);
    assert.equal(out.received, 3, `west -> east UDP ping:\n${out.output}`);
    const back = await udpPing(t.east, EAST_LAN, WEST_LAN, 3);
    assert.equal(back.received, 3, `east -> west UDP ping:\n${back.output}`);
  } finally {
    await eastEcho.stop();
    await westEcho.stop();
  }
  const sas = await kw.listSas();
  assert.equal(sas[0]?.version, version, `Keyway shows an IKEv${version} SA`);
  const swSas = await sw.listSas();
  const kc = keywayChildCounters(sas);
  const sc = swanChildCounters(swSas);
  assert.ok(kc !== undefined && sc !== undefined, 'both have an installed CHILD SA');
  // 3 requests + 3 echoes each way, 84-byte IPv4 packets (56 bytes of UDP data)
  assert.deepEqual(kc, { bytesIn: 6 * 84, bytesOut: 6 * 84, packetsIn: 6, packetsOut: 6 }, 'Keyway counters');
  assert.deepEqual(sc, { bytesIn: kc.bytesOut, bytesOut: kc.bytesIn, packetsIn: kc.packetsOut, packetsOut: kc.packetsIn }, 'strongSwan agrees');
  // Keyway's inbound SPI is strongSwan's outbound and vice versa
  const kChild = sas[0]?.children[0];
  const sChild = swSas[0]?.children[0];
  assert.ok(kChild !== undefined && sChild !== undefined);
  assert.equal(kChild.spiIn.toLowerCase(), sChild.spiOut.toLowerCase(), 'Keyway inbound SPI = strongSwan outbound SPI');
  assert.equal(kChild.spiOut.toLowerCase(), sChild.spiIn.toLowerCase(), 'Keyway outbound SPI = strongSwan inbound SPI');
  const stats = statsCounters(await kw.cli(['stats']));
  assert.equal(stats['esp.rx.drop.auth'] ?? 0, 0);
  assert.equal(stats['esp.rx.drop.replay'] ?? 0, 0);
  assert.equal(stats['esp.rx.packets'], 6);
  assert.equal(stats['esp.tx.packets'], 6);
}
