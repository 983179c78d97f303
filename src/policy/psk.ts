/**
 * Pre-shared key lookup for a pair of identities (RFC 7296 §2.15 leaves the
 * choice of key to the implementation). We follow strongSwan's rule:
 *
 *  - For each secret, compute how well its ids match the remote ID and the
 *    local ID (perfect > wildcard > %any > none). A secret with no ids
 *    matches both sides at the %any level.
 *  - A secret that matches neither side is ignored.
 *  - The best secret is the one with the best REMOTE match; ties are broken
 *    by the better LOCAL match; remaining ties keep the first in config order.
 *
 * So "matches both" beats "matches remote only", which beats "matches local
 * only"; note that a secret with no ids (remote match %any) beats one naming
 * only our local ID (remote match none), as in strongSwan.
 */
import type { IkeSecret } from '../config/model.js';
import { IdMatch, matchIdentity, type IdLike } from './ids.js';

function bestMatch(secret: IkeSecret, id: IdLike | undefined): IdMatch {
  if (secret.ids.length === 0) return IdMatch.ANY;
  if (id === undefined) return IdMatch.NONE;
  let best: IdMatch = IdMatch.NONE;
  for (const s of secret.ids) {
    const m = matchIdentity(s, id);
    if (m > best) best = m;
  }
  return best;
}

/** The shared secret for (local, remote); never logs or returns anything else about it. */
export function findPsk(secrets: readonly IkeSecret[], localId: IdLike | undefined, remoteId: IdLike | undefined): Uint8Array | undefined {
  let found: IkeSecret | undefined;
  let bestMe: IdMatch = IdMatch.NONE;
  let bestOther: IdMatch = IdMatch.NONE;
  for (const s of secrets) {
    const me = bestMatch(s, localId);
    const other = bestMatch(s, remoteId);
    if (me === IdMatch.NONE && other === IdMatch.NONE) continue;
    if (found === undefined || other > bestOther || (other === bestOther && me > bestMe)) {
      found = s;
      bestMe = me;
      bestOther = other;
    }
  }
  return found?.secret;
}
