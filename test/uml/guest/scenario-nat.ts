/**
 * Keyway (xfrm) <-> Keyway (xfrm) through a masquerading NAT, inside
 * User-mode Linux: NAT detection (RFC 7296 §2.23) moves IKE to 4500, the
 * CHILD SA is installed with XFRMA_ENCAP and the kernel carries ESP-in-UDP
 * (RFC 3948) through the NAT on the daemon's UDP_ENCAP_ESPINUDP socket.
 *
 *   nwest 10.8.0.2 (LAN 10.1.0.1) -- nat 10.8.0.1 | 198.51.100.1 -- neast 198.51.100.2 (LAN 10.2.0.1)
 */
import { onAbnormalExit, run, runOk, runSyncQuiet } from '../../interop/lab/exec.js';
import { startKw, type Kw } from '../lab/keyway-xfrm.js';
import { ping, xfrm } from './net.js';
import type { Recorder } from './record.js';
import { guestConf, sides } from './conf.js';

const PSK = 'keyway-uml-nat-psk-0123456789';

function conf(self: 'west' | 'east'): string {
  const w = self === 'west';
  const [l, r] = sides(self);
  return guestConf({
    self,
    name: 'nat',
    localAddr: w ? '10.8.0.2' : '198.51.100.2',
    remoteAddr: w ? '198.51.100.2' : '%any',
    psk: PSK,
    children: [{ name: 'lan', localTs: `${l}.0.0/24`, remoteTs: `${r}.0.0/24`, espProposals: 'aes128gcm16' }],
  });
}

export async function kwToKwNat(rec: Recorder): Promise<void> {
  const p = `kwn-${process.pid}`;
  const [west, nat, east] = [`${p}-west`, `${p}-nat`, `${p}-east`];
  const unregister = onAbnormalExit(() => [west, nat, east].forEach((n) => runSyncQuiet(['ip', 'netns', 'del', n])));
  let kwWest: Kw | undefined;
  let kwEast: Kw | undefined;
  try {
    await rec.scenario('NAT: Keyway (xfrm) <-> Keyway (xfrm) through a masquerading NAT, ESP-in-UDP in the kernel', async (d) => {
      for (const n of [west, nat, east]) {
        await runOk(['ip', 'netns', 'add', n]);
        await runOk(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
      }
      await runOk(['ip', 'link', 'add', 'w0', 'netns', west, 'type', 'veth', 'peer', 'name', 'nat0', 'netns', nat]);
      await runOk(['ip', 'link', 'add', 'e0', 'netns', east, 'type', 'veth', 'peer', 'name', 'nat1', 'netns', nat]);
      const cmds: string[][] = [
        [west, 'addr', 'add', '10.8.0.2/24', 'dev', 'w0'],
        [west, 'addr', 'add', '10.1.0.1/24', 'dev', 'w0'],
        [nat, 'addr', 'add', '10.8.0.1/24', 'dev', 'nat0'],
        [nat, 'addr', 'add', '198.51.100.1/24', 'dev', 'nat1'],
        [east, 'addr', 'add', '198.51.100.2/24', 'dev', 'e0'],
        [east, 'addr', 'add', '10.2.0.1/24', 'dev', 'e0'],
        [west, 'link', 'set', 'w0', 'up'],
        [nat, 'link', 'set', 'dev', 'nat0', 'up'],
        [nat, 'link', 'set', 'dev', 'nat1', 'up'],
        [east, 'link', 'set', 'e0', 'up'],
        [west, 'route', 'add', 'default', 'via', '10.8.0.1'],
        [east, 'route', 'add', '10.1.0.0/24', 'via', '198.51.100.1'],
      ];
      for (const [n, ...args] of cmds) await runOk(['ip', '-n', n ?? '', ...args]);
      await runOk(['ip', 'netns', 'exec', nat, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      await runOk(['ip', 'netns', 'exec', nat, 'iptables-legacy', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'nat1', '-j', 'MASQUERADE']);
      kwEast = await startKw({ ns: east, address: '198.51.100.2', conf: conf('east') });
      kwWest = await startKw({ ns: west, address: '10.8.0.2', conf: conf('west') });
      const r = await kwWest.cli(['initiate', 'nat', '--child', 'lan'], 120_000);
      d['initiate'] = (r.stdout + r.stderr).slice(-400);
      if (r.code !== 0) throw new Error(`initiate failed: ${d['initiate'] as string}\n${kwWest.output().slice(-3000)}`);
      d['pingWestToEast'] = await ping(west, '10.1.0.1', '10.2.0.1');
      d['pingEastToWest'] = await ping(east, '10.2.0.1', '10.1.0.1');
      const c = (await kwWest.listSas()).flatMap((s) => s.children).find((x) => x.name === 'lan');
      d['encap'] = c?.encap;
      d['counters'] = c === undefined ? undefined : { bytesIn: c.bytesIn, bytesOut: c.bytesOut, packetsIn: c.packetsIn, packetsOut: c.packetsOut };
      const x = await xfrm(west);
      d['kernelEncap'] = x.state.split('\n').filter((l) => l.includes('encap')).map((l) => l.trim());
      const conntrack = await run(['ip', 'netns', 'exec', nat, 'cat', '/proc/net/nf_conntrack']);
      d['natUdp4500'] = conntrack.stdout.split('\n').filter((l) => l.includes('dport=4500')).length;
      await kwWest.stop();
      await kwEast.stop();
      kwWest = undefined;
      kwEast = undefined;
      const after = [await xfrm(west), await xfrm(east)];
      d['leftAfterExit'] = after.map((a) => (a.state + a.policy).trim());
    });
  } finally {
    await kwWest?.stop().catch(() => undefined);
    await kwEast?.stop().catch(() => undefined);
    for (const n of [west, nat, east]) await run(['ip', 'netns', 'del', n]);
    unregister();
  }
}
