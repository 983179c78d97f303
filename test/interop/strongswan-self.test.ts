/**
 * Harness self-check: strongSwan <-> strongSwan in the lab. If this fails,
 * the Keyway interop results mean nothing. West initiates; PSK;
 * IKE aes128gcm16-prfsha256-x25519, ESP aes128gcm16. Also proves that the
 * tshark checker reports "[correct]" with right keys and "[incorrect]" with
 * wrong ones (keys taken from charon's ike=4 log).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology } from './lab/topology.js';
import type { Topology } from './lab/topology.js';
import { startCharon } from './lab/strongswan.js';
import type { Charon } from './lab/strongswan.js';
import { interopGate, missingPrereqs } from './lab/prereq.js';
import { eastConf, EAST_NET, sitePair, WEST_NET, westConf } from './lab/scenario.js';
import { startCapture, dissectIke } from './lab/capture.js';
import type { Capture } from './lab/capture.js';
import { keysFromCharonLog, tsharkEncrName, tsharkIntegName, uatLine } from './lab/ike-keys.js';
import type { SwanIkeSa } from './lab/vici-raw.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const noTshark = missingPrereqs(['tshark']);

describe('strongSwan <-> strongSwan lab self-check', { skip, timeout: 120_000 }, () => {
  let topo: Topology | undefined;
  let west: Charon | undefined;
  let east: Charon | undefined;
  let cap: Capture | undefined;

  before(async () => {
    topo = await createTopology();
    // ike=4 makes charon dump SK_e*/SK_a* for the tshark check
    const lv = { default: 1, ike: 4, cfg: 2, chd: 2, knl: 1, net: 1, enc: 1 };
    [west, east] = await Promise.all([
      startCharon({ host: topo.west, logLevels: lv }),
      startCharon({ host: topo.east }),
    ]);
    const pair = sitePair({ ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16' });
    await west.load(westConf(pair));
    await east.load(eastConf(pair));
  });

  after(async () => {
    await cap?.stop();
    cap?.remove();
    await west?.stop();
    await east?.stop();
    await topo?.destroy();
  });

  function only(sas: SwanIkeSa[], side: string): SwanIkeSa {
    assert.equal(sas.length, 1, `${side}: expected exactly one IKE SA, got ${JSON.stringify(sas.map((s) => s.raw))}`);
    const [sa] = sas;
    assert.ok(sa !== undefined);
    return sa;
  }

  test('west initiates: both sides ESTABLISHED + INSTALLED with mirrored SPIs', async () => {
    assert.ok(west !== undefined && east !== undefined && topo !== undefined);
    if (noTshark === undefined) cap = await startCapture(topo.west);
    const r = await west.initiate({ child: 'net' });
    assert.equal(r.code, 0, `swanctl --initiate failed:\n${r.stdout}\n${r.stderr}\n${west.log().slice(-3000)}`);
    await cap?.stop();

    const w = only(await west.listSas(), 'west');
    const e = only(await east.listSas(), 'east');
    for (const [sa, side] of [[w, 'west'], [e, 'east']] as const) {
      assert.equal(sa.state, 'ESTABLISHED', side);
      assert.equal(sa.encrAlg, 'AES_GCM_16', side);
      assert.equal(sa.encrKeysize, '128', side);
      assert.equal(sa.integAlg, undefined, `${side}: AEAD has no integrity transform`);
      assert.equal(sa.prfAlg, 'PRF_HMAC_SHA2_256', side);
      assert.equal(sa.dhGroup, 'CURVE_25519', side);
      assert.equal(sa.children.length, 1, `${side}: one CHILD SA`);
      assert.equal(sa.children[0]?.state, 'INSTALLED', side);
      assert.equal(sa.children[0]?.encrAlg, 'AES_GCM_16', side);
      assert.equal(sa.children[0]?.protocol, 'ESP', side);
    }
    assert.equal(w.initiator, true);
    assert.equal(e.initiator, false);
    assert.match(w.spiI, /^[0-9a-f]{16}$/);
    assert.equal(w.spiI, e.spiI, 'IKE SPIi matches');
    assert.equal(w.spiR, e.spiR, 'IKE SPIr matches');
    const wc = w.children[0];
    const ec = e.children[0];
    assert.ok(wc !== undefined && ec !== undefined);
    assert.match(wc.spiIn, /^[0-9a-f]{8}$/);
    assert.equal(wc.spiIn, ec.spiOut, 'west inbound SPI is east outbound SPI');
    assert.equal(wc.spiOut, ec.spiIn, 'west outbound SPI is east inbound SPI');
    assert.deepEqual(wc.localTs, [WEST_NET]);
    assert.deepEqual(wc.remoteTs, [EAST_NET]);
    assert.deepEqual(ec.localTs, [EAST_NET]);
    assert.deepEqual(ec.remoteTs, [WEST_NET]);
  });

  test('tshark decrypts IKE_AUTH with [correct] integrity, and flags wrong keys', { skip: noTshark ?? false }, async () => {
    assert.ok(west !== undefined && cap !== undefined, 'capture from the previous test');
    const sa = only(await west.listSas(), 'west');
    const keys = keysFromCharonLog(west.log());
    assert.equal(keys.length, 1, 'one IKE key set in the ike=4 log');
    const k = keys[0];
    assert.ok(k !== undefined);
    assert.equal(k.skEi.length, 2 * 20, 'AES-128-GCM SK_ei = 16 key + 4 salt octets (RFC 5282)');
    const encr = tsharkEncrName(sa.encrAlg, Number(sa.encrKeysize));
    const integ = tsharkIntegName(sa.integAlg);
    assert.ok(encr !== undefined && integ !== undefined);
    const frames = await dissectIke(cap.path, [uatLine(sa.spiI, sa.spiR, k, encr, integ)]);
    const auth = frames.filter((f) => f.exchange === 'IKE_AUTH');
    assert.equal(auth.length, 2, `IKE_AUTH request + response captured: ${frames.map((f) => f.exchange).join(',')}`);
    for (const f of auth) {
      assert.ok(f.decrypted, `frame ${f.frame} decrypted`);
      assert.equal(f.integrity, 'correct', `frame ${f.frame}:\n${f.text}`);
    }
    // negative control: one flipped key bit must turn the verdict around
    const bad = { ...k, skEi: (k.skEi.startsWith('0') ? '1' : '0') + k.skEi.slice(1) };
    const badFrames = await dissectIke(cap.path, [uatLine(sa.spiI, sa.spiR, bad, encr, integ)]);
    const badReq = badFrames.find((f) => f.exchange === 'IKE_AUTH' && !f.response);
    assert.equal(badReq?.integrity, 'incorrect');
  });

  test('east deletes the IKE SA: both sides end up with no SA', async () => {
    assert.ok(west !== undefined && east !== undefined);
    const r = await east.terminateIke('gw');
    assert.equal(r.code, 0, `terminate failed: ${r.stdout}${r.stderr}`);
    assert.deepEqual(await east.listSas(), []);
    const w = west;
    let left: SwanIkeSa[] = [];
    for (let i = 0; i < 50; i += 1) {
      left = await w.listSas();
      if (left.length === 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.deepEqual(left.map((s) => s.state), [], 'west removed its SA after the peer\'s DELETE');
    assert.match(w.log(), /received DELETE for IKE_SA gw\[\d+\]/);
  });
});
