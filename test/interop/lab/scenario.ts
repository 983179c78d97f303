/**
 * The lab's standard site-to-site scenario: west 192.0.2.1 protecting
 * 10.1.0.0/24, east 192.0.2.2 protecting 10.2.0.0/24, PSK authentication with
 * IDs "west"/"east". Both halves are mirror images of each other.
 */
import { EAST_ADDR, WEST_ADDR } from './topology.js';
import type { ConnSpec, PskSpec } from './swanctl-conf.js';
import { swanctlConf } from './swanctl-conf.js';

export const WEST_NET = '10.1.0.0/24';
export const EAST_NET = '10.2.0.0/24';
/** Lab-only PSK (never a real secret). */
export const LAB_PSK: PskSpec = { ids: ['west', 'east'], secret: 'keyway-lab-psk-0123456789' };

export interface SitePair {
  readonly west: ConnSpec;
  readonly east: ConnSpec;
}

export interface SiteOptions {
  readonly conn?: string;
  readonly child?: string;
  /** IKE proposals on both sides unless overridden per side */
  readonly ike: string;
  readonly esp: string;
  readonly westIke?: string;
  readonly eastIke?: string;
  readonly westEsp?: string;
  readonly eastEsp?: string;
  /** strongSwan-only options for the east side (e.g. { mobike: 'no' }) */
  readonly eastExtra?: Readonly<Record<string, string>>;
}

export function sitePair(o: SiteOptions): SitePair {
  const conn = o.conn ?? 'gw';
  const child = o.child ?? 'net';
  return {
    west: {
      name: conn,
      localAddr: WEST_ADDR,
      remoteAddr: EAST_ADDR,
      localId: 'west',
      remoteId: 'east',
      proposals: o.westIke ?? o.ike,
      children: [{ name: child, localTs: WEST_NET, remoteTs: EAST_NET, espProposals: o.westEsp ?? o.esp }],
    },
    east: {
      name: conn,
      localAddr: EAST_ADDR,
      remoteAddr: WEST_ADDR,
      localId: 'east',
      remoteId: 'west',
      proposals: o.eastIke ?? o.ike,
      children: [{ name: child, localTs: EAST_NET, remoteTs: WEST_NET, espProposals: o.eastEsp ?? o.esp }],
      ...(o.eastExtra === undefined ? {} : { extra: o.eastExtra }),
    },
  };
}

export function westConf(p: SitePair): string {
  return swanctlConf([p.west], [LAB_PSK]);
}
export function eastConf(p: SitePair): string {
  return swanctlConf([p.east], [LAB_PSK]);
}
