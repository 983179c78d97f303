/**
 * Both IKE versions at once: one Keyway daemon (west, 192.0.2.1) serves an
 * IKEv1 peer and an IKEv2 peer on the same UDP ports 500/4500 at the same
 * time. The peers are two strongSwan 5.9.8 connections (east, 192.0.2.2):
 * `v1` with `version = 1` protecting 10.2.0.0/24 <-> 10.1.0.0/24 and `v2`
 * with `version = 2` protecting 10.2.1.0/24 <-> 10.1.1.0/24. The ISAKMP
 * header's version field (RFC 2408 §3.1, RFC 7296 §3.1) routes each datagram
 * to the right engine; both negotiations run concurrently, in both roles.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IkeSaInfo } from '../../src/ike/info.js';
import { createTopology, EAST_ADDR, WEST_ADDR } from './lab/topology.js';
import type { Topology } from './lab/topology.js';
import { startCharon } from './lab/strongswan.js';
import type { Charon } from './lab/strongswan.js';
import { startKeyway } from './lab/keyway.js';
import type { Keyway } from './lab/keyway.js';
import { interopGate } from './lab/prereq.js';
import { runOk } from './lab/exec.js';
import { LAB_PSK } from './lab/scenario.js';

const PSK = { ...LAB_PSK, ids: ['west1', 'east1', 'west2', 'east2'] };
import { swanctlConf, type ConnSpec } from './lab/swanctl-conf.js';
import { pollUntil } from './lab/expect.js';
import type { SwanIkeSa } from './lab/vici-raw.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const T = { timeout: 60_000 };

const NETS = { 1: { west: '10.1.0.0/24', east: '10.2.0.0/24' }, 2: { west: '10.1.1.0/24', east: '10.2.1.0/24' } } as const;

function conns(side: 'west' | 'east'): ConnSpec[] {
  const me = side === 'west' ? WEST_ADDR : EAST_ADDR;
  const peer = side === 'west' ? EAST_ADDR : WEST_ADDR;
  const other = side === 'west' ? 'east' : 'west';
  return ([1, 2] as const).map((v) => ({
    // two peers, two identities: charon's INITIAL_CONTACT handling would otherwise
    // delete the other version's SA of the same identity pair
    name: `v${v}`, version: v, localAddr: me, remoteAddr: peer, localId: `${side}${v}`, remoteId: `${other}${v}`,
    proposals: v === 1 ? 'aes128-sha256-modp2048' : 'aes128gcm16-prfsha256-x25519',
    children: [{ name: `net${v}`, localTs: NETS[v][side], remoteTs: NETS[v][other], espProposals: v === 1 ? 'aes128-sha256' : 'aes128gcm16' }],
  }));
}

function bothUp(kw: readonly IkeSaInfo[]): boolean {
  return [1, 2].every((v) => kw.some((s) => s.version === v && s.state === 'established' && s.children.some((c) => c.state === 'installed')));
}

function swBothUp(sw: readonly SwanIkeSa[]): boolean {
  return sw.length === 2 && sw.every((s) => s.state === 'ESTABLISHED' && s.children.some((c) => c.state === 'INSTALLED'));
}

/** One SA per version on each side, with matching SPIs, versions and selectors. */
function assertBoth(kw: readonly IkeSaInfo[], sw: readonly SwanIkeSa[]): void {
  const ctx = `\nkeyway: ${JSON.stringify(kw)}\nstrongswan: ${JSON.stringify(sw.map((x) => x.raw))}`;
  assert.equal(kw.length, 2, `Keyway: two IKE SAs${ctx}`);
  assert.equal(sw.length, 2, `strongSwan: two IKE SAs${ctx}`);
  for (const v of [1, 2] as const) {
    const w = kw.find((s) => s.version === v);
    const e = sw.find((s) => s.raw['version'] === String(v));
    assert.ok(w !== undefined && e !== undefined, `IKEv${v} SA on both sides${ctx}`);
    assert.equal(w.connection, `v${v}`);
    assert.equal(e.name, `v${v}`);
    assert.equal(w.state, 'established');
    assert.equal(w.spiI.toLowerCase(), e.spiI, `IKEv${v} SPIi`);
    assert.equal(w.spiR.toLowerCase(), e.spiR, `IKEv${v} SPIr`);
    const wc = w.children[0];
    const ec = e.children[0];
    assert.ok(wc !== undefined && ec !== undefined, `IKEv${v} child on both sides${ctx}`);
    assert.equal(wc.spiIn.toLowerCase(), ec.spiOut, `IKEv${v} Keyway inbound SPI`);
    assert.equal(wc.spiOut.toLowerCase(), ec.spiIn, `IKEv${v} Keyway outbound SPI`);
    assert.deepEqual([...wc.localTs], [NETS[v].west]);
    assert.deepEqual([...ec.localTs], [NETS[v].east]);
    // both ride on the same ports: 4500 after the (faked) NAT was detected
    assert.equal(w.local.port, 4500, `IKEv${v} local port`);
  }
}

