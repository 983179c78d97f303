/**
 * Responder connection choice once the initiator's identity is known
 * (MM5 / AM1), like IKEv2's IKE_AUTH (src/policy/peers.ts selectPeerConfig).
 *
 * Main Mode with pre-shared keys must pick the key before the peer's
 * identity is known (RFC 2409 §5.4: SKEYID needs it to decrypt MM5), so the
 * connection chosen by addresses at MM1 fixed both the PSK and the phase 1
 * transform. At MM5 we may move to a better-matching candidate, but only to
 * one that would have used the same key and accepts the same transform.
 * Aggressive Mode carries IDii in its first message, so the choice is made
 * before any key is used.
 */
import type { ConnectionConfig } from '../../config/model.js';
import { hashEqual } from '../../crypto/keymat-v1.js';
import { idToString, type IdLike } from '../../policy/ids.js';
import { selectPeerConfig } from '../../policy/peers.js';
import { phase1Choices } from '../../policy/v1-proposals.js';
import { pskFor } from './identity.js';
import { modeName, usesSignatures } from './phase1-common.js';
import { v1Fail } from './report.js';
import type { V1Sa } from './v1-sa.js';

export interface Rejected {
  readonly connection: string;
  readonly rejected: string;
}

/**
 * Picks the connection for the peer's phase 1 identity among the SA's
 * address candidates (`usable` filters them first, with a reason). On
 * failure records an 'auth' failure with the per-connection diagnostic and
 * returns undefined (the caller destroys the SA).
 */
export function selectByIdentity(sa: V1Sa, peerId: IdLike, usable: (c: ConnectionConfig) => string | undefined): ConnectionConfig | undefined {
  const pre: Rejected[] = [];
  const ok: ConnectionConfig[] = [];
  for (const c of sa.candidates) {
    const why = usable(c);
    if (why === undefined) ok.push(c);
    else pre.push({ connection: c.name, rejected: why });
  }
  const pick = selectPeerConfig(ok, peerId, undefined, usesSignatures(sa) ? 'pubkey' : 'psk');
  if (pick.ok) {
    if (sa.conn !== undefined && pick.connection !== sa.conn) {
      sa.ctx.counters.inc('v1.peer.reselected');
      sa.ctx.log('info', 'v1.peer.reselected', { ...sa.logFields, from: sa.conn.name, to: pick.connection.name, id: idToString(peerId.type, peerId.data) });
    }
    sa.conn = pick.connection;
    return pick.connection;
  }
  const d = pick.diagnostic;
  const considered = [...pre, ...d.considered];
  const text = idToString(peerId.type, peerId.data);
  v1Fail(sa, 'auth', modeName(sa), `no connection accepts identity ${text}: ${d.reason}`, { receivedId: d.receivedId, considered, reason: d.reason });
  return undefined;
}

/** Main Mode (MM5): the candidate must use the PSK already used and accept the negotiated transform. */
export function mainModeUsable(sa: V1Sa): (c: ConnectionConfig) => string | undefined {
  const used = sa.p1.psk;
  const choice = sa.p1.choice;
  const acceptsChoice = (c: ConnectionConfig): boolean =>
    choice === undefined || phase1Choices(c, 0).some((o) => o.encrId === choice.encrId && o.keyBits === choice.keyBits && o.hash === choice.hash && o.auth === choice.auth && o.group === choice.group);
  // RFC 2409 §5.1: with signatures nothing was keyed by the connection before MM5; its public keys check SIG_I
  if (usesSignatures(sa)) return (c) => (c.remote[0]?.method !== 'pubkey' ? 'remote auth is not pubkey' : !acceptsChoice(c) ? 'does not accept the negotiated phase 1 transform' : undefined);
  return (c) => {
    if (c.remote[0]?.method !== 'psk') return 'remote auth is not psk';
    const psk = pskFor(sa.ctx, c, sa.local.address);
    if (used === undefined || psk === undefined || !hashEqual(psk, used)) return 'its pre-shared key differs from the one chosen at MM1 (Main Mode must pick the key by address)';
    if (!acceptsChoice(c)) return 'does not accept the negotiated phase 1 transform';
    return undefined;
  };
}
