/**
 * IKEv1 interop: Keyway (west, 192.0.2.1, memory dataplane) against
 * strongSwan 5.9.8 (east, 192.0.2.2, kernel-libipsec) with `version = 1`.
 * Main Mode and Aggressive Mode with PSK, Quick Mode with and without PFS,
 * both roles; the SAs must agree on both sides (SPIs, algorithms, selectors)
 * and a Delete from either side must empty the other.
 *
 * kernel-libipsec makes charon fake a NAT (random NAT-D, RFC 3947 §3.2), so
 * the initiator floats to port 4500 from MM5 / AM3 on and ESP is
 * UDP-encapsulated (UDP-Encapsulated-Tunnel, RFC 3947 §5.2).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IkeSaInfo } from '../../src/ike/info.js';
import { createTopology } from './lab/topology.js';
import type { Topology } from './lab/topology.js';
import { AGGRESSIVE_PSK_SETTING, startCharon } from './lab/strongswan.js';
import type { Charon } from './lab/strongswan.js';
import { startKeyway } from './lab/keyway.js';
import type { Keyway } from './lab/keyway.js';
import { interopGate } from './lab/prereq.js';
import { EAST_NET, LAB_PSK, sitePair, WEST_NET } from './lab/scenario.js';
import type { SitePair } from './lab/scenario.js';
import { swanctlConf } from './lab/swanctl-conf.js';
import { kwEstablished, pollUntil, swEstablished } from './lab/expect.js';
import type { SwanIkeSa } from './lab/vici-raw.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const T = { timeout: 60_000 };

interface V1Case {
  readonly ike: string;
  readonly esp: string;
  readonly aggressive: boolean;
  /** expected names (strongSwan spelling, shared by Keyway's JSON) */
  readonly encr: string;
  readonly bits: number;
  readonly integ: string;
  readonly prf: string;
  readonly dh: string;
  readonly espInteg: string;
  readonly pfs: string | undefined;
}

const MAIN: V1Case = { ike: 'aes128-sha256-modp2048', esp: 'aes128-sha256', aggressive: false, encr: 'AES_CBC', bits: 128, integ: 'HMAC_SHA2_256_128', prf: 'PRF_HMAC_SHA2_256', dh: 'MODP_2048', espInteg: 'HMAC_SHA2_256_128', pfs: undefined };
const MAIN_PFS: V1Case = { ...MAIN, ike: 'aes256-sha1-modp3072', esp: 'aes256-sha1-ecp256', bits: 256, integ: 'HMAC_SHA1_96', prf: 'PRF_HMAC_SHA1', dh: 'MODP_3072', espInteg: 'HMAC_SHA1_96', pfs: 'ECP_256' };
const AGGR: V1Case = { ...MAIN, aggressive: true };
const AGGR_PFS: V1Case = { ...MAIN, aggressive: true, esp: 'aes128-sha256-modp2048', pfs: 'MODP_2048' };

function v1Pair(c: V1Case): SitePair {
  const p = sitePair({ ike: c.ike, esp: c.esp });
  return {
    west: { ...p.west, version: 1, ...(c.aggressive ? { aggressive: true } : {}) },
    east: { ...p.east, version: 1, ...(c.aggressive ? { aggressive: true } : {}) },
  };
}

function ctxText(kw: readonly IkeSaInfo[], sw: readonly SwanIkeSa[]): string {
  return `\nkeyway: ${JSON.stringify(kw)}\nstrongswan: ${JSON.stringify(sw.map((x) => x.raw))}`;
}

