/** IKEv1 SA snapshots in the stable shapes of info.ts (`keyway list-sas --json`). */
import { P1Auth } from '../../iana/ikev1.js';
import { toHex } from '../../util/bytes.js';
import type { ChildSaInfo, IkeSaInfo } from '../info.js';
import type { V1Sa } from './v1-sa.js';

export async function v1SaInfo(sa: V1Sa): Promise<IkeSaInfo> {
  const children: ChildSaInfo[] = [];
  for (const c of sa.children.values()) children.push(await c.info());
  const left = sa.establishedAtMs === undefined || sa.lifeSeconds <= 0 ? null : Math.max(0, Math.round((sa.establishedAtMs + sa.lifeSeconds * 1000 - sa.ctx.clock.nowMs()) / 1000));
  return {
    uniqueId: sa.uniqueId,
    connection: sa.connectionName,
    state: sa.state === 'established' || sa.state === 'deleting' || sa.state === 'destroyed' ? sa.state : 'connecting',
    version: 1,
    initiator: sa.initiator,
    spiI: toHex(sa.spiI),
    spiR: toHex(sa.spiR),
    local: { address: sa.local.address, port: sa.local.port, id: sa.localIdText },
    remote: { address: sa.remote.address, port: sa.remote.port, id: sa.remoteIdText },
    natLocal: sa.natLocal,
    natRemote: sa.natRemote,
    algorithms: sa.algorithms ?? { encryption: 'NONE' },
    establishedAt: sa.establishedAtWall === undefined ? null : new Date(sa.establishedAtWall).toISOString(),
    // IKEv1 SAs are not rekeyed in place: they are re-negotiated when they expire
    rekeyIn: null,
    reauthIn: null,
    expiresIn: left,
    generation: 0,
    children,
    mode: sa.mode,
    // one method for both sides in IKEv1 (the transform's auth attribute)
    localAuth: sa.p1.choice?.auth === P1Auth.RSA_SIGNATURES ? 'pubkey' : 'psk',
    remoteAuth: sa.p1.choice?.auth === P1Auth.RSA_SIGNATURES ? 'pubkey' : 'psk',
    lifetime: sa.lifeSeconds,
  };
}
