/**
 * Keyway daemons on THIS host's kernel (XFRM, no ESP: LAB.md §5), in two
 * namespaces: west runs `dataplane = xfrm`, east `dataplane = memory`.
 *  - east initiates: the IKE SA comes up, west's kernel refuses the ESP SA,
 *    west fails the CHILD SA cleanly (NO_PROPOSAL_CHOSEN to the peer) and
 *    `keyway failures` says the kernel lacks ESP support;
 *  - west's trap policy (start_action = trap) plus matching traffic raises an
 *    ACQUIRE that starts a negotiation (west initiates the IKE SA).
 *  - `keyway flush` deletes the SAs (east is told), removes the trap and
 *    everything else west installed, the daemon keeps running and `reload`
 *    puts the trap back.
 * On exit west leaves nothing in `ip xfrm state` / `ip xfrm policy`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, EAST_ADDR, WEST_ADDR, type Topology } from '../interop/lab/topology.js';
import { interopGate } from '../interop/lab/prereq.js';
import { runOk } from '../interop/lab/exec.js';
import { pollUntil } from '../interop/lab/expect.js';
import { loadNative } from '../../src/native/addon.js';
import { startKw, type Kw } from './lab/keyway-xfrm.js';

const PSK = 'keyway-host-lab-psk-0123456789';

function conf(self: 'west' | 'east'): string {
  const w = self === 'west';
  return `connections {
  gw {
    version = 2
    local_addrs = ${w ? WEST_ADDR : EAST_ADDR}
    remote_addrs = ${w ? EAST_ADDR : WEST_ADDR}
    proposals = aes128gcm16-prfsha256-x25519
    local {
      auth = psk
      id = ${self}
    }
    remote {
      auth = psk
      id = ${w ? 'east' : 'west'}
    }
    children {
      net {
        local_ts = ${w ? '10.1.0.0/24' : '10.2.0.0/24'}
        remote_ts = ${w ? '10.2.0.0/24' : '10.1.0.0/24'}
        esp_proposals = aes128-sha256
        start_action = ${w ? 'trap' : 'none'}
      }
    }
  }
}
secrets {
  ike-1 {
    id = west
    secret = "${PSK}"
  }
  ike-2 {
    id = east
    secret = "${PSK}"
  }
}
`;
}

const gate = interopGate(['root', 'netns']) || (loadNative() === undefined ? 'native addon not built' : false);

describe('Keyway with dataplane = xfrm on a kernel without ESP', { skip: gate }, () => {
  let topo: Topology;
  let west: Kw | undefined;
  let east: Kw | undefined;

  before(async () => {
    topo = await createTopology();
    await runOk(['ip', '-n', topo.west.ns, 'route', 'add', '10.2.0.0/24', 'via', EAST_ADDR]);
    west = await startKw({ ns: topo.west.ns, address: WEST_ADDR, conf: conf('west'), startTimeoutMs: 20_000 });
    east = await startKw({ ns: topo.east.ns, address: EAST_ADDR, conf: conf('east'), dataplane: 'memory', startTimeoutMs: 20_000 });
  });

  after(async () => {
    await west?.stop();
    await east?.stop();
    await topo?.destroy();
  });

  test('the trap policy is in the kernel, tagged with Keyway\'s reqid', async () => {
    const pol = (await runOk(['ip', '-n', topo.west.ns, 'xfrm', 'policy'])).stdout;
    assert.match(pol, /src 10\.1\.0\.0\/24 dst 10\.2\.0\.0\/24\s+dir out/);
    assert.match(pol, /reqid 125829\d{4} mode tunnel/);
  });

  test('peer initiates: IKE SA up, CHILD SA refused by the kernel, readable failure', async () => {
    assert.ok(east && west);
    const r = await east.cli(['initiate', 'gw', '--child', 'net'], 30_000);
    assert.notEqual(r.code, 0, `the CHILD SA cannot come up on a kernel without ESP: ${r.stdout}`);
    const sas = await west.listSas();
    assert.ok(sas.some((s) => s.state === 'established'), `west has an established IKE SA: ${JSON.stringify(sas)}`);
    assert.ok(sas.every((s) => s.children.every((c) => c.state !== 'installed')), 'no CHILD SA installed');
    const f = await pollUntil(() => west!.failures(), (l) => l.some((x) => /lacks ESP support/.test(x.message)), 10_000);
    const rec = f.find((x) => /lacks ESP support/.test(x.message));
    assert.ok(rec);
    assert.match(rec.message, /dataplane refused the CHILD SA/);
    assert.match(rec.message, /EPROTONOSUPPORT \(93/);
    assert.match(rec.message, /Requested type not found/);
    const ef = await east.failures();
    assert.ok(ef.some((x) => /NO_PROPOSAL_CHOSEN/.test(x.message) || x.kind === 'proposal'), `east was told: ${JSON.stringify(ef)}`);
    // nothing of the failed CHILD SA is left in west's kernel (the larval SPI was released)
    const st = (await runOk(['ip', '-n', topo.west.ns, 'xfrm', 'state'])).stdout;
    assert.doesNotMatch(st, /proto esp spi 0x[0-9a-f]*[1-9a-f][0-9a-f]* reqid/);
  });

  test('traffic matching the trap raises an ACQUIRE that starts a negotiation', async () => {
    assert.ok(west && east);
    for (const sa of await east.listSas()) await east.cli(['terminate', '--ike', String(sa.uniqueId)], 20_000);
    await pollUntil(() => west!.listSas(), (l) => l.length === 0, 15_000);
    await runOk(['ip', 'netns', 'exec', topo.west.ns, 'node', '-e',
      "const s=require('dgram').createSocket('udp4');s.bind({address:'10.1.0.1'},()=>s.send('x',9,'10.2.0.7',()=>s.close()))"]);
    // the engine logs the negotiation the ACQUIRE started; its CHILD SA then fails on this kernel
    const started = (): boolean => /"event":"ike\.established"[^\n]*"initiator":true/.test(west!.output());
    const deadline = Date.now() + 20_000;
    while (!started() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const log = west.output();
    assert.match(log, /"event":"xfrm\.acquire","reqid":\d+,"local":"10\.1\.0\.1","remote":"10\.2\.0\.7"/);
    assert.match(log, /"event":"trap\.acquire","conn":"gw","child":"net"/);
    assert.ok(started(), `west initiated an IKE SA because of the ACQUIRE:\n${log.split('\n').filter((l) => /acquire|initiat|established/.test(l)).slice(-10).join('\n')}`);
  });

  test('keyway flush: SAs deleted (peer told), trap and kernel state gone, daemon keeps running; reload re-traps', async () => {
    assert.ok(west && east);
    const k = west;
    const e = east;
    // an IKE SA to flush (the ACQUIRE test may have left one; make sure there is one)
    if ((await k.listSas()).length === 0) await east.cli(['initiate', 'gw', '--child', 'net'], 30_000);
    const before = await pollUntil(() => k.listSas(), (l) => l.some((s) => s.state === 'established'), 15_000);
    assert.ok(before.some((s) => s.state === 'established'), `an IKE SA to flush: ${JSON.stringify(before)}`);
    const r = (await k.json(['flush'], 60_000)) as { ok: boolean; ikeSas: number; traps: number; unanswered: number; dataplane: string; errors: string[] };
    assert.deepEqual({ ok: r.ok, traps: r.traps, unanswered: r.unanswered, dataplane: r.dataplane, errors: r.errors }, { ok: true, traps: 1, unanswered: 0, dataplane: 'xfrm', errors: [] });
    assert.equal(r.ikeSas, before.length);
    assert.deepEqual(await k.listSas(), []);
    assert.deepEqual(await pollUntil(() => e.listSas(), (l) => l.length === 0, 10_000), [], 'east was told');
    // only the per-socket IKE bypass policies of the running daemon's sockets remain ("socket in/out")
    assert.doesNotMatch((await runOk(['ip', '-n', topo.west.ns, 'xfrm', 'policy'])).stdout, /\bdir (in|out|fwd)\b/, 'no SPD entry left (the trap is gone too)');
    assert.doesNotMatch((await runOk(['ip', '-n', topo.west.ns, 'xfrm', 'state'])).stdout, /spi 0x0*[1-9a-f]/, 'no SA left');
    assert.match(k.output(), /"event":"daemon\.flushed"/);
    const rl = await k.cli(['reload'], 20_000);
    assert.equal(rl.code, 0, rl.stderr);
    const pol = await pollUntil(async () => (await runOk(['ip', '-n', topo.west.ns, 'xfrm', 'policy'])).stdout, (p) => p.includes('10.1.0.0/24'), 10_000);
    assert.match(pol, /reqid 125829\d{4} mode tunnel/, 'reload put the trap back');
  });

  test('on exit nothing west installed is left in the kernel', async () => {
    assert.ok(west);
    await west.stop();
    west = undefined;
    const pol = (await runOk(['ip', '-n', topo.west.ns, 'xfrm', 'policy'])).stdout;
    const st = (await runOk(['ip', '-n', topo.west.ns, 'xfrm', 'state'])).stdout;
    assert.equal(pol.trim(), '');
    // only a kernel ACQUIRE placeholder (SPI 0) may remain until net.core.xfrm_acq_expires
    assert.doesNotMatch(st, /spi 0x0*[1-9a-f]/);
  });
});
