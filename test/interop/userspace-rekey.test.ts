/**
 * Make-before-break with real traffic (issue 6): Keyway with the userspace
 * dataplane (west) and strongSwan 5.9.8 with kernel-libipsec (east), short
 * lifetimes on both sides so both initiate CHILD and IKE rekeys, while a
 * steady UDP echo stream crosses the tunnel: not one datagram may be lost
 * across the rekeys. Then a byte-triggered rekey (rekey_bytes) driven by the
 * userspace dataplane's soft-expiry events.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, EAST_LAN, WEST_LAN, type Topology } from './lab/topology.js';
import { startCharon, type Charon } from './lab/strongswan.js';
import type { Keyway } from './lab/keyway.js';
import { userspaceScenario } from './lab/userspace-scenario.js';
import { interopGate } from './lab/prereq.js';
import { eastConf, sitePair, westConf } from './lab/scenario.js';
import { kwEstablished, pollUntil, swEstablished } from './lab/expect.js';
import { statsCounters } from './lab/traffic.js';
import { startEchoServer, udpPing } from './lab/udp-echo.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);

describe('Keyway (userspace) <-> strongSwan: traffic across rekeys', { skip }, () => {
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

  async function withTunnel(
    childW: Record<string, string>,
    childE: Record<string, string>,
    conn: Record<string, string>,
    body: (kw: Keyway, t: Topology) => Promise<void>,
  ): Promise<void> {
    const base = sitePair({ ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16-x25519' });
    const pair = {
      west: { ...base.west, extra: conn, children: base.west.children.map((c) => ({ ...c, extra: childW })) },
      east: { ...base.east, extra: conn, children: base.east.children.map((c) => ({ ...c, extra: childE })) },
    };
    await userspaceScenario({ topo, charon, eastConf: eastConf(pair), westConf: westConf(pair) }, async (kw, sw, t) => {
      const r = await kw.initiate('gw', 'net');
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      await pollUntil(() => kw.listSas(), kwEstablished);
      await pollUntil(() => sw.listSas(), swEstablished);
      await body(kw, t);
    });
  }

  test('a steady stream loses nothing while both sides rekey CHILD and IKE SAs', { timeout: 240_000 }, () =>
    withTunnel(
      { rekey_time: '15s', life_time: '30s', rand_time: '5s' },
      { rekey_time: '15s', life_time: '30s', rand_time: '5s' },
      { rekey_time: '40s', over_time: '15s', rand_time: '10s' },
      async (kw, t) => {
        const echo = await startEchoServer(t.east, EAST_LAN);
        try {
          // 20 datagrams per second for about 100 s
          const res = await udpPing(t.west, WEST_LAN, EAST_LAN, 2000, 100, undefined, 50);
          assert.equal(res.sent, 2000);
          assert.equal(res.received, res.sent, `lost ${res.sent - res.received} of ${res.sent} datagrams across rekeys:\n${res.output}`);
        } finally {
          await echo.stop();
        }
        const c = statsCounters(await kw.cli(['stats']));
        const childRekeys = (c['child.rekeyed'] ?? 0) + (c['child.rekey.responded'] ?? 0);
        assert.ok(childRekeys >= 4, `CHILD rekeys during the stream: ${childRekeys}`);
        assert.ok((c['ike.rekeyed'] ?? 0) >= 1, `IKE rekeys during the stream: ${c['ike.rekeyed'] ?? 0}`);
        assert.equal(c['esp.rx.drop.auth'] ?? 0, 0);
        assert.equal(c['esp.rx.drop.bad_spi'] ?? c['esp.rx.drop.badSpi'] ?? 0, 0);
      },
    ));

  test('rekey_bytes: the userspace dataplane soft limit triggers CHILD rekeys without loss', { timeout: 120_000 }, () =>
    withTunnel({ rekey_bytes: '64K', life_bytes: '1M', rand_bytes: '8K', rekey_time: '1h' }, { rekey_time: '1h' }, {}, async (kw, t) => {
      const echo = await startEchoServer(t.east, EAST_LAN);
      try {
        // 600 x (100 + 28) bytes each way = about 77 KB out and 77 KB in: at least one soft limit
        const res = await udpPing(t.west, WEST_LAN, EAST_LAN, 600, 100, undefined, 10);
        assert.equal(res.received, res.sent, `lost ${res.sent - res.received} of ${res.sent}`);
      } finally {
        await echo.stop();
      }
      const c = statsCounters(await kw.cli(['stats']));
      assert.ok((c['kernel.expire.soft'] ?? 0) >= 1, 'a soft byte limit was reported by the dataplane');
      assert.ok((c['child.rekeyed'] ?? 0) >= 1, `CHILD rekeys: ${c['child.rekeyed'] ?? 0}`);
      const [sa] = await kw.listSas();
      assert.ok((sa?.children[0]?.generation ?? 0) >= 1);
    }));
});

describe('Keyway (userspace) <-> strongSwan: start_action = trap', { skip }, () => {
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

  test('the first packet without an SA triggers the negotiation; traffic then flows', { timeout: 90_000 }, async () => {
    const base = sitePair({ ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16' });
    const pair = { ...base, west: { ...base.west, children: base.west.children.map((c) => ({ ...c, startAction: 'trap' })) } };
    await userspaceScenario({ topo, charon, eastConf: eastConf(pair), westConf: westConf(pair) }, async (kw, _sw, t) => {
      const echo = await startEchoServer(t.east, EAST_LAN);
      try {
        assert.deepEqual(await kw.listSas(), [], 'nothing negotiated before traffic');
        // the first datagram hits the trap and is dropped while IKE runs; later ones cross
        const res = await udpPing(t.west, WEST_LAN, EAST_LAN, 8, 56, undefined, 500);
        assert.ok(res.received >= 5, `only ${res.received} of ${res.sent} echoes:\n${res.output}`);
        const sas = await kw.listSas();
        assert.ok(kwEstablished(sas), 'the trap brought the tunnel up');
        const c = statsCounters(await kw.cli(['stats']));
        assert.ok((c['kernel.acquire'] ?? 0) >= 1, 'an acquire was raised by the userspace dataplane');
      } finally {
        await echo.stop();
      }
    });
  });
});
