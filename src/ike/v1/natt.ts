/**
 * NAT traversal for IKEv1 (RFC 3947).
 *
 * §3.1: both sides send the RFC 3947 vendor ID in the first two Main Mode
 * messages. §3.2: NAT-D payloads in MM3/MM4 carry
 *   HASH = HASH(CKY-I | CKY-R | IP | Port)
 * with the negotiated hash; the first names the destination of the packet,
 * the following ones the sender's own addresses. §4: after a NAT is found
 * the initiator moves to port 4500 from MM5 on (the transport adds the
 * non-ESP marker, RFC 3948 §2.2).
 */
import { hashV1, type V1Hash } from '../../crypto/keymat-v1.js';
import { VendorIdHex } from '../../iana/ikev1.js';
import { ipToBytes, parseIp } from '../../policy/ip.js';
import { bytesEqual, fromHex } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import type { Endpoint } from '../ports.js';

export const VID_RFC3947 = fromHex(VendorIdHex.RFC3947_NATT);
export const VID_DPD = fromHex(VendorIdHex.DPD);

export function natdHashV1(h: V1Hash, ckyI: Uint8Array, ckyR: Uint8Array, ep: Endpoint): Uint8Array {
  const ip = parseIp(ep.address);
  if (ip === undefined) throw new KeywayError('IKE_BAD_ADDRESS', `not an IP address: ${ep.address}`);
  return hashV1(h, ckyI, ckyR, ipToBytes(ip.family, ip.value), new Uint8Array([(ep.port >> 8) & 0xff, ep.port & 0xff]));
}

/**
 * RFC 3947 §3.2: "If ... none of the [sender] hashes match, the other end is
 * behind NAT"; if the first (destination) hash does not match our address
 * we are behind a NAT. `force` makes us claim a NAT (encap = yes, or a
 * dataplane that only speaks ESP-in-UDP).
 */
export function detectNat(h: V1Hash, ckyI: Uint8Array, ckyR: Uint8Array, received: readonly Uint8Array[], local: Endpoint, remote: Endpoint, force: boolean): { natLocal: boolean; natRemote: boolean } {
  const [dst, ...src] = received;
  const mineOk = dst !== undefined && bytesEqual(dst, natdHashV1(h, ckyI, ckyR, local));
  const peerHash = natdHashV1(h, ckyI, ckyR, remote);
  return { natLocal: force || !mineOk, natRemote: !src.some((s) => bytesEqual(s, peerHash)) };
}
