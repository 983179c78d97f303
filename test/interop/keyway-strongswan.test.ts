/**
 * Keyway (west, 192.0.2.1, memory dataplane) against strongSwan 5.9.8 (east,
 * 192.0.2.2, kernel-libipsec). One topology and one charon for the whole file;
 * each scenario reloads charon's connections and starts a fresh Keyway daemon
 * with its own config. PSK auth, 10.1.0.0/24 <-> 10.2.0.0/24.
 *
 * kernel-libipsec makes charon fake a NAT, so IKE_AUTH runs on port 4500
 * (RFC 7296 §2.23, RFC 3948): Keyway must follow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology } from './lab/topology.js';
import type { Topology } from './lab/topology.js';
import { startCharon } from './lab/strongswan.js';
import type { Charon } from './lab/strongswan.js';
import { startKeyway } from './lab/keyway.js';
import type { Keyway } from './lab/keyway.js';
import { interopGate, missingPrereqs } from './lab/prereq.js';
import { eastConf, sitePair, westConf } from './lab/scenario.js';
import type { SitePair } from './lab/scenario.js';
import { assertAgree, kwEstablished, pollUntil, swEstablished } from './lab/expect.js';
import type { Suite } from './lab/expect.js';
import { dissectIke, startCapture } from './lab/capture.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const noTshark = missingPrereqs(['tshark']);
/** per scenario: a hung daemon must fail the test, not the whole run */
const T = { timeout: 45_000 };

const SUITES: readonly Suite[] = [
  { ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16', encr: 'AES_GCM_16', bits: 128, integ: undefined,
    prf: 'PRF_HMAC_SHA2_256', dh: 'CURVE_25519', espEncr: 'AES_GCM_16', espBits: 128, espInteg: undefined },
  { ike: 'aes256-sha256-modp2048', esp: 'aes256-sha256', encr: 'AES_CBC', bits: 256, integ: 'HMAC_SHA2_256_128',
    prf: 'PRF_HMAC_SHA2_256', dh: 'MODP_2048', espEncr: 'AES_CBC', espBits: 256, espInteg: 'HMAC_SHA2_256_128' },
  { ike: 'chacha20poly1305-prfsha384-ecp384', esp: 'chacha20poly1305', encr: 'CHACHA20_POLY1305', bits: undefined,
    integ: undefined, prf: 'PRF_HMAC_SHA2_384', dh: 'ECP_384', espEncr: 'CHACHA20_POLY1305', espBits: undefined,
    espInteg: undefined },
  // kernel-libipsec does AES-XCBC in ESP too (checked strongSwan<->strongSwan)
  { ike: 'aes128-aesxcbc-modp3072', esp: 'aes128-aesxcbc', encr: 'AES_CBC', bits: 128, integ: 'AES_XCBC_96',
    prf: 'PRF_AES128_XCBC', dh: 'MODP_3072', espEncr: 'AES_CBC', espBits: 128, espInteg: 'AES_XCBC_96' },
];

