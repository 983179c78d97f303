/**
 * Lifecycle interop: Keyway (west) and strongSwan 5.9.8 (east) with short
 * lifetimes (CHILD rekey about every 20 s, IKE rekey about every 45 s, both
 * sides with their own timers so both initiate rekeys) for about two and a half
 * minutes. strongSwan and Keyway must agree on the established IKE SA and the
 * installed CHILD SA after the rekeys settle, both must have initiated rekeys,
 * and no negotiation may fail. (Traffic across rekeys is checked once the
 * userspace dataplane runs against kernel-libipsec.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, type Topology } from './lab/topology.js';
import { startCharon, type Charon } from './lab/strongswan.js';
import { startKeyway } from './lab/keyway.js';
import { interopGate } from './lab/prereq.js';
import { eastConf, sitePair, westConf } from './lab/scenario.js';
import { kwEstablished, pollUntil, swEstablished } from './lab/expect.js';
import type { IkeSaInfo } from '../../src/ike/info.js';
import type { SwanIkeSa } from './lab/vici-raw.js';

const skip = interopGate(['root', 'netns', 'strongswan', 'libipsec']);
const RUN_MS = 150_000;

/** A canonical picture of the live SAs: IKE SPIs and CHILD SPI pairs (as seen from Keyway). */
function kwPicture(sas: readonly IkeSaInfo[]): string {
  return sas
    .filter((s) => s.state === 'established')
    .map((s) => `${s.spiI}/${s.spiR}[${s.children.filter((c) => c.state === 'installed').map((c) => `${c.spiIn}:${c.spiOut}`).sort().join(',')}]`)
    .sort()
    .join(' ');
}

function swPicture(sas: readonly SwanIkeSa[]): string {
  return sas
    .filter((s) => s.state === 'ESTABLISHED')
    .map((s) => `${s.spiI}/${s.spiR}[${s.children.filter((c) => c.state === 'INSTALLED').map((c) => `${c.spiOut}:${c.spiIn}`).sort().join(',')}]`)
    .sort()
    .join(' ');
}

describe('Keyway <-> strongSwan 5.9.8: rekeying with short lifetimes', { skip }, () => {
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

  test('CHILD and IKE SAs rekeyed by both sides; the peers agree after every rekey', { timeout: RUN_MS + 60_000 }, async () => {
    assert.ok(topo && charon);
    const base = sitePair({ ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16-x25519' });
    const childExtra = { rekey_time: '20s', life_time: '40s', rand_time: '6s' };
    const connExtra = { rekey_time: '45s', over_time: '20s', rand_time: '10s' };
    const pair = {
      west: { ...base.west, extra: connExtra, children: base.west.children.map((c) => ({ ...c, extra: childExtra })) },
      east: { ...base.east, extra: connExtra, children: base.east.children.map((c) => ({ ...c, extra: childExtra })) },
    };
    await charon.load(eastConf(pair));
    const kw = await startKeyway({ host: topo.west, conf: westConf(pair) });
    try {
      const r = await kw.initiate('gw', 'net');
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      await pollUntil(() => kw.listSas(), kwEstablished);
      await pollUntil(() => charon!.listSas(), swEstablished);
      const start = Date.now();
      let samples = 0;
      let agreeing = 0;
      const disagreements: string[] = [];
      while (Date.now() - start < RUN_MS) {
        await new Promise((res) => setTimeout(res, 3000));
        const k = kwPicture(await kw.listSas());
        const s = swPicture(await charon.listSas());
        samples++;
        if (k === s && k.length > 0) agreeing++;
        else disagreements.push(`t+${Math.round((Date.now() - start) / 1000)}s keyway=${k} strongswan=${s}`);
      }
      // Let the last rekey settle, then the pictures must be identical.
      const final = await pollUntil(
        async () => ({ k: kwPicture(await kw.listSas()), s: swPicture(await charon!.listSas()) }),
        (p) => p.k === p.s && p.k.length > 0,
        15_000,
      ).catch(() => undefined);
      assert.ok(final, `peers disagree at the end:\n${disagreements.slice(-3).join('\n')}`);
      assert.equal(final.k.split(' ').length, 1, 'exactly one IKE SA');
      // Rekeys take a few hundred ms each; most samples must show agreement.
      assert.ok(agreeing >= samples * 0.7, `only ${agreeing}/${samples} samples agreed:\n${disagreements.slice(0, 5).join('\n')}`);
      const stats = (await kw.cli(['stats'])) as { counters: Record<string, number> };
      const c = stats.counters;
      const kwChildRekeys = c['child.rekeyed'] ?? 0;
      const swChildRekeys = c['child.rekey.responded'] ?? 0;
      const ikeRekeys = c['ike.rekeyed'] ?? 0;
      assert.ok(kwChildRekeys >= 1, `Keyway initiated CHILD rekeys: ${kwChildRekeys}`);
      assert.ok(swChildRekeys >= 1, `strongSwan initiated CHILD rekeys: ${swChildRekeys}`);
      assert.ok(kwChildRekeys + swChildRekeys >= 5, `CHILD rekeys: ${kwChildRekeys + swChildRekeys}`);
      assert.ok(ikeRekeys >= 2, `IKE rekeys: ${ikeRekeys}`);
      const failures = (await kw.cli(['failures'])) as unknown[];
      assert.deepEqual(failures, [], 'no negotiation failed');
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- keyway (tail) ---\n${kw.output().slice(-5000)}\n--- charon (tail) ---\n${charon.log().slice(-4000)}`);
    } finally {
      await kw.stop();
      await charon.terminateAll();
    }
  });
});