describe('one Keyway daemon serves an IKEv1 and an IKEv2 peer at once', { skip }, () => {
  let topo: Topology | undefined;
  let charon: Charon | undefined;

  before(async () => {
    topo = await createTopology();
    // kernel-libipsec routes each policy with a source inside the local selector
    await runOk(['ip', '-n', topo.east.ns, 'addr', 'add', '10.2.1.1/24', 'dev', topo.east.dev]);
    await runOk(['ip', '-n', topo.west.ns, 'addr', 'add', '10.1.1.1/24', 'dev', topo.west.dev]);
    charon = await startCharon({ host: topo.east });
  });
  after(async () => {
    await charon?.stop();
    await topo?.destroy();
  });

  async function scenario(body: (kw: Keyway, sw: Charon) => Promise<void>): Promise<void> {
    assert.ok(topo !== undefined && charon !== undefined, 'lab is up');
    await charon.terminateAll();
    await charon.load(swanctlConf(conns('east'), [PSK]));
    const logStart = charon.log().length;
    const kw = await startKeyway({ host: topo.west, conf: swanctlConf(conns('west'), [PSK]) });
    try {
      await body(kw, charon);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- keyway output (tail) ---\n${kw.output().slice(-5000)}\n--- charon log ---\n${charon.log().slice(logStart).slice(-5000)}`);
    } finally {
      await kw.stop();
      await charon.terminateAll();
    }
  }

  test('strongSwan initiates IKEv1 and IKEv2 concurrently; Keyway answers both', T, () =>
    scenario(async (kw, sw) => {
      const [r1, r2] = await Promise.all([sw.initiate({ child: 'net1' }), sw.initiate({ child: 'net2' })]);
      assert.equal(r1.code, 0, `swanctl --initiate net1: ${r1.stdout}${r1.stderr}`);
      assert.equal(r2.code, 0, `swanctl --initiate net2: ${r2.stdout}${r2.stderr}`);
      const k = await pollUntil(() => kw.listSas(), bothUp);
      assertBoth(k, await pollUntil(() => sw.listSas(), swBothUp));
      const counters = (await kw.cli(['stats'])) as { counters: Record<string, number> };
      assert.ok((counters.counters['v1.rx'] ?? 0) > 0, 'the IKEv1 engine received datagrams');
    }));

  test('Keyway initiates IKEv1 and IKEv2 concurrently', T, () =>
    scenario(async (kw, sw) => {
      const [r1, r2] = await Promise.all([kw.initiate('v1', 'net1'), kw.initiate('v2', 'net2')]);
      assert.equal(r1.code, 0, `keyway initiate v1: ${r1.stdout}${r1.stderr}`);
      assert.equal(r2.code, 0, `keyway initiate v2: ${r2.stdout}${r2.stderr}`);
      const k = await pollUntil(() => kw.listSas(), bothUp);
      assertBoth(k, await pollUntil(() => sw.listSas(), swBothUp));
      // deleting the IKEv1 SA leaves the IKEv2 one alone
      const v1 = k.find((s) => s.version === 1);
      assert.ok(v1 !== undefined);
      const t = await kw.terminateIke(v1.uniqueId);
      assert.equal(t.code, 0, `keyway terminate: ${t.stdout}${t.stderr}`);
      const left = await pollUntil(() => sw.listSas(), (l) => l.length === 1);
      assert.equal(left[0]?.raw['version'], '2', 'strongSwan keeps the IKEv2 SA');
      assert.deepEqual((await kw.listSas()).map((s) => s.version), [2]);
    }));
});