/** Both sides show one IKEv1 SA with one installed child and agree on every negotiated value. */
function assertAgreeV1(kw: readonly IkeSaInfo[], sw: readonly SwanIkeSa[], c: V1Case, keywayInitiated: boolean): void {
  const ctx = ctxText(kw, sw);
  assert.equal(kw.length, 1, `Keyway: one IKE SA${ctx}`);
  assert.equal(sw.length, 1, `strongSwan: one IKE SA${ctx}`);
  const w = kw[0];
  const e = sw[0];
  assert.ok(w !== undefined && e !== undefined);
  assert.equal(e.state, 'ESTABLISHED', `strongSwan IKE state${ctx}`);
  assert.equal(e.raw['version'], '1', 'strongSwan version');
  assert.equal(e.initiator, !keywayInitiated, 'strongSwan initiator flag');
  assert.equal(e.encrAlg, c.encr);
  assert.equal(e.encrKeysize, String(c.bits));
  assert.equal(e.integAlg, c.integ);
  assert.equal(e.prfAlg, c.prf);
  assert.equal(e.dhGroup, c.dh);
  assert.equal(w.version, 1, 'Keyway version');
  assert.equal(w.mode, c.aggressive ? 'aggressive' : 'main', 'Keyway phase 1 mode');
  assert.equal(w.state, 'established');
  assert.equal(w.initiator, keywayInitiated, 'Keyway initiator flag');
  assert.equal(w.spiI.toLowerCase(), e.spiI, 'initiator cookie agrees');
  assert.equal(w.spiR.toLowerCase(), e.spiR, 'responder cookie agrees');
  assert.equal(w.algorithms.encryption, c.encr, 'Keyway IKE encr');
  assert.equal(w.algorithms.encryptionKeyBits, c.bits, 'Keyway IKE key bits');
  assert.equal(w.algorithms.integrity, c.integ, 'Keyway IKE integ');
  assert.equal(w.algorithms.prf, c.prf, 'Keyway IKE prf');
  assert.equal(w.algorithms.keyExchange, c.dh, 'Keyway IKE DH');
  assert.equal(w.localAuth, 'psk');
  assert.equal(w.natLocal || w.natRemote, true, 'libipsec fakes a NAT: NAT-T in use');
  assert.equal(w.remote.port, 4500, 'floated to 4500');

  assert.equal(e.children.length, 1, `strongSwan: one CHILD SA${ctx}`);
  assert.equal(w.children.length, 1, `Keyway: one CHILD SA${ctx}`);
  const ec = e.children[0];
  const wc = w.children[0];
  assert.ok(ec !== undefined && wc !== undefined);
  assert.equal(ec.state, 'INSTALLED');
  assert.equal(wc.state, 'installed');
  assert.equal(wc.spiIn.toLowerCase(), ec.spiOut, 'Keyway inbound SPI = strongSwan outbound SPI');
  assert.equal(wc.spiOut.toLowerCase(), ec.spiIn, 'Keyway outbound SPI = strongSwan inbound SPI');
  assert.equal(ec.encrAlg, c.encr);
  assert.equal(wc.algorithms.encryption, c.encr);
  assert.equal(ec.integAlg, c.espInteg);
  assert.equal(wc.algorithms.integrity, c.espInteg);
  assert.equal(ec.dhGroup, c.pfs, 'strongSwan PFS group');
  assert.equal(wc.algorithms.keyExchange, c.pfs, 'Keyway PFS group');
  assert.equal(wc.encap, true, 'UDP-encapsulated ESP');
  assert.deepEqual(ec.localTs, [EAST_NET]);
  assert.deepEqual(ec.remoteTs, [WEST_NET]);
  assert.deepEqual([...wc.localTs], [WEST_NET]);
  assert.deepEqual([...wc.remoteTs], [EAST_NET]);
}

