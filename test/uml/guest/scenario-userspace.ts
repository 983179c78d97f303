/**
 * Keyway (dataplane = xfrm, the kernel's ESP) in `west` <-> Keyway
 * (dataplane = userspace, ESP in Node over TUN) in `east`, inside User-mode
 * Linux: the two dataplanes must agree on the wire.
 *
 *   west 192.0.2.1, LANs 10.1.0.1 10.1.1.1 (xfrm) <== veth ==> east 192.0.2.2, LANs 10.2.0.1 10.2.1.1 (userspace, TUN keyway0)
 *   cbc  tunnel, AES-CBC-128 + HMAC-SHA-256-128   10.1.0.0/24 <-> 10.2.0.0/24
 *   gcm  tunnel, AES-GCM-16 (128-bit key)         10.1.1.0/24 <-> 10.2.1.0/24
 *
 * The userspace dataplane carries only ESP-in-UDP, so east fakes NAT
 * detection (RFC 7296 §2.23) and both sides UDP-encapsulate (RFC 3948):
 * west's kernel through XFRMA_ENCAP and its UDP_ENCAP_ESPINUDP socket. Pings
 * go both ways through both CHILD SAs, the kernel's and Node's per-SA
 * counters must match, and west's veth is captured (dumpcap) so the host-side
 * test can have tshark decrypt and ICV-check every ESP packet with east's key
 * log: packets the kernel built and packets Node built, checked by a third
 * implementation. Then `keyway flush` on west: east is told, west's kernel is
 * empty; and nothing is left after both daemons exit.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopology, EAST_ADDR, WEST_ADDR, type Topology } from '../../interop/lab/topology.js';
import { runOk, sleep, start, waitFor, type Started } from '../../interop/lab/exec.js';
import type { IkeSaInfo } from '../../../src/ike/info.js';
import { startKw, type Kw } from '../lab/keyway-xfrm.js';
import { ping, xfrm } from './net.js';
import type { Recorder } from './record.js';
import { guestConf, sides } from './conf.js';

const PSK = 'keyway-uml-userspace-psk-0123456789';

function conf(self: 'west' | 'east'): string {
  const [l, r] = sides(self);
  return guestConf({
    self,
    psk: PSK,
    children: [
      { name: 'cbc', localTs: `${l}.0.0/24`, remoteTs: `${r}.0.0/24`, espProposals: 'aes128-sha256' },
      { name: 'gcm', localTs: `${l}.1.0/24`, remoteTs: `${r}.1.0/24`, espProposals: 'aes128gcm16' },
    ],
  });
}

type Child = IkeSaInfo['children'][number];
const installed = (sas: readonly IkeSaInfo[], name: string): Child | undefined =>
  sas.flatMap((s) => s.children).find((c) => c.name === name && c.state === 'installed');
const counters = (c: Child | undefined): Record<string, number | string> | undefined =>
  c === undefined ? undefined : { spiIn: c.spiIn, spiOut: c.spiOut, encap: String(c.encap), bytesIn: c.bytesIn, bytesOut: c.bytesOut, packetsIn: c.packetsIn, packetsOut: c.packetsOut };

/** dumpcap on west's veth, UDP 4500 only (LAB.md §7); the pcap goes to the host through the work folder. */
async function startCapture(topo: Topology, path: string): Promise<Started> {
  const proc = start(topo.west.exec(['dumpcap', '-q', '-i', topo.west.dev, '-f', 'udp port 4500', '-w', path]));
  await waitFor('dumpcap to start capturing', () => {
    if (proc.child.exitCode !== null) throw new Error(`dumpcap exited: ${proc.output()}`);
    return existsSync(path);
  }, 60_000, 100);
  return proc;
}

