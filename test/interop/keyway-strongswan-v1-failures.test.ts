/**
 * IKEv1 phase 1 failures against strongSwan 5.9.8, both roles: the side that
 * refuses tells the other why, and the initiator gives up at once instead of
 * retransmitting for minutes. What strongSwan sends (seen in its log and
 * with tshark while writing this):
 *   - wrong PSK, Main Mode: it cannot decrypt MM5 and answers
 *     "INFORMATIONAL_V1 [ HASH N(PLD_MAL) ]", protected with its own keys,
 *     to every MM5 (retransmissions too), from port 500;
 *   - our identity not accepted, Main Mode: "[ HASH N(AUTH_FAILED) ]",
 *     protected with the shared keys (we verify it);
 *   - our identity not accepted, Aggressive Mode: "[ N(AUTH_FAILED) ]" in the
 *     clear (it refuses AM1 before it has keys);
 *   - no acceptable transform: "[ N(NO_PROP) ]" in the clear.
 * As initiator it ends the attempt on any error notification it can parse
 * while connecting ("received ... error notify") and ignores one it cannot
 * decrypt ("ignore malformed INFORMATIONAL request").
 *
 * Keyway's first retransmission comes after 4 s (retransmit_timeout); every
 * Keyway-initiated failure here must end well before it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FailureRecord } from '../../src/ike/info.js';
import { createTopology } from './lab/topology.js';
import type { Topology } from './lab/topology.js';
import { startCharon } from './lab/strongswan.js';
import type { Charon } from './lab/strongswan.js';
import { startKeyway } from './lab/keyway.js';
import type { Keyway } from './lab/keyway.js';
import { interopGate } from './lab/prereq.js';
import { LAB_PSK, sitePair } from './lab/scenario.js';
import type { SitePair } from './lab/scenario.js';
import { swanctlConf } from './lab/swanctl-conf.js';
import type { PskSpec } from './lab/swanctl-conf.js';
import { pollUntil } from './lab/expect.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const T = { timeout: 60_000 };
const FIRST_RETRANSMIT_MS = 4000;
const OTHER_PSK: PskSpec = { ids: LAB_PSK.ids, secret: 'not-the-lab-psk-at-all-9876543210' };

interface Case {
  readonly aggressive?: boolean;
  /** the identity east (strongSwan) expects from west, or west (Keyway) from east */
  readonly eastExpects?: string;
  readonly westExpects?: string;
  readonly westPsk?: PskSpec;
  readonly eastIke?: string;
}

function pair(c: Case): SitePair {
  const p = sitePair({ ike: 'aes128-sha256-modp2048', esp: 'aes128-sha256', ...(c.eastIke === undefined ? {} : { eastIke: c.eastIke }) });
  const am = c.aggressive === true ? { aggressive: true } : {};
  return {
    west: { ...p.west, version: 1, ...am, ...(c.westExpects === undefined ? {} : { remoteId: c.westExpects }) },
    east: { ...p.east, version: 1, ...am, ...(c.eastExpects === undefined ? {} : { remoteId: c.eastExpects }) },
  };
}

async function stats(kw: Keyway): Promise<Record<string, number>> {
  return ((await kw.cli(['stats'])) as { counters: Record<string, number> }).counters;
}

