/**
 * Keyway (dataplane = xfrm) in `west` <-> strongSwan 5.9.8 (kernel-netlink)
 * in `east`, inside User-mode Linux (real kernel ESP):
 *   net   tunnel,    AES-GCM-16,          10.1.0.0/24 <-> 10.2.0.0/24
 *   host  transport, AES-CBC + SHA-256,   192.0.2.1 <-> 192.0.2.2
 *   trap  tunnel,    start_action = trap, 10.1.1.0/24 <-> 10.2.1.0/24 (ACQUIRE)
 * Pings both ways through each, reads the kernel counters through
 * `keyway list-sas --json`, then stops Keyway and checks that nothing it
 * installed is left in `ip xfrm state` / `ip xfrm policy`.
 */
import { createTopology, EAST_ADDR, WEST_ADDR, type Topology } from '../../interop/lab/topology.js';
import { startCharon, type Charon } from '../../interop/lab/strongswan.js';
import { runOk } from '../../interop/lab/exec.js';
import type { IkeSaInfo } from '../../../src/ike/info.js';
import { startKw, type Kw } from '../lab/keyway-xfrm.js';
import { ping, pingUntil, xfrm } from './net.js';
import type { Recorder } from './record.js';
import { guestConf, sides } from './conf.js';

const PSK = 'keyway-uml-lab-psk-0123456789';
const PLUGINS = ['random', 'nonce', 'openssl', 'aes', 'sha1', 'sha2', 'hmac', 'gcm', 'curve25519', 'kdf', 'kernel-netlink', 'socket-default', 'vici', 'updown'];

function conf(self: 'west' | 'east', trapStart: string): string {
  const w = self === 'west';
  const [l, r] = sides(self);
  return guestConf({
    self,
    psk: PSK,
    children: [
      { name: 'net', localTs: `${l}.0.0/24`, remoteTs: `${r}.0.0/24`, espProposals: 'aes128gcm16' },
      { name: 'host', localTs: 'dynamic', remoteTs: 'dynamic', espProposals: 'aes128-sha256', mode: 'transport' },
      { name: 'trap', localTs: `${l}.1.0/24`, remoteTs: `${r}.1.0/24`, espProposals: 'aes256gcm16', startAction: w ? trapStart : 'none' },
    ],
  });
}

function child(sas: readonly IkeSaInfo[], name: string): IkeSaInfo['children'][number] | undefined {
  for (const sa of sas) for (const c of sa.children) if (c.name === name && c.state === 'installed') return c;
  return undefined;
}

function counters(c: IkeSaInfo['children'][number] | undefined): Record<string, number> | undefined {
  return c === undefined ? undefined : { bytesIn: c.bytesIn, bytesOut: c.bytesOut, packetsIn: c.packetsIn, packetsOut: c.packetsOut };
}

export async function kwToStrongswan(rec: Recorder): Promise<void> {
  let topo: Topology | undefined;
  let charon: Charon | undefined;
  let kw: Kw | undefined;
  try {
    await rec.scenario('setup: namespaces, strongSwan (kernel-netlink), Keyway (xfrm)', async (d) => {
      topo = await createTopology();
      const { west, east } = topo;
      // protected networks: 10.x.0.1 (net) and 10.x.1.1 (trap) on each side
      await runOk(['ip', '-n', west.ns, 'addr', 'add', '10.1.1.1/24', 'dev', west.dev]);
      await runOk(['ip', '-n', east.ns, 'addr', 'add', '10.2.1.1/24', 'dev', east.dev]);
      for (const [h, peer, nets] of [[west, EAST_ADDR, ['10.2.0.0/24', '10.2.1.0/24']], [east, WEST_ADDR, ['10.1.0.0/24', '10.1.1.0/24']]] as const) {
        for (const n of nets) await runOk(['ip', '-n', h.ns, 'route', 'add', n, 'via', peer]);
      }
      charon = await startCharon({ host: east, plugins: PLUGINS, logLevels: { default: 1, ike: 1, knl: 2, chd: 1, cfg: 1 } });
      await charon.load(conf('east', 'none'));
      kw = await startKw({ ns: west.ns, address: WEST_ADDR, conf: conf('west', 'trap') });
      d['trapPolicy'] = (await xfrm(west.ns)).policy.includes('10.1.1.0/24');
      if (d['trapPolicy'] !== true) throw new Error(`trap policy not installed:\n${(await xfrm(west.ns)).policy}`);
    });
    if (topo === undefined || kw === undefined || charon === undefined) return;
    const { west, east } = topo;
    const k = kw;

    await rec.scenario('tunnel mode: IKEv2 PSK, AES-GCM ESP in the kernel, ping both ways, counters move', async (d) => {
      const r = await k.cli(['initiate', 'gw', '--child', 'net'], 120_000);
      d['initiate'] = (r.stdout + r.stderr).slice(-400);
      if (r.code !== 0) throw new Error(`initiate failed: ${d['initiate'] as string}\n${k.output().slice(-3000)}`);
      d['pingWestToEast'] = await ping(west.ns, '10.1.0.1', '10.2.0.1');
      d['pingEastToWest'] = await ping(east.ns, '10.2.0.1', '10.1.0.1');
      const sas = await k.listSas();
      d['counters'] = counters(child(sas, 'net'));
      // algorithm names only: the key columns are cut off (secrets stay out of logs even in the lab)
      d['kernelState'] = (await xfrm(west.ns)).state.split('\n').filter((l) => /proto esp|aead|enc /.test(l)).map((l) => l.trim().replace(/ 0x[0-9a-f]+/g, ' <key>').replace(/spi <key>/, 'spi'));
      d['strongswanChild'] = (await charon?.listSas())?.flatMap((s) => s.children.map((c) => c.name));
    });

    await rec.scenario('transport mode: AES-CBC + HMAC-SHA-256, host to host, ping both ways', async (d) => {
      const r = await k.cli(['initiate', 'gw', '--child', 'host'], 120_000);
      d['initiate'] = (r.stdout + r.stderr).slice(-400);
      if (r.code !== 0) throw new Error(`initiate failed: ${d['initiate'] as string}`);
      d['pingWestToEast'] = await ping(west.ns, WEST_ADDR, EAST_ADDR);
      d['pingEastToWest'] = await ping(east.ns, EAST_ADDR, WEST_ADDR);
      const c = child(await k.listSas(), 'host');
      d['mode'] = c?.mode;
      d['counters'] = counters(c);
    });

    await rec.scenario('trap: traffic raises an ACQUIRE, Keyway negotiates, ping gets through', async (d) => {
      d['ping'] = await pingUntil(west.ns, '10.1.1.1', '10.2.1.1', 90_000);
      const c = child(await k.listSas(), 'trap');
      d['child'] = c === undefined ? null : { state: c.state, mode: c.mode };
      d['counters'] = counters(c);
      d['acquireLogged'] = k.output().includes('xfrm.acquire');
    });

    await rec.scenario('exit: after Keyway stops, nothing it installed is left', async (d) => {
      await k.stop();
      kw = undefined;
      const x = await xfrm(west.ns);
      d['state'] = x.state;
      d['policy'] = x.policy;
    });
  } finally {
    await kw?.stop().catch(() => undefined);
    await charon?.stop().catch(() => undefined);
    await topo?.destroy().catch(() => undefined);
  }
}
