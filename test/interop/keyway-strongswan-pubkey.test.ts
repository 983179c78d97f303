/**
 * IKEv2 public key authentication with raw keys against strongSwan 5.9.8
 * (RFC 7296 §2.15, RFC 7427 method 14, RFC 8420 Ed25519): RSA, ECDSA P-256
 * and Ed25519 keys on both sides (swanctl `pubkeys = file.pem`; strongSwan's
 * private key from its swanctl rsa/, ecdsa/ or pkcs8/ folder, Keyway's from
 * `secrets { private-west { file = ... } }`), Keyway as initiator and as
 * responder, SAs established on both sides with matching SPIs, one case
 * with a PSK one way and a signature the other, and a wrong key rejected.
 * Keys are generated per run into a temp folder (0600) removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology } from './lab/topology.js';
import type { Topology } from './lab/topology.js';
import { startCharon } from './lab/strongswan.js';
import type { Charon } from './lab/strongswan.js';
import { startKeyway } from './lab/keyway.js';
import type { Keyway } from './lab/keyway.js';
import { loadCharonKey, rawKeyConf, writeKeyPair, type AuthRound, type KeyKind, type KeyPairFiles } from './lab/raw-keys.js';
import { interopGate } from './lab/prereq.js';

import { kwEstablished, pollUntil, swEstablished } from './lab/expect.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const T = { timeout: 60_000 };
const PSK = '0sS2V5d2F5LXB1YmtleS1pbnRlcm9wLXNlY3JldA==';

type Kind = KeyKind;
type Keys = KeyPairFiles;

interface Round {
  readonly local: AuthRound;
  readonly remote: AuthRound;
}

function conf(self: 'west' | 'east', own: Keys, peerPub: string, keyway: boolean, r: Round): string {
  return rawKeyConf({ self, version: 2, own, peerPub, keyway, local: r.local, remote: r.remote, proposals: 'aes128-sha256-x25519', esp: 'aes128gcm16', psk: PSK });
}

describe('IKEv2 raw public keys: Keyway <-> strongSwan 5.9.8', { skip }, () => {
  let topo: Topology | undefined;
  let charon: Charon | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kw-v2-pubkey-interop-'));
  const keys = (name: string, kind: Kind): Keys => writeKeyPair(dir, name, kind);
  const K: Record<Kind, { west: Keys; east: Keys }> = {
    rsa: { west: keys('rsa-west', 'rsa'), east: keys('rsa-east', 'rsa') },
    ecdsa: { west: keys('ec-west', 'ecdsa'), east: keys('ec-east', 'ecdsa') },
    ed25519: { west: keys('ed-west', 'ed25519'), east: keys('ed-east', 'ed25519') },
  };
  const stranger = keys('stranger', 'ed25519');

  before(async () => {
    topo = await createTopology();
    charon = await startCharon({ host: topo.east });
  });
  after(async () => {
    await charon?.stop();
    await topo?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const loadEastKey = (sw: Charon, k: Keys, eastConf: string): Promise<void> => loadCharonKey(sw, dir, k, eastConf);

  interface Scenario {
    readonly kind: Kind;
    readonly west: Round;
    readonly east: Round;
    readonly eastTrusts?: string;
  }

  async function scenario(s: Scenario, body: (kw: Keyway, sw: Charon) => Promise<void>): Promise<void> {
    assert.ok(topo !== undefined && charon !== undefined, 'lab is up');
    const k = K[s.kind];
    await charon.terminateAll();
    const eastConf = conf('east', k.east, s.eastTrusts ?? k.west.pub, false, s.east);
    await charon.load(eastConf);
    if (s.east.local === 'pubkey') await loadEastKey(charon, k.east, eastConf);
    const logStart = charon.log().length;
    const kw = await startKeyway({ host: topo.west, conf: conf('west', k.west, k.east.pub, true, s.west) });
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
    assert.equal(w.version, 2);
    assert.equal(e.state, 'ESTABLISHED');
    assert.equal(e.initiator, !keywayInitiated);
    assert.equal(w.spiI, e.spiI, 'initiator SPI');
    assert.equal(w.spiR, e.spiR, 'responder SPI');
    const wc = w.children[0];
    const ec = e.children[0];
    assert.ok(wc !== undefined && ec !== undefined, 'a CHILD SA pair on both sides');
    assert.equal(wc.spiIn.toLowerCase(), ec.spiOut, 'Keyway inbound SPI = strongSwan outbound SPI');
    assert.equal(wc.spiOut.toLowerCase(), ec.spiIn, 'Keyway outbound SPI = strongSwan inbound SPI');
  }

  const PK: Round = { local: 'pubkey', remote: 'pubkey' };
  /** How strongSwan names the scheme it verified Keyway's AUTH with. */
  const SW_SCHEME: Readonly<Record<Kind, RegExp>> = {
    rsa: /authentication of 'west' with RSA_EMSA_PSS\S* successful/,
    ecdsa: /authentication of 'west' with ECDSA_WITH_SHA256_DER successful/,
    ed25519: /authentication of 'west' with ED25519 successful/,
  };

  for (const kind of ['rsa', 'ecdsa', 'ed25519'] as const) {
    test(`${kind}: Keyway initiates, method 14 both ways`, T, () =>
      scenario({ kind, west: PK, east: PK }, async (kw, sw) => {
        const r = await kw.initiate('gw', 'net');
        assert.equal(r.code, 0, `keyway initiate: ${r.stdout}${r.stderr}`);
        await assertAgree(kw, sw, true);
        assert.match(sw.log(), SW_SCHEME[kind]);
      }));

    test(`${kind}: Keyway responds`, T, () =>
      scenario({ kind, west: PK, east: PK }, async (kw, sw) => {
        const r = await sw.initiate({ child: 'net' });
        assert.equal(r.code, 0, `swanctl --initiate: ${r.stdout}${r.stderr}`);
        await assertAgree(kw, sw, false);
      }));
  }

  test('mixed methods: Keyway proves itself with a PSK, strongSwan with an Ed25519 signature', T, () =>
    scenario({ kind: 'ed25519', west: { local: 'psk', remote: 'pubkey' }, east: { local: 'pubkey', remote: 'psk' } }, async (kw, sw) => {
      const r = await kw.initiate('gw', 'net');
      assert.equal(r.code, 0, `keyway initiate: ${r.stdout}${r.stderr}`);
      await assertAgree(kw, sw, true);
      assert.match(sw.log(), /authentication of 'west' with pre-shared key successful/);
    }));

  test('mixed methods, strongSwan initiating: it signs with RSA, Keyway answers with a PSK', T, () =>
    scenario({ kind: 'rsa', west: { local: 'psk', remote: 'pubkey' }, east: { local: 'pubkey', remote: 'psk' } }, async (kw, sw) => {
      const r = await sw.initiate({ child: 'net' });
      assert.equal(r.code, 0, `swanctl --initiate: ${r.stdout}${r.stderr}`);
      await assertAgree(kw, sw, false);
    }));

  test('strongSwan trusts another key for west: Keyway gets AUTHENTICATION_FAILED, nothing established', T, () =>
    scenario({ kind: 'ed25519', west: PK, east: PK, eastTrusts: stranger.pub }, async (kw, sw) => {
      const r = await kw.initiate('gw', 'net');
      assert.notEqual(r.code, 0, 'initiate fails');
      assert.match(`${r.stdout}${r.stderr}`, /AUTHENTICATION_FAILED/);
      assert.deepEqual(await sw.listSas(), []);
      assert.deepEqual((await kw.listSas()).filter((x) => x.state === 'established'), []);
    }));

  test('Keyway trusts another key for east: strongSwan initiates, Keyway records the failure', T, async () => {
    assert.ok(topo !== undefined && charon !== undefined);
    const k = K.ed25519;
    await charon.terminateAll();
    const eastConf = conf('east', k.east, k.west.pub, false, PK);
    await charon.load(eastConf);
    await loadEastKey(charon, k.east, eastConf);
    const kw = await startKeyway({ host: topo.west, conf: conf('west', k.west, stranger.pub, true, PK) });
    try {
      const r = await charon.initiate({ child: 'net', timeoutS: 10 });
      assert.notEqual(r.code, 0, 'swanctl --initiate fails');
      const failures = await kw.failures();
      const f = failures.find((x) => x.kind === 'auth');
      assert.ok(f, JSON.stringify(failures));
      assert.match(f.message, /east \(DIGITAL_SIGNATURE\) does not verify: the ed25519 signature does not verify/);
      assert.deepEqual(f.detail['keysTried'], [stranger.pub]);
    } finally {
      await kw.stop();
      await charon.terminateAll();
    }
  });
});