describe('Keyway <-> strongSwan 5.9.8', { skip }, () => {
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

  /** Load `pair` on both sides, run `body` with a fresh Keyway, always stop it. */
  async function scenario(pair: SitePair, body: (kw: Keyway, sw: Charon) => Promise<void>, keylog = false): Promise<void> {
    assert.ok(topo !== undefined && charon !== undefined, 'lab is up');
    await charon.terminateAll();
    await charon.load(eastConf(pair));
    const kw = await startKeyway({ host: topo.west, conf: westConf(pair), keylog });
    try {
      await body(kw, charon);
    } catch (e) {
      // the daemon's own log is the first thing to read when this fails
      const tail = kw.output().slice(-4000);
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- keyway output (tail) ---\n${tail}\n--- charon log (tail) ---\n${charon.log().slice(-3000)}`);
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

  for (const s of SUITES) {
    test(`${s.ike} / esp ${s.esp}: Keyway initiates`, T, () =>
      scenario(sitePair({ ike: s.ike, esp: s.esp }), async (kw, sw) => {
        await kwInitiates(kw, sw);
        assertAgree(await kw.listSas(), await sw.listSas(), s, true);
      }));

    test(`${s.ike} / esp ${s.esp}: Keyway responds`, T, () =>
      scenario(sitePair({ ike: s.ike, esp: s.esp }), async (kw, sw) => {
        const r = await sw.initiate({ child: 'net' });
        assert.equal(r.code, 0, `swanctl --initiate: ${r.stdout}${r.stderr}`);
        const kwSas = await pollUntil(() => kw.listSas(), kwEstablished);
        assertAgree(kwSas, await sw.listSas(), s, false);
      }));
  }

  test('proposal mismatch: NO_PROPOSAL_CHOSEN on both sides, recorded in keyway failures', T, () =>
    scenario(
      sitePair({ ike: '', westIke: 'aes256-sha256-modp2048', eastIke: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16' }),
      async (kw, sw) => {
        await kw.initiate('gw', 'net'); // may exit non-zero: that is the point
        await sw.waitForLog(/N\(NO_PROP\)|NO_PROPOSAL_CHOSEN|no acceptable \w+ found|proposals unacceptable/, 10_000);
        const fails = await pollUntil(() => kw.failures(), (f) => f.length > 0);
        const rec = fails.find((f) => f.kind === 'proposal' || f.kind === 'peer-notify');
        assert.ok(rec !== undefined, `a 'proposal'/'peer-notify' failure record: ${JSON.stringify(fails)}`);
        assert.match(rec.message, /NO_PROPOSAL_CHOSEN|proposal/i, 'message names the mismatch');
        assert.deepEqual(await kw.listSas(), [], 'no SA left on Keyway');
        assert.deepEqual(await sw.listSas(), [], 'no SA left on strongSwan');
      },
    ));

  const base = SUITES[0];
  assert.ok(base !== undefined);

  test('delete from Keyway: keyway terminate --ike removes the SA on strongSwan', T, () =>
    scenario(sitePair({ ike: base.ike, esp: base.esp }), async (kw, sw) => {
      await kwInitiates(kw, sw);
      const [sa] = await kw.listSas();
      assert.ok(sa !== undefined);
      const r = await kw.terminateIke(sa.uniqueId);
      assert.equal(r.code, 0, `keyway terminate: ${r.stdout}${r.stderr}`);
      assert.deepEqual(await pollUntil(() => sw.listSas(), (l) => l.length === 0), [], 'strongSwan has no SA');
      assert.deepEqual(await pollUntil(() => kw.listSas(), (l) => l.length === 0), [], 'Keyway has no SA');
      assert.match(sw.log(), /received DELETE for IKE_SA gw\[\d+\]/);
    }));

  test('delete from strongSwan: swanctl --terminate --ike empties keyway list-sas', T, () =>
    scenario(sitePair({ ike: base.ike, esp: base.esp }), async (kw, sw) => {
      await kwInitiates(kw, sw);
      const r = await sw.terminateIke('gw');
      assert.equal(r.code, 0, `swanctl --terminate: ${r.stdout}${r.stderr}`);
      assert.deepEqual(await pollUntil(() => kw.listSas(), (l) => l.length === 0), [], 'Keyway has no SA');
      assert.deepEqual(await sw.listSas(), []);
    }));

  // tshark 4.0 decrypts AES-CBC/GCM with HMAC-SHA2 only (no ChaCha20, no XCBC)
  for (const s of SUITES.slice(0, 2)) {
    test(`tshark decrypts Keyway's IKE_AUTH with its keylog (${s.ike})`, { ...T, skip: noTshark ?? false }, () =>
      scenario(sitePair({ ike: s.ike, esp: s.esp }), async (kw, sw) => {
        assert.ok(topo !== undefined);
        const cap = await startCapture(topo.west);
        try {
          await kwInitiates(kw, sw);
          await cap.stop();
          const [sa] = await kw.listSas();
          assert.ok(sa !== undefined);
          const lines = kw.keylog();
          assert.equal(lines.length, 1, `one keylog line per IKE SA: ${lines.length}`);
          const line = lines[0] ?? '';
          assert.ok(line.toLowerCase().startsWith(`${sa.spiI},${sa.spiR},`.toLowerCase()), 'keylog line names the SA SPIs');
          const frames = await dissectIke(cap.path, lines);
          const auth = frames.filter((f) => f.exchange === 'IKE_AUTH');
          assert.equal(auth.length, 2, `IKE_AUTH request + response: ${frames.map((f) => f.exchange).join(',')}`);
          for (const f of auth) {
            assert.ok(f.decrypted, `frame ${f.frame} decrypted`);
            assert.equal(f.integrity, 'correct', `frame ${f.frame} integrity:\n${f.text.slice(-3000)}`);
          }
        } finally {
          await cap.stop();
          cap.remove();
        }
      }, true));
  }
});