describe('IKEv1 phase 1 failures: Keyway <-> strongSwan 5.9.8', { skip }, () => {
  let topo: Topology | undefined;
  let charon: Charon | undefined;

  before(async () => {
    topo = await createTopology();
    charon = await startCharon({ host: topo.east });
    // Aggressive Mode with a PSK needs this charon setting (docs/ikev1.md)
    const conf = join(charon.dir, 'strongswan.conf');
    const text = readFileSync(conf, 'utf8');
    const first = text.indexOf('{\n') + 2;
    writeFileSync(conf, `${text.slice(0, first)}  i_dont_care_about_security_and_use_aggressive_mode_psk = yes\n${text.slice(first)}`);
    const r = await charon.swanctl(['--reload-settings']);
    assert.equal(r.code, 0, `swanctl --reload-settings: ${r.stdout}${r.stderr}`);
  });
  after(async () => {
    await charon?.stop();
    await topo?.destroy();
  });

  async function scenario(c: Case, body: (kw: Keyway, sw: Charon, logFrom: number) => Promise<void>): Promise<void> {
    assert.ok(topo !== undefined && charon !== undefined, 'lab is up');
    await charon.terminateAll();
    const p = pair(c);
    await charon.load(swanctlConf([p.east], [LAB_PSK]));
    const logFrom = charon.log().length;
    const kw = await startKeyway({ host: topo.west, conf: swanctlConf([p.west], [c.westPsk ?? LAB_PSK]) });
    try {
      await body(kw, charon, logFrom);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- keyway output (tail) ---\n${kw.output().slice(-4000)}\n--- charon log ---\n${charon.log().slice(logFrom).slice(-4000)}`);
    } finally {
      await kw.stop();
      await charon.terminateAll();
    }
  }

  /** Keyway initiates and must fail before its first retransmission; returns its failure records. */
  async function kwFailsFast(t: TestContext, kw: Keyway): Promise<FailureRecord[]> {
    const t0 = Date.now();
    const r = await kw.initiate('gw', 'net');
    const ms = Date.now() - t0;
    assert.notEqual(r.code, 0, `initiate must fail: ${r.stdout}${r.stderr}`);
    t.diagnostic(`Keyway gave up after ${ms} ms (CLI round trip included)`);
    assert.ok(ms < FIRST_RETRANSMIT_MS, `Keyway gave up after ${ms} ms (first retransmission at ${FIRST_RETRANSMIT_MS} ms)`);
    assert.equal((await stats(kw))['v1.tx.retransmit'] ?? 0, 0, 'no retransmission');
    assert.deepEqual(await kw.listSas(), [], 'no SA left on Keyway');
    return kw.failures();
  }

  test('wrong PSK, Main Mode, Keyway initiates: strongSwan\'s undecryptable PAYLOAD_MALFORMED ends the attempt as a PSK mismatch', T, (t) =>
    scenario({ westPsk: OTHER_PSK }, async (kw, sw, from) => {
      const fails = await kwFailsFast(t, kw);
      const f = fails.find((x) => x.kind === 'auth');
      assert.ok(f, JSON.stringify(fails));
      assert.match(f.message, /peer's keys differ: pre-shared key mismatch\?/);
      assert.match(sw.log().slice(from), /generating INFORMATIONAL_V1 request \d+ \[ HASH N\(PLD_MAL\) \]/);
    }));

  for (const aggressive of [false, true]) {
    const mode = aggressive ? 'Aggressive Mode' : 'Main Mode';
    test(`wrong identity, ${mode}, Keyway initiates: strongSwan's AUTHENTICATION_FAILED is named in the failure`, T, (t) =>
      scenario({ aggressive, eastExpects: 'someone-else' }, async (kw, sw, from) => {
        const fails = await kwFailsFast(t, kw);
        const f = fails.find((x) => x.kind === 'peer-notify');
        assert.ok(f, JSON.stringify(fails));
        assert.equal(f.detail['notify'], 'AUTHENTICATION_FAILED');
        // Main Mode: protected with the shared keys and verified; Aggressive Mode: in the clear, before keys
        assert.equal(f.detail['protected'], !aggressive);
        assert.match(f.message, /peer sent AUTHENTICATION_FAILED.*check our local id against its remote id/);
        assert.equal(f.exchange, `IKEv1 ${mode}`);
        assert.match(sw.log().slice(from), aggressive ? /\[ N\(AUTH_FAILED\) \]/ : /\[ HASH N\(AUTH_FAILED\) \]/);
      }));
  }

  test('no acceptable transform, Keyway initiates: NO_PROPOSAL_CHOSEN ends the attempt', T, (t) =>
    scenario({ eastIke: 'aes256-sha512-ecp384' }, async (kw) => {
      const fails = await kwFailsFast(t, kw);
      assert.equal(fails.find((x) => x.kind === 'peer-notify')?.detail['notify'], 'NO_PROPOSAL_CHOSEN', JSON.stringify(fails));
    }));

  for (const aggressive of [false, true]) {
    const mode = aggressive ? 'Aggressive Mode' : 'Main Mode';
    test(`wrong identity, ${mode}, strongSwan initiates: it receives our INVALID_ID_INFORMATION and fails at once`, T, (t) =>
      scenario({ aggressive, westExpects: 'someone-else' }, async (kw, sw, from) => {
        const t0 = Date.now();
        const r = await sw.initiate({ child: 'net', timeoutS: 10 });
        const ms = Date.now() - t0;
        assert.notEqual(r.code, 0, 'swanctl --initiate fails');
        // charon's lab retransmit_timeout is 1 s: it did not need a single retransmission
        t.diagnostic(`strongSwan gave up after ${ms} ms`);
        assert.ok(ms < 1000, `strongSwan gave up after ${ms} ms`);
        assert.match(sw.log().slice(from), /received INVALID_ID_INFORMATION error notify/);
        assert.match(sw.log().slice(from), aggressive ? /parsed INFORMATIONAL_V1 request \d+ \[ N\(INVAL_ID\) \]/ : /parsed INFORMATIONAL_V1 request \d+ \[ HASH N\(INVAL_ID\) \]/);
        assert.deepEqual(await sw.listSas(), []);
        const f = (await kw.failures()).find((x) => x.kind === 'auth');
        assert.match(f?.message ?? '', /no connection accepts identity east/);
      }));
  }

  test('wrong PSK, Main Mode, strongSwan initiates: Keyway reports the mismatch at once and answers PAYLOAD_MALFORMED', T, (t) =>
    scenario({ westPsk: OTHER_PSK }, async (kw, sw, from) => {
      const t0 = Date.now();
      const pending = sw.initiate({ child: 'net', timeoutS: 3 });
      const fails = await pollUntil(() => kw.failures(), (l) => l.some((x) => x.kind === 'auth'), 5_000);
      const ms = Date.now() - t0;
      assert.match(fails.find((x) => x.kind === 'auth')?.message ?? '', /cannot decrypt the identity message: pre-shared key mismatch\?/);
      t.diagnostic(`Keyway's failure record after ${ms} ms`);
      assert.ok(ms < FIRST_RETRANSMIT_MS, `Keyway's failure record after ${ms} ms`);
      // protected with our keys, so strongSwan cannot read it: it shows it received it and carries on
      await sw.waitForLog(/ignore malformed INFORMATIONAL request/, 5_000, from);
      assert.equal((await stats(kw))['v1.tx.phase1.notify.protected'], 1, 'one notification, not repeated');
      assert.notEqual((await pending).code, 0);
    }));
});