describe('IKEv1: Keyway <-> strongSwan 5.9.8', { skip }, () => {
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

  async function scenario(pair: SitePair, body: (kw: Keyway, sw: Charon) => Promise<void>): Promise<void> {
    assert.ok(topo !== undefined && charon !== undefined, 'lab is up');
    await charon.terminateAll();
    await charon.load(swanctlConf([pair.east], [LAB_PSK]));
    const logStart = charon.log().length;
    const kw = await startKeyway({ host: topo.west, conf: swanctlConf([pair.west], [LAB_PSK]) });
    try {
      await body(kw, charon);
    } catch (e) {
      const tail = kw.output().slice(-5000);
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- keyway output (tail) ---\n${tail}\n--- charon log ---\n${charon.log().slice(logStart).slice(-5000)}`);
    } finally {
      await kw.stop();
      await charon.terminateAll();
    }
  }

  async function kwInitiates(kw: Keyway, sw: Charon): Promise<void> {
    const r = await kw.initiate('gw', 'net');
    assert.equal(r.code, 0, `keyway initiate: ${r.stdout}${r.stderr}`);
    await pollUntil(() => kw.listSas(), kwEstablished);
    await pollUntil(() => sw.listSas(), swEstablished);
  }

  async function swInitiates(kw: Keyway, sw: Charon): Promise<void> {
    const r = await sw.initiate({ child: 'net' });
    assert.equal(r.code, 0, `swanctl --initiate: ${r.stdout}${r.stderr}`);
    await pollUntil(() => kw.listSas(), kwEstablished);
  }

  const cases: readonly [string, V1Case][] = [
    ['Main Mode, no PFS', MAIN],
    ['Main Mode, PFS', MAIN_PFS],
    ['Aggressive Mode, no PFS', AGGR],
    ['Aggressive Mode, PFS', AGGR_PFS],
  ];
  for (const [name, c] of cases) {
    test(`${name} (${c.ike} / ${c.esp}): Keyway initiates`, T, () =>
      scenario(v1Pair(c), async (kw, sw) => {
        await kwInitiates(kw, sw);
        assertAgreeV1(await kw.listSas(), await sw.listSas(), c, true);
      }));
    test(`${name} (${c.ike} / ${c.esp}): Keyway responds`, T, () =>
      scenario(v1Pair(c), async (kw, sw) => {
        await swInitiates(kw, sw);
        assertAgreeV1(await pollUntil(() => kw.listSas(), kwEstablished), await sw.listSas(), c, false);
      }));
  }

  test('delete from Keyway: Delete (IPsec, then ISAKMP) removes both SAs on strongSwan', T, () =>
    scenario(v1Pair(MAIN), async (kw, sw) => {
      await kwInitiates(kw, sw);
      const [sa] = await kw.listSas();
      assert.ok(sa !== undefined);
      const r = await kw.terminateIke(sa.uniqueId);
      assert.equal(r.code, 0, `keyway terminate: ${r.stdout}${r.stderr}`);
      assert.deepEqual(await pollUntil(() => sw.listSas(), (l) => l.length === 0), [], 'strongSwan has no SA');
      assert.deepEqual(await kw.listSas(), [], 'Keyway has no SA');
      assert.match(sw.log(), /received DELETE for (ESP CHILD_SA|IKE_SA)/);
    }));

  test('delete from strongSwan: swanctl --terminate --ike empties keyway list-sas', T, () =>
    scenario(v1Pair(MAIN), async (kw, sw) => {
      await swInitiates(kw, sw);
      const r = await sw.terminateIke('gw');
      assert.equal(r.code, 0, `swanctl --terminate: ${r.stdout}${r.stderr}`);
      assert.deepEqual(await pollUntil(() => kw.listSas(), (l) => l.length === 0), [], 'Keyway has no SA');
      assert.deepEqual(await sw.listSas(), []);
    }));

  test('delete of the CHILD SA alone from strongSwan: Keyway keeps the ISAKMP SA', T, () =>
    scenario(v1Pair(MAIN), async (kw, sw) => {
      await kwInitiates(kw, sw);
      const r = await sw.swanctl(['--terminate', '--child', 'net', '--timeout', '10']);
      assert.equal(r.code, 0, `swanctl --terminate --child: ${r.stdout}${r.stderr}`);
      const after = await pollUntil(() => kw.listSas(), (l) => l[0]?.children.length === 0);
      assert.equal(after.length, 1);
      assert.equal(after[0]?.state, 'established');
      assert.equal(after[0]?.children.length, 0, 'child removed on Keyway');
    }));

  test('DPD: Keyway sends R-U-THERE on an idle SA and strongSwan acknowledges it (RFC 3706)', T, () => {
    const p = v1Pair(MAIN);
    return scenario({ ...p, west: { ...p.west, extra: { dpd_delay: '2s' } } }, async (kw, sw) => {
      await kwInitiates(kw, sw);
      const stats = await pollUntil(
        async () => ((await kw.cli(['stats'])) as { counters: Record<string, number> }).counters,
        (c) => (c['v1.dpd.ack'] ?? 0) >= 2,
        15_000,
      );
      assert.ok((stats['v1.dpd.ack'] ?? 0) >= 2, `R-U-THERE-ACKs: ${JSON.stringify(stats)}`);
      assert.equal(stats['v1.dpd.ack.stale'] ?? 0, 0);
      assert.equal((await kw.listSas())[0]?.state, 'established');
    });
  });
});
