/** Snapshots of engine state in the stable shapes of info.ts (for the CLI and tests). */
import type { ConnectionConfig } from '../config/model.js';
import { toHex } from '../util/bytes.js';
import { hex8, type ChildSa } from './child-sa.js';
import type { IkeSa } from './ike-sa.js';
import type { ChildSaInfo, ConnectionInfo, IkeSaInfo } from './info.js';

function iso(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString();
}

function secondsUntil(sa: IkeSa, atMs: number | undefined): number | null {
  if (atMs === undefined) return null;
  return Math.max(0, Math.round((atMs - sa.ctx.clock.nowMs()) / 1000));
}

async function childInfo(child: ChildSa): Promise<ChildSaInfo> {
  const dp = child.ctx.dataplane;
  const local = child.ikeSa.local.address;
  const remote = child.ikeSa.remote.address;
  const zero = { bytes: 0, packets: 0 };
  const inC = child.state === 'installed' ? await dp.querySa({ protocol: 'esp', spi: child.spiIn, dst: local }).catch(() => zero) : zero;
  const outC = child.state === 'installed' ? await dp.querySa({ protocol: 'esp', spi: child.spiOut, dst: remote }).catch(() => zero) : zero;
  const cfg = child.cfg;
  return {
    uniqueId: child.uniqueId,
    name: child.name,
    state: child.state,
    protocol: 'esp',
    mode: child.mode,
    encap: child.encap,
    spiIn: hex8(child.spiIn),
    spiOut: hex8(child.spiOut),
    algorithms: child.algorithms ?? { encryption: 'NONE' },
    localTs: child.localTs,
    remoteTs: child.remoteTs,
    bytesIn: inC.bytes,
    bytesOut: outC.bytes,
    packetsIn: inC.packets,
    packetsOut: outC.packets,
    establishedAt: iso(child.establishedAtWall) ?? '',
    rekeyIn: secondsUntil(child.ikeSa, child.rekeyAtMs),
    expiresIn: secondsUntil(child.ikeSa, child.expireAtMs),
    generation: child.generation,
  };
}

export async function ikeSaInfo(sa: IkeSa): Promise<IkeSaInfo> {
  const children: ChildSaInfo[] = [];
  for (const c of sa.children.values()) children.push(await childInfo(c));
  const conn = sa.conn;
  return {
    uniqueId: sa.uniqueId,
    connection: sa.connectionName,
    state: sa.state,
    version: 2,
    initiator: sa.isOriginalInitiator,
    spiI: toHex(sa.spiI),
    spiR: toHex(sa.spiR),
    local: { address: sa.local.address, port: sa.local.port, id: sa.localIdText },
    remote: { address: sa.remote.address, port: sa.remote.port, id: sa.remoteIdText },
    natLocal: sa.natLocal,
    natRemote: sa.natRemote,
    algorithms: sa.algorithms ?? { encryption: 'NONE' },
    establishedAt: iso(sa.establishedAtWall),
    rekeyIn: secondsUntil(sa, sa.rekeyAtMs),
    reauthIn: secondsUntil(sa, sa.reauthAtMs),
    expiresIn: secondsUntil(sa, sa.expireAtMs),
    generation: sa.generation,
    children,
    recentTeardowns: sa.ctx.history.list(sa.connectionName).slice(-5),
    // RFC 7296 §2.15: each direction authenticates with its own round's method (psk one way, pubkey the other is allowed)
    ...authMethods(conn),
  };
}

function authMethods(conn: ConnectionConfig | undefined): { localAuth?: string; remoteAuth?: string } {
  const local = conn?.local[0]?.method;
  const remote = conn?.remote[0]?.method;
  return { ...(local === undefined ? {} : { localAuth: local }), ...(remote === undefined ? {} : { remoteAuth: remote }) };
}

/** `daemonPort`: the port the daemon listens on and initiates from (daemon { port }), shown as the local port. */
export function connectionInfo(c: ConnectionConfig, daemonPort: number): ConnectionInfo {
  return {
    name: c.name,
    version: c.version,
    localAddrs: c.localAddrs,
    remoteAddrs: c.remoteAddrs,
    localPort: daemonPort,
    remotePort: c.remotePort,
    proposals: c.proposals.map((p) => p.text),
    localAuth: c.local.map((a) => ({ method: a.method, id: a.id?.text ?? '%any' })),
    remoteAuth: c.remote.map((a) => ({ method: a.method, id: a.id?.text ?? '%any' })),
    children: c.children.map((ch) => ({
      name: ch.name,
      mode: ch.mode,
      localTs: ch.localTs.map((t) => t.text),
      remoteTs: ch.remoteTs.map((t) => t.text),
      espProposals: ch.espProposals.map((p) => p.text),
      startAction: ch.startAction,
    })),
  };
}
