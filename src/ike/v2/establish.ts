/** The moment an IKE SA becomes ESTABLISHED (RFC 7296 §1.2: after both AUTH payloads verify). */
import type { IkeSa } from '../ike-sa.js';
import { scheduleIkeLifetime } from '../lifecycle.js';

export function markEstablished(sa: IkeSa): void {
  sa.transition('established');
  sa.clearHalfOpenTimer();
  sa.ctx.table.removeInit(sa);
  sa.establishedAtMs = sa.ctx.clock.nowMs();
  sa.establishedAtWall = sa.ctx.wallClock.nowEpochMs();
  sa.ctx.counters.inc('ike.established');
  sa.armNatKeepalive();
  scheduleIkeLifetime(sa);
  sa.ctx.log('info', 'ike.established', {
    ...sa.logFields,
    initiator: sa.isOriginalInitiator,
    localId: sa.localIdText,
    remoteId: sa.remoteIdText,
    alg: sa.algorithms,
  });
}