export async function kwXfrmToUserspace(rec: Recorder, work: string): Promise<void> {
  let topo: Topology | undefined;
  let west: Kw | undefined;
  let east: Kw | undefined;
  let cap: Started | undefined;
  const artifacts = join(work, 'artifacts');
  const capDir = mkdtempSync(join(tmpdir(), 'kw-uml-cap-'));
  try {
    await rec.scenario('userspace: Keyway (xfrm) <-> Keyway (userspace), ESP-in-UDP both ways, the wire checked by tshark, flush', async (d) => {
      topo = await createTopology();
      const t = topo;
      await runOk(['ip', '-n', t.west.ns, 'addr', 'add', '10.1.1.1/24', 'dev', t.west.dev]);
      await runOk(['ip', '-n', t.east.ns, 'addr', 'add', '10.2.1.1/24', 'dev', t.east.dev]);
      // west (kernel): the remote LANs are routed out of w0, where the out policies catch them;
      // east (userspace) routes them into its TUN itself (table 220, docs/userspace.md)
      for (const n of ['10.2.0.0/24', '10.2.1.0/24']) await runOk(['ip', '-n', t.west.ns, 'route', 'add', n, 'via', EAST_ADDR]);
      east = await startKw({ ns: t.east.ns, address: EAST_ADDR, conf: conf('east'), dataplane: 'userspace', keylog: true });
      west = await startKw({ ns: t.west.ns, address: WEST_ADDR, conf: conf('west') });
      const [kw, ke] = [west, east];
      const pcap = join(capDir, 'west-4500.pcap');
      cap = await startCapture(t, pcap);
      for (const c of ['cbc', 'gcm']) {
        const r = await kw.cli(['initiate', 'gw', '--child', c], 120_000);
        d[`initiate.${c}`] = (r.stdout + r.stderr).slice(-300);
        if (r.code !== 0) throw new Error(`initiate ${c} failed: ${d[`initiate.${c}`] as string}\n${kw.output().slice(-3000)}\n--- east ---\n${ke.output().slice(-3000)}`);
      }
      d['pingCbcWestToEast'] = await ping(t.west.ns, '10.1.0.1', '10.2.0.1');
      d['pingCbcEastToWest'] = await ping(t.east.ns, '10.2.0.1', '10.1.0.1');
      d['pingGcmWestToEast'] = await ping(t.west.ns, '10.1.1.1', '10.2.1.1');
      d['pingGcmEastToWest'] = await ping(t.east.ns, '10.2.1.1', '10.1.1.1');
      await sleep(300);
      await cap.stop(10_000);
      cap = undefined;
      const [ws, es] = [await kw.listSas(), await ke.listSas()];
      d['west'] = { cbc: counters(installed(ws, 'cbc')), gcm: counters(installed(ws, 'gcm')) };
      d['east'] = { cbc: counters(installed(es, 'cbc')), gcm: counters(installed(es, 'gcm')) };
      d['kernelEncap'] = (await xfrm(t.west.ns)).state.split('\n').filter((l) => l.includes('encap')).map((l) => l.trim());
      const stats = (await ke.json(['stats'])) as { counters: Record<string, number> };
      // inbound drops would mean Node rejected what the kernel built; outbound drops count
      // packets the guest wrote to keyway0 that match no policy (not ESP between the two): recorded only
      d['eastRxDrops'] = Object.fromEntries(Object.entries(stats.counters).filter(([k]) => k.startsWith('esp.rx.drop')));
      d['eastTxDrops'] = Object.fromEntries(Object.entries(stats.counters).filter(([k]) => k.startsWith('esp.tx.drop')));
      d['eastRxPackets'] = stats.counters['esp.rx.packets'];
      // the wire, for tshark on the host: the capture and east's esp_sa key lines
      mkdirSync(artifacts, { recursive: true });
      copyFileSync(pcap, join(artifacts, 'xfrm-userspace.pcap'));
      const espSa = `${ke.keylogPath ?? ''}.esp_sa`;
      writeFileSync(join(artifacts, 'xfrm-userspace.esp_sa'), readFileSync(espSa, 'utf8'), { mode: 0o600 });

      // keyway flush on the kernel side: the peer is told, the kernel is emptied, the daemon keeps running
      const f = await kw.json(['flush'], 120_000);
      d['flush'] = f;
      const left = await xfrm(t.west.ns);
      d['flushLeftState'] = left.state.trim();
      // the per-socket IKE bypass policies ("socket in/out") stay while the daemon runs
      d['flushLeftPolicies'] = left.policy.split('\n').filter((l) => /\bdir (in|out|fwd)\b/.test(l));
      let eastAfter = await ke.listSas();
      for (let i = 0; i < 50 && eastAfter.length > 0; i++) {
        await sleep(200);
        eastAfter = await ke.listSas();
      }
      d['eastSasAfterFlush'] = eastAfter.length;
      d['westSasAfterFlush'] = (await kw.listSas()).length;

      await kw.stop();
      await ke.stop();
      west = undefined;
      east = undefined;
      const x = await xfrm(t.west.ns);
      d['leftAfterExit'] = (x.state + x.policy).trim();
      const links = await runOk(['ip', '-n', t.east.ns, '-o', 'link', 'show']);
      const rules = await runOk(['ip', '-n', t.east.ns, 'rule', 'show']);
      d['eastTunLeft'] = links.stdout.includes('keyway0');
      d['eastRulesLeft'] = rules.stdout.includes('lookup 220');
    });
  } finally {
    await cap?.stop(5_000).catch(() => undefined);
    await west?.stop().catch(() => undefined);
    await east?.stop().catch(() => undefined);
    await topo?.destroy().catch(() => undefined);
    rmSync(capDir, { recursive: true, force: true });
  }
}
