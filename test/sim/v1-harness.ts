/**
 * Two Keyway engines with IKEv1 enabled (createV1Engine as v1Factory) on the
 * shared fake clock and network of the IKEv2 simulator (harness.ts).
 */
import { createV1Engine } from '../../src/ike/v1/engine-v1.js';
import { parseConfig, SimPair, WEST, EAST } from './harness.js';

export interface V1PairOptions {
  readonly westConn?: string;
  readonly eastConn?: string;
  readonly westChild?: string;
  readonly eastChild?: string;
  readonly westDaemon?: string;
  readonly eastDaemon?: string;
  readonly westPsk?: string;
  readonly eastPsk?: string;
  /** extra connections/children (whole sections) appended inside `connections {}` / the child list */
  readonly westExtraChildren?: string;
  readonly eastExtraChildren?: string;
  readonly seed?: string;
  readonly westVersion?: 0 | 1 | 2;
  readonly eastVersion?: 0 | 1 | 2;
  /** whole connection sections placed before east's `net` (so they rank first by config order) */
  readonly eastConnsBefore?: string;
  /** whole secret sections appended to east's secrets */
  readonly eastSecrets?: string;
  /** east's connection name (default net) */
  readonly eastName?: string;
  /** lines of the local / remote sections instead of `auth = psk` (e.g. RSA signatures with key files) */
  readonly westAuth?: { readonly local: string; readonly remote: string };
  readonly eastAuth?: { readonly local: string; readonly remote: string };
}

export function v1SideConfig(me: string, peer: string, meId: string, peerId: string, lts: string, rts: string, o: { conn: string; child: string; daemon: string; psk: string; extra: string; version: number; before?: string; secrets?: string; name?: string; auth?: { readonly local: string; readonly remote: string } }): string {
  return `
daemon {
  listen = ${me}
  log_level = debug
  ${o.daemon}
}
connections {
  ${o.before ?? ''}
  ${o.name ?? 'net'} {
    version = ${o.version}
    local_addrs = ${me}
    remote_addrs = ${peer}
    ${/\bproposals\s*=/.test(o.conn) ? '' : 'proposals = aes128-sha256-modp2048, aes256-sha1-ecp256'}
    ${o.conn}
    local {
      ${o.auth?.local ?? 'auth = psk'}
      id = ${meId}
    }
    remote {
      ${o.auth?.remote ?? 'auth = psk'}
      id = ${peerId}
    }
    children {
      net {
        local_ts = ${lts}
        remote_ts = ${rts}
        ${o.child.includes('esp_proposals') ? '' : 'esp_proposals = aes128-sha256, aes256gcm16'}
        ${o.child}
      }
      ${o.extra}
    }
  }
}
secrets {
  ike-1 {
    id-a = ${meId}
    id-b = ${peerId}
    secret = ${o.psk}
  }
  ${o.secrets ?? ''}
}
`;
}

export class V1Pair extends SimPair {
  constructor(opts: V1PairOptions = {}) {
    const psk = '"an IKEv1 sim secret of decent length"';
    const west = v1SideConfig(WEST, EAST, 'west@example.org', 'east@example.org', '10.1.0.0/24', '10.2.0.0/24', {
      conn: opts.westConn ?? '', child: opts.westChild ?? '', daemon: opts.westDaemon ?? '', psk: opts.westPsk ?? psk, extra: opts.westExtraChildren ?? '', version: opts.westVersion ?? 1,
      ...(opts.westAuth === undefined ? {} : { auth: opts.westAuth }),
    });
    const east = v1SideConfig(EAST, WEST, 'east@example.org', 'west@example.org', '10.2.0.0/24', '10.1.0.0/24', {
      conn: opts.eastConn ?? '', child: opts.eastChild ?? '', daemon: opts.eastDaemon ?? '', psk: opts.eastPsk ?? psk, extra: opts.eastExtraChildren ?? '', version: opts.eastVersion ?? 1,
      before: opts.eastConnsBefore ?? '', secrets: opts.eastSecrets ?? '', name: opts.eastName ?? 'net',
      ...(opts.eastAuth === undefined ? {} : { auth: opts.eastAuth }),
    });
    super(
      opts.seed ?? 'v1pair',
      { address: WEST, config: parseConfig(west, 'west.conf') },
      { address: EAST, config: parseConfig(east, 'east.conf') },
      createV1Engine,
    );
  }
}
