/**
 * Two Keyway daemons (userspace dataplane) across the NAT lab (nat.ts): east
 * accepts west from any address (it only ever sees the NAT's), each daemon
 * puts its tunnel address on its TUN device so traffic can cross.
 */
import { NAT_EAST_ADDR, NAT_WEST_ADDR } from './nat.js';
import type { NatTopology } from './nat.js';
import { startKeyway } from './keyway.js';
import type { Keyway } from './keyway.js';
import { swanctlConf } from './swanctl-conf.js';
import { EAST_NET, LAB_PSK, WEST_NET } from './scenario.js';

/** the addresses on the daemons' TUN devices, inside WEST_NET / EAST_NET */
export const WEST_IN = '10.1.0.1';
export const EAST_IN = '10.2.0.1';

function conf(local: string, remote: string, localId: string, remoteId: string, localTs: string, remoteTs: string, extra: Record<string, string>): string {
  return swanctlConf(
    [{ name: 'gw', localAddr: local, remoteAddr: remote, localId, remoteId, proposals: 'aes128gcm16-prfsha256-x25519', extra, children: [{ name: 'net', localTs, remoteTs, espProposals: 'aes128gcm16' }] }],
    [LAB_PSK],
  );
}

/** Starts east, then west (connection `gw`, child `net`); stops east again if west fails to start. */
export async function startNatKeyways(
  topo: NatTopology,
  west: { readonly conn?: Record<string, string>; readonly daemonExtra?: readonly string[] } = {},
): Promise<{ readonly west: Keyway; readonly east: Keyway }> {
  const east = await startKeyway({
    host: topo.east,
    conf: conf(NAT_EAST_ADDR, '%any', 'east', 'west', EAST_NET, WEST_NET, {}),
    dataplane: 'userspace',
    daemonExtra: [`tun_addresses = ${EAST_IN}/32`],
  });
  try {
    const w = await startKeyway({
      host: topo.west,
      conf: conf(NAT_WEST_ADDR, NAT_EAST_ADDR, 'west', 'east', WEST_NET, EAST_NET, west.conn ?? {}),
      dataplane: 'userspace',
      daemonExtra: [`tun_addresses = ${WEST_IN}/32`, ...(west.daemonExtra ?? [])],
    });
    return { west: w, east };
  } catch (e) {
    await east.stop();
    throw e;
  }
}
