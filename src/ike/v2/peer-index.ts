/**
 * IKE SAs by the peer's authenticated identity (IDi/IDr type + data).
 *
 * Two lookups ask "which other IKE SAs do we have with this peer?": the
 * INITIAL_CONTACT cleanup (RFC 7296 §2.4) and the responder's search for the
 * CHILD SA a reauthentication replaces (§2.8 make-before-break). Scanning the
 * whole SA table for them made each establishment O(number of SAs) — the
 * largest cost of a busy responder — so IkeSa keeps this index current
 * whenever its remoteId is set and when it is destroyed.
 *
 * Per identity the SAs are kept in the order they were identified, so a
 * caller can look at the newest first.
 */
import { toHex } from '../../util/bytes.js';
import type { IkeSa } from '../ike-sa.js';

export interface PeerId {
  readonly type: number;
  readonly data: Uint8Array;
}

export class PeerIndex {
  private readonly byId = new Map<string, IkeSa[]>();

  static key(id: PeerId): string {
    return `${id.type}:${toHex(id.data)}`;
  }

  add(key: string, sa: IkeSa): void {
    const list = this.byId.get(key);
    if (list === undefined) this.byId.set(key, [sa]);
    else if (!list.includes(sa)) list.push(sa);
  }

  remove(key: string, sa: IkeSa): void {
    const list = this.byId.get(key);
    if (list === undefined) return;
    const i = list.lastIndexOf(sa);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byId.delete(key);
  }

  /** The SAs identified as `id`, oldest first. Do not mutate; copy before destroying SAs. */
  sasOf(id: PeerId): readonly IkeSa[] {
    return this.byId.get(PeerIndex.key(id)) ?? [];
  }

  /** Number of distinct peer identities (tests, leak checks). */
  get size(): number {
    return this.byId.size;
  }
}
