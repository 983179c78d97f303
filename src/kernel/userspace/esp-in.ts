/**
 * Inbound ESP processing (RFC 4303 §3.4) for one packet and its SA, in the
 * order the RFC requires: replay pre-check (§3.4.3), integrity verification
 * in constant time before any decryption result is used (§3.4.4), window
 * update only after that, then decryption, trailer and the inner packet
 * (tunnel mode) or a rebuilt IP header (transport mode, §3.1.1).
 */
import { WireError } from '../../util/errors.js';
import { NextHeader, decodeEspTrailer, splitEsp, type EspParts } from '../../wire/esp/esp.js';
import { buildIpPacket } from './ip-header.js';
import type { SaState } from './sad.js';

export type InDrop = 'malformed' | 'replay' | 'auth' | 'dummy' | 'expired' | 'innerMismatch';

export type InResult =
  | { readonly ok: true; readonly packet: Uint8Array }
  | { readonly ok: false; readonly reason: InDrop; readonly detail?: string };

/**
 * `inPlace`: the packet sits in a receive buffer nobody else reads, so the
 * plaintext may overwrite its ciphertext (the result is then a view into it).
 */
export function decapsulate(s: SaState, bytes: Uint8Array, inPlace = false): InResult {
  if (s.hardExpired) return { ok: false, reason: 'expired' };
  const suite = s.suite;
  let parts: EspParts;
  try {
    parts = splitEsp(bytes, suite.ivLength, suite.icvLength, suite.blockSize);
  } catch (e) {
    if (e instanceof WireError) return { ok: false, reason: 'malformed', detail: e.code };
    throw e;
  }
  const replay = s.replay;
  const verdict = replay?.check(parts.seq) ?? { ok: true as const, seq: parts.seq, seqHi: 0 };
  if (!verdict.ok) return { ok: false, reason: 'replay', detail: verdict.reason };
  const plain = suite.open(parts, s.spec.esn ? verdict.seqHi : undefined, inPlace);
  if (plain === undefined) return { ok: false, reason: 'auth' };
  replay?.accept(verdict.seq);
  let trailer;
  try {
    trailer = decodeEspTrailer(plain);
  } catch (e) {
    if (e instanceof WireError) return { ok: false, reason: 'malformed', detail: e.code };
    throw e;
  }
  // RFC 4303 §2.6: a dummy packet is silently discarded
  if (trailer.nextHeader === NextHeader.NO_NEXT_HEADER) return { ok: false, reason: 'dummy' };
  const payload = plain.subarray(0, trailer.payloadLength);
  if (s.spec.mode === 'tunnel') {
    const version = (payload[0] ?? 0) >>> 4;
    const want = trailer.nextHeader === NextHeader.IPV4 ? 4 : trailer.nextHeader === NextHeader.IPV6 ? 6 : 0;
    if (want === 0 || version !== want) {
      return { ok: false, reason: 'innerMismatch', detail: `next header ${trailer.nextHeader}, inner version ${version}` };
    }
    return { ok: true, packet: payload };
  }
  const pkt = buildIpPacket(s.spec.src, s.spec.dst, trailer.nextHeader, payload);
  if (pkt === undefined) return { ok: false, reason: 'malformed', detail: 'transport mode header' };
  return { ok: true, packet: pkt };
}
