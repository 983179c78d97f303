/**
 * IKEv1 Main Mode with RSA signatures (RFC 2409 §5.1) against strongSwan
 * 5.9.8: raw RSA public keys on both sides (swanctl `pubkeys = file.pem`;
 * strongSwan's private key from its swanctl `rsa/` folder (SWANCTL_DIR),
 * Keyway's from `local { private_key = file }`), both roles, SAs established on both
 * sides with matching cookies and SPIs, and a wrong key is rejected.
 * Keys are generated per run into a temp folder (0600) removed afterwards.
 */
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { interopGate } from './lab/prereq.js';
import { run } from './lab/exec.js';
import { EAST_NET, WEST_NET } from './lab/scenario.js';
import { kwEstablished, pollUntil, swEstablished } from './lab/expect.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const T = { timeout: 60_000 };

interface Keys {
  readonly key: string;
  readonly pub: string;
}

function conf(self: 'west' | 'east', own: Keys, peerPub: string, keyway: boolean): string {
  const w = self === 'west';
  return [
    'connections {',
    '  gw {',
    '    version = 1',
    `    local_addrs = ${w ? WEST_ADDR : EAST_ADDR}`,
    `    remote_addrs = ${w ? EAST_ADDR : WEST_ADDR}`,
    '    proposals = aes128-sha256-modp2048',
    '    local {',
    '      auth = pubkey',
    `      id = ${self}`,
    // Keyway names its private key here; strongSwan finds it in secrets by the public key
    ...(keyway ? [`      private_key = ${own.key}`] : [`      pubkeys = ${own.pub}`]),
    '    }',
    '    remote {',
    '      auth = pubkey',
    `      id = ${w ? 'east' : 'west'}`,
    `      pubkeys = ${peerPub}`,
    '    }',
    '    children {',
    '      net {',
    `        local_ts = ${w ? WEST_NET : EAST_NET}`,
    `        remote_ts = ${w ? EAST_NET : WEST_NET}`,
    '        esp_proposals = aes128-sha256',
    '      }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

describe('IKEv1 RSA signatures: Keyway <-> strongSwan 5.9.8', { skip }, () => {
  let topo: Topology | undefined;
  let charon: Charon | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kw-v1-rsa-interop-'));
  const keys = (name: string): Keys => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const k = { key: join(dir, `${name}.key.pem`), pub: join(dir, `${name}.pub.pem`) };
    // PKCS#1 ("RSA PRIVATE KEY") loads with strongSwan's pkcs1 plugin and in Keyway alike
    writeFileSync(k.key, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    writeFileSync(k.pub, publicKey.export({ type: 'spki', format: 'pem' }));
    return k;
  };
  const west = keys('west');
  const east = keys('east');
  const stranger = keys('stranger');

  before(async () => {
    topo = await createTopology();
    charon = await startCharon({ host: topo.east });
  });

  /**
   * swanctl loads private keys from <SWANCTL_DIR>/rsa (the secrets section only
   * holds passphrases), and every --load-all unloads keys it did not load
   * itself: load ours after the connections.
   */
  async function loadEastKey(sw: Charon): Promise<void> {
    const swanctlDir = join(dir, 'swanctl');
    mkdirSync(join(swanctlDir, 'rsa'), { recursive: true, mode: 0o700 });
    copyFileSync(east.key, join(swanctlDir, 'rsa', 'east.pem'));
    writeFileSync(join(swanctlDir, 'swanctl.conf'), '');
    const r = await run(['swanctl', '--load-creds', '--noprompt', '--uri', sw.uri], { env: { ...process.env, SWANCTL_DIR: swanctlDir }, timeoutMs: 20_000 });
    assert.equal(r.code, 0, `swanctl --load-creds: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /loaded rsa key/i);
  }
  after(async () => {
    await charon?.stop();
    await topo?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function scenario(eastTrusts: string, body: (kw: Keyway, sw: Charon) => Promise<void>): Promise<void> {
    assert.ok(topo !== undefined && charon !== undefined, 'lab is up');
    await charon.terminateAll();
    await charon.load(conf('east', east, eastTrusts, false));
    await loadEastKey(charon);
    const logStart = charon.log().length;
    const kw = await startKeyway({ host: topo.west, conf: conf('west', west, east.pub, true) });
    try {
      await body(kw, charon);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- keyway output (tail) ---\n${kw.output().slice(-5000)}\n--- charon log ---\n${charon.log().slice(logStart).slice(-5000)}`);
    } finally {
      await kw.stop();
      await charon.terminateAll();
    }
  }

  async function assertAgree(kw: Keyway, sw: Charon, keywayInitiated: boolean): Promise<void> {
    const k = await pollUntil(() => kw.listSas(), kwEstablished);
    const s = await pollUntil(() => sw.listSas(), swEstablished);
    const w = k[0];
    const e = s[0];
    assert.ok(w !== undefined && e !== undefined);
    assert.equal(w.version, 1);
    assert.equal(w.mode, 'main');
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

  // Keyway's SIG_R (MM6) is the last message: strongSwan rejects it and brings nothing up
  test('strongSwan trusts another key for west: strongSwan initiates and rejects SIG_R', T, () =>
    scenario(stranger.pub, async (kw, sw) => {
      const r = await sw.initiate({ child: 'net', timeoutS: 10 });
      assert.notEqual(r.code, 0, 'swanctl --initiate fails');
      assert.deepEqual((await sw.listSas()).filter((s) => s.state === 'ESTABLISHED'), []);
    }));
});
