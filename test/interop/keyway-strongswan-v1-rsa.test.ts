/**
 * IKEv1 Main Mode and Aggressive Mode with RSA signatures (RFC 2409 §5.1)
 * against strongSwan 5.9.8: raw RSA public keys on both sides (swanctl
 * `pubkeys = file.pem`; strongSwan's private key from its swanctl `rsa/`
 * folder (SWANCTL_DIR), Keyway's from `secrets { rsa-west { file = ... } }`), both
 * roles, SAs established on both sides with matching cookies and SPIs, and a
 * wrong key is rejected (Main Mode). For Aggressive Mode a capture shows
 * what strongSwan sends: SIG_R in the clear AM2, SIG_I in an encrypted AM3.
 * Keys are generated per run into a temp folder (0600) removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, EAST_ADDR, WEST_ADDR } from './lab/topology.js';
import type { Topology } from './lab/topology.js';
import { startCharon } from './lab/strongswan.js';
import type { Charon } from './lab/strongswan.js';
import { startKeyway } from './lab/keyway.js';
import type { Keyway } from './lab/keyway.js';
import { loadCharonKey, rawKeyConf, writeKeyPair, type KeyPairFiles } from './lab/raw-keys.js';
import { interopGate, missingPrereqs } from './lab/prereq.js';
import { runOk } from './lab/exec.js';
import { startCapture } from './lab/capture.js';
import { kwEstablished, pollUntil, swEstablished } from './lab/expect.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const noTshark = missingPrereqs(['tshark']);
const T = { timeout: 60_000 };

/** ISAKMP exchange type 4 (RFC 2408 §4.1) as tshark shows `isakmp.exchangetype`. */
const AGGRESSIVE = '4';

interface IsakmpFrame {
  readonly src: string;
  readonly exchange: string;
  /** the E flag: the payloads after the header are encrypted */
  readonly encrypted: boolean;
  /** payload types, first payload of the chain first (only readable in clear messages) */
  readonly payloads: readonly string[];
}

/** The ISAKMP messages of a capture, as tshark dissects them (no keys: encrypted bodies stay opaque). */
async function isakmpFrames(pcap: string): Promise<IsakmpFrame[]> {
  const r = await runOk(['tshark', '-n', '-r', pcap, '-Y', 'isakmp', '-T', 'fields', '-E', 'separator=;', '-e', 'ip.src', '-e', 'isakmp.exchangetype', '-e', 'isakmp.flag_e', '-e', 'isakmp.typepayload'], { timeoutMs: 30_000 });
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [src = '', exchange = '', e = '', types = ''] = l.split(';');
    return { src, exchange, encrypted: e === '1' || e === 'True', payloads: types === '' ? [] : types.split(',') };
  });
}

function conf(self: 'west' | 'east', own: KeyPairFiles, peerPub: string, keyway: boolean, aggressive = false): string {
  return rawKeyConf({ self, version: 1, own, peerPub, keyway, aggressive, proposals: 'aes128-sha256-modp2048', esp: 'aes128-sha256' });
}

