/**
 * N(SIGNATURE_HASH_ALGORITHMS) (RFC 7427 §4): each side lists, in its
 * IKE_SA_INIT message, the hashes it accepts in method 14 signatures.
 *
 *                        1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Hash Algorithm 1 (16 bits)   |  Hash Algorithm 2 (16 bits)   | ...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The initiator always sends it; the responder answers with its own list
 * only when the request had one (§4: "If both peers support ..."). The
 * peer's list is remembered per IKE SA for IKE_AUTH; absent = the peer does
 * not do RFC 7427 and gets the classic methods (1, 9-11).
 */
import { NotifyType } from '../../iana/ikev2.js';
import { SigHash } from '../../crypto/sig-v2.js';
import type { NotifyPayload, Payload } from '../../wire/ikev2/types.js';
import type { IkeSa } from '../ike-sa.js';
import { findNotify, notify } from './payloads.js';

/** What we verify: SHA-2 and, for Ed25519, identity (RFC 8420 §2). No SHA-1 (RFC 8247 §3.2). */
export const OUR_SIG_HASHES: readonly number[] = [SigHash.SHA2_256, SigHash.SHA2_384, SigHash.SHA2_512, SigHash.IDENTITY];

/** A peer listing more than this is odd; the rest is ignored (bounded work on hostile input). */
const MAX_HASHES = 32;

const peerLists = new WeakMap<IkeSa, readonly number[]>();

export function sigHashNotify(): NotifyPayload {
  const data = new Uint8Array(OUR_SIG_HASHES.length * 2);
  OUR_SIG_HASHES.forEach((h, i) => {
    data[2 * i] = h >> 8;
    data[2 * i + 1] = h & 0xff;
  });
  return notify(NotifyType.SIGNATURE_HASH_ALGORITHMS, data);
}

/** Parses the notify data (odd trailing byte ignored); exported for tests. */
export function parseSigHashes(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length && out.length < MAX_HASHES; i += 2) out.push(((data[i] ?? 0) << 8) | (data[i + 1] ?? 0));
  return out;
}

/** Remembers the peer's list from its IKE_SA_INIT message; returns whether it sent one. */
export function rememberPeerSigHashes(sa: IkeSa, payloads: readonly Payload[]): boolean {
  const n = findNotify(payloads, NotifyType.SIGNATURE_HASH_ALGORITHMS);
  if (n === undefined) return false;
  peerLists.set(sa, parseSigHashes(n.data));
  return true;
}

/** Responder: remember the initiator's list and answer with ours if it sent one. */
export function sigHashResponse(sa: IkeSa, request: readonly Payload[]): Payload[] {
  return rememberPeerSigHashes(sa, request) ? [sigHashNotify()] : [];
}

/** The peer's hash list, undefined when it sent none. */
export function peerSigHashes(sa: IkeSa): readonly number[] | undefined {
  return peerLists.get(sa);
}
