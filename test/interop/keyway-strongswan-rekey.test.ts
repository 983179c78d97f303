/**
 * Lifecycle interop: Keyway (west) and strongSwan 5.9.8 (east) with short
 * lifetimes (two CHILD SAs, one rekeyed by each side every 10-12 s; IKE
 * rekey about every 35-45 s by whichever side's timer fires first) for about
 * two and a half minutes. strongSwan and Keyway must agree on the established IKE SA and the
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
import type { ChildSpec } from './lab/swanctl-conf.js';
import { runOk } from './lab/exec.js';

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
    // kernel-libipsec routes each policy with a local source address inside its
    // local_ts: give each /25 that the two CHILD SAs protect an address
    await runOk(['ip', '-n', topo.west.ns, 'addr', 'add', '10.1.0.129/24', 'dev', topo.west.dev]);
    await runOk(['ip', '-n', topo.east.ns, 'addr', 'add', '10.2.0.129/24', 'dev', topo.east.dev]);
    charon = await startCharon({ host: topo.east });
  });
  after(async () => {
    await charon?.stop();
    await topo?.destroy();
  });

  test('CHILD and IKE SAs rekeyed by both sides; the peers agree after every rekey', { timeout: RUN_MS + 60_000 }, async () => {
    assert.ok(topo && charon);
    const base = sitePair({ ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16-x25519' });
    // Two CHILD SAs so that each side deterministically initiates rekeys (a
    // single one would leave it to the random jitter which side's timer fires
    // first): Keyway rekeys `kwfirst` every 10-12 s and strongSwan `swfirst`;
    // the other side's timer for each is set later and never fires first.
    const early = { rekey_time: '12s', life_time: '60s', rand_time: '2s' };
    const late = { rekey_time: '40s', life_time: '60s', rand_time: '0s' };
    const children = (self: 'west' | 'east'): ChildSpec[] => {
      const [l, r] = self === 'west' ? ['10.1.0', '10.2.0'] : ['10.2.0', '10.1.0'];
      const esp = 'aes128gcm16-x25519';
      return [
        { name: 'kwfirst', localTs: `${l}.0/25`, remoteTs: `${r}.0/25`, espProposals: esp, extra: self === 'west' ? early : late },
        { name: 'swfirst', localTs: `${l}.128/25`, remoteTs: `${r}.128/25`, espProposals: esp, extra: self === 'west' ? late : early },
      ];
    };
    const connExtra = { rekey_time: '45s', over_time: '20s', rand_time: '10s' };
    const pair = {
      west: { ...base.west, extra: connExtra, children: children('west') },
      east: { ...base.east, extra: connExtra, children: children('east') },
    };
    await charon.load(eastConf(pair));
    const kw = await startKeyway({ host: topo.west, conf: westConf(pair) });
    try {
      for (const child of ['kwfirst', 'swfirst']) {
        const r = await kw.initiate('gw', child);
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      }
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
      assert.ok(kwChildRekeys >= 5 && swChildRekeys >= 5, `CHILD rekeys: Keyway ${kwChildRekeys}, strongSwan ${swChildRekeys}`);
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