describe('IKEv1 RSA signatures: Keyway <-> strongSwan 5.9.8', { skip }, () => {
  let topo: Topology | undefined;
  let charon: Charon | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kw-v1-rsa-interop-'));
  const keys = (name: string): KeyPairFiles => writeKeyPair(dir, name, 'rsa');
  const west = keys('west');
  const east = keys('east');
  const stranger = keys('stranger');

  before(async () => {
    topo = await createTopology();
    charon = await startCharon({ host: topo.east });
  });

  const loadEastKey = (sw: Charon): Promise<void> => loadCharonKey(sw, dir, east);
  after(async () => {
    await charon?.stop();
    await topo?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function scenario(eastTrusts: string, body: (kw: Keyway, sw: Charon) => Promise<void>, aggressive = false): Promise<void> {
    assert.ok(topo !== undefined && charon !== undefined, 'lab is up');
    await charon.terminateAll();
    await charon.load(conf('east', east, eastTrusts, false, aggressive));
    await loadEastKey(charon);
    const logStart = charon.log().length;
    const kw = await startKeyway({ host: topo.west, conf: conf('west', west, east.pub, true, aggressive) });
    try {
      await body(kw, charon);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- keyway output (tail) ---\n${kw.output().slice(-5000)}\n--- charon log ---\n${charon.log().slice(logStart).slice(-5000)}`);
    } finally {
      await kw.stop();
      await charon.terminateAll();
    }
  }

  async function assertAgree(kw: Keyway, sw: Charon, keywayInitiated: boolean, mode: 'main' | 'aggressive' = 'main'): Promise<void> {
    const k = await pollUntil(() => kw.listSas(), kwEstablished);
    const s = await pollUntil(() => sw.listSas(), swEstablished);
    const w = k[0];
    const e = s[0];
    assert.ok(w !== undefined && e !== undefined);
    assert.equal(w.version, 1);
    assert.equal(w.mode, mode);
    assert.equal(w.localAuth, 'pubkey');
    assert.equal(w.remoteAuth, 'pubkey');
    assert.equal(e.raw['version'], '1');
    assert.equal(e.state, 'ESTABLISHED');
    assert.equal(e.initiator, !keywayInitiated);
    assert.equal(w.spiI, e.spiI, 'initiator cookie');
    assert.equal(w.spiR, e.spiR, 'responder cookie');
    const wc = w.children[0];
    const ec = e.children[0];
    assert.ok(wc !== undefined && ec !== undefined, 'an IPsec SA pair on both sides');
    assert.equal(wc.spiIn.toLowerCase(), ec.spiOut, 'Keyway inbound SPI = strongSwan outbound SPI');
    assert.equal(wc.spiOut.toLowerCase(), ec.spiIn, 'Keyway outbound SPI = strongSwan inbound SPI');
  }

  test('Main Mode with RSA signatures: Keyway initiates', T, () =>
    scenario(west.pub, async (kw, sw) => {
      const r = await kw.initiate('gw', 'net');
      assert.equal(r.code, 0, `keyway initiate: ${r.stdout}${r.stderr}`);
      await assertAgree(kw, sw, true);
      assert.match(sw.log(), /authentication of 'west' with RSA(_EMSA_PKCS1_NULL)? successful/);
    }));

  test('Main Mode with RSA signatures: Keyway responds', T, () =>
    scenario(west.pub, async (kw, sw) => {
      const r = await sw.initiate({ child: 'net' });
      assert.equal(r.code, 0, `swanctl --initiate: ${r.stdout}${r.stderr}`);
      await assertAgree(kw, sw, false);
    }));

  test('strongSwan trusts another key for west: Keyway initiates, strongSwan rejects SIG_I, nothing established', T, () =>
    scenario(stranger.pub, async (kw, sw) => {
      const from = sw.log().length;
      // the CLI waits for the outcome; Keyway only learns it by retransmission timeout, so do not wait for it
      const pending = kw.initiate('gw', 'net');
      await sw.waitForLog(/N\(AUTH_FAILED\)/, 15_000, from);
      assert.deepEqual(await sw.listSas(), []);
      assert.deepEqual((await kw.listSas()).filter((x) => x.state === 'established'), [], 'Keyway has no established SA');
      await kw.stop();
      assert.notEqual((await pending).code, 0, 'initiate did not succeed');
    }));

  /**
   * Aggressive Mode with signatures, captured on west: three AGGRESSIVE
   * messages; AM2 (from the responder) is clear and carries SIG (type 9),
   * AM3 (from the initiator) is encrypted. Returns the frames for more checks.
   */
  async function aggressiveScenario(initiate: (kw: Keyway, sw: Charon) => Promise<void>, keywayInitiates: boolean): Promise<void> {
    assert.ok(topo !== undefined);
    const cap = noTshark === undefined ? await startCapture(topo.west) : undefined;
    try {
      await scenario(west.pub, async (kw, sw) => {
        await initiate(kw, sw);
        await assertAgree(kw, sw, keywayInitiates, 'aggressive');
        if (cap === undefined) return;
        await cap.stop();
        const frames = (await isakmpFrames(cap.path)).filter((f) => f.exchange === AGGRESSIVE);
        const [am1, am2, am3] = frames;
        assert.equal(frames.length, 3, JSON.stringify(frames));
        assert.ok(am1 !== undefined && am2 !== undefined && am3 !== undefined);
        const [i, r] = keywayInitiates ? [WEST_ADDR, EAST_ADDR] : [EAST_ADDR, WEST_ADDR];
        assert.deepEqual([am1.src, am2.src, am3.src], [i, r, i]);
        assert.equal(am1.encrypted, false);
        assert.ok(am1.payloads.includes('5'), 'AM1 carries IDii');
        assert.equal(am2.encrypted, false, 'AM2 in the clear');
        assert.ok(am2.payloads.includes('9'), `AM2 carries SIG_R: ${am2.payloads.join(',')}`);
        assert.ok(!am2.payloads.includes('8'), 'AM2 carries no HASH_R');
        assert.equal(am3.encrypted, true, 'AM3 encrypted');
      }, true);
    } finally {
      await cap?.stop();
      cap?.remove();
    }
  }

  test('Aggressive Mode with RSA signatures: Keyway initiates', T, () =>
    aggressiveScenario(async (kw, sw) => {
      const from = sw.log().length;
      const r = await kw.initiate('gw', 'net');
      assert.equal(r.code, 0, `keyway initiate: ${r.stdout}${r.stderr}`);
      await sw.waitForLog(/authentication of 'west' with RSA(_EMSA_PKCS1_NULL)? successful/, 10_000, from);
    }, true));

  // strongSwan's own AM3 (encrypted, SIG_I) is what Keyway must accept as responder
  test('Aggressive Mode with RSA signatures: Keyway responds', T, () =>
    aggressiveScenario(async (_kw, sw) => {
      const from = sw.log().length;
      const r = await sw.initiate({ child: 'net' });
      assert.equal(r.code, 0, `swanctl --initiate: ${r.stdout}${r.stderr}`);
      assert.match(sw.log().slice(from), /initiating Aggressive Mode/);
    }, false));

  // Keyway's SIG_R (MM6) is the last message: strongSwan rejects it and brings nothing up
  test('strongSwan trusts another key for west: strongSwan initiates and rejects SIG_R', T, () =>
    scenario(stranger.pub, async (kw, sw) => {
      const r = await sw.initiate({ child: 'net', timeoutS: 10 });
      assert.notEqual(r.code, 0, 'swanctl --initiate fails');
      assert.deepEqual((await sw.listSas()).filter((s) => s.state === 'ESTABLISHED'), []);
    }));
});
