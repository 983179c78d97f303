/**
 * Three namespaces with a masquerading NAT in the middle (LAB.md §1):
 *
 *   west 10.99.0.2/24 (w0) --- (n0) 10.99.0.1 | nat | 198.51.100.1 (n1) --- (e0) 198.51.100.2/24 east
 *                                    nft masquerade out of n1
 *
 * west reaches east only through the NAT; east sees west as 198.51.100.1 with
 * a translated source port. Names are unique per run; destroy() deletes the
 * namespaces (and with them the veths), also on abnormal exit.
 *
 * A NAT mapping change (RFC 7296 §2.23) is made with nft and the NAT's own
 * conntrack timeouts, without extra tools: masquerade to another port range
 * (existing mappings keep their port), shorten the UDP timeouts so that the
 * idle mapping dies, and the next packet from west gets a port in the new range.
 */
import { onAbnormalExit, run, runOk, runSyncQuiet } from './exec.js';
import type { Host } from './topology.js';

export const NAT_WEST_ADDR = '10.99.0.2';
export const NAT_INSIDE_ADDR = '10.99.0.1';
export const NAT_OUTSIDE_ADDR = '198.51.100.1';
export const NAT_EAST_ADDR = '198.51.100.2';

export interface NatTopology {
  readonly west: Host;
  readonly nat: Host;
  readonly east: Host;
  destroy(): Promise<void>;
}

let counter = 0;

function host(ns: string, dev: string, address: string): Host {
  return { ns, dev, address, exec: (argv) => ['ip', 'netns', 'exec', ns, ...argv] };
}

export async function createNatTopology(): Promise<NatTopology> {
  counter += 1;
  const prefix = `kwn-${process.pid}-${counter}`;
  const west = host(`${prefix}-west`, 'w0', NAT_WEST_ADDR);
  const nat = host(`${prefix}-nat`, 'n1', NAT_OUTSIDE_ADDR);
  const east = host(`${prefix}-east`, 'e0', NAT_EAST_ADDR);
  const all = [west, nat, east];
  const unregister = onAbnormalExit(() => {
    for (const h of all) runSyncQuiet(['ip', 'netns', 'del', h.ns]);
  });
  const destroy = async (): Promise<void> => {
    unregister();
    for (const h of all) await run(['ip', 'netns', 'del', h.ns]);
  };
  try {
    for (const h of all) {
      await runOk(['ip', 'netns', 'add', h.ns]);
      await runOk(['ip', '-n', h.ns, 'link', 'set', 'lo', 'up']);
    }
    await runOk(['ip', 'link', 'add', 'w0', 'netns', west.ns, 'type', 'veth', 'peer', 'name', 'n0', 'netns', nat.ns]);
    await runOk(['ip', 'link', 'add', 'n1', 'netns', nat.ns, 'type', 'veth', 'peer', 'name', 'e0', 'netns', east.ns]);
    const addr = async (h: Host, dev: string, a: string): Promise<void> => {
      await runOk(['ip', '-n', h.ns, 'addr', 'add', a, 'dev', dev]);
      await runOk(['ip', '-n', h.ns, 'link', 'set', dev, 'up']);
    };
    await addr(west, 'w0', `${NAT_WEST_ADDR}/24`);
    await addr(nat, 'n0', `${NAT_INSIDE_ADDR}/24`);
    await addr(nat, 'n1', `${NAT_OUTSIDE_ADDR}/24`);
    await addr(east, 'e0', `${NAT_EAST_ADDR}/24`);
    await runOk(['ip', '-n', west.ns, 'route', 'add', 'default', 'via', NAT_INSIDE_ADDR]);
    await runOk(nat.exec(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']));
    await runOk(nat.exec(['nft', 'add table ip nat']));
    await runOk(nat.exec(['nft', "add chain ip nat post { type nat hook postrouting priority 100 ; }"]));
    await runOk(nat.exec(['nft', 'add rule ip nat post oifname "n1" masquerade']));
  } catch (e) {
    await destroy();
    throw e;
  }
  return { west, nat, east, destroy };
}

/** Replaces the masquerade rule; with a port range, new mappings take UDP/TCP source ports from it. */
export async function setMasquerade(topo: NatTopology, ports?: { readonly from: number; readonly to: number }): Promise<void> {
  await runOk(topo.nat.exec(['nft', 'flush chain ip nat post']));
  const rule = ports === undefined ? 'masquerade' : `meta l4proto { tcp, udp } masquerade to :${ports.from}-${ports.to}`;
  await runOk(topo.nat.exec(['nft', `add rule ip nat post oifname "n1" ${rule}`]));
}

/** Linux defaults: 30 s for a UDP flow seen one way, 120 s once replied ("stream"). */
export const UDP_CT_DEFAULTS = { unreplied: 30, stream: 120 } as const;

/** The NAT namespace's UDP conntrack timeouts (seconds); a mapping idle longer than these is gone. */
export async function setUdpConntrackTimeouts(topo: NatTopology, t: { readonly unreplied: number; readonly stream: number }): Promise<void> {
  await runOk(topo.nat.exec(['sysctl', '-q', '-w', `net.netfilter.nf_conntrack_udp_timeout=${t.unreplied}`]));
  await runOk(topo.nat.exec(['sysctl', '-q', '-w', `net.netfilter.nf_conntrack_udp_timeout_stream=${t.stream}`]));
}
