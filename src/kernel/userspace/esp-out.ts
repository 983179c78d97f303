/**
 * Outbound ESP processing (RFC 4303 §3.1-3.3) for one packet and one SA:
 * sequence number, IV, padding and trailer, encryption and ICV, laid out in
 * a caller's buffer (reused for every packet; the sender copies or sends it
 * before the next one).
 *
 *   out = SPI(4) | Seq(4) | IV | encrypt(payload | padding | pad length | next header) | ICV
 */
import { ESP_HEADER_LEN, ESP_MAX_PAD, ESP_TRAILER_LEN, NextHeader, encodeEspHeader, espPadLength, writeEspTrailer } from '../../wire/esp/esp.js';
import { ipHeaderLength, ipProtocol } from './ip-header.js';
import type { SaState } from './sad.js';

const TWO32 = 0x1_0000_0000;
const MAX_SEQ_32 = 0xffffffff;
/** padding and trailer of the current packet (at most 255 + 2 bytes) */
const trailerScratch = new Uint8Array(ESP_MAX_PAD + ESP_TRAILER_LEN);

export type OutResult =
  | { readonly ok: true; readonly length: number }
  | { readonly ok: false; readonly reason: 'expired' | 'seqOverflow' | 'malformed' };

/** The most bytes ESP adds to a packet on this SA (header, IV, maximal padding, trailer, ICV). */
export function espOverhead(s: SaState): number {
  return ESP_HEADER_LEN + s.suite.ivLength + ESP_MAX_PAD + ESP_TRAILER_LEN + s.suite.icvLength;
}

/** Builds the ESP packet for `pkt` into out[0, length). */
export function encapsulate(s: SaState, pkt: Uint8Array, out: Uint8Array): OutResult {
  if (s.hardExpired) return { ok: false, reason: 'expired' };
  const next = s.seq + 1;
  // RFC 4303 §3.3.3: without ESN the counter MUST NOT cycle; the SA must be rekeyed
  if (!s.spec.esn && next > MAX_SEQ_32) return { ok: false, reason: 'seqOverflow' };
  let payload: Uint8Array;
  let nh: number;
  if (s.spec.mode === 'tunnel') {
    // RFC 4303 §3.1.2: the whole inner packet is the payload
    payload = pkt;
    nh = (pkt[0] ?? 0) >>> 4 === 6 ? NextHeader.IPV6 : NextHeader.IPV4;
  } else {
    // RFC 4303 §3.1.1: ESP sits after the IP header and protects what follows it
    const hl = ipHeaderLength(pkt);
    if (hl > pkt.length) return { ok: false, reason: 'malformed' };
    nh = ipProtocol(pkt);
    payload = pkt.subarray(hl);
  }
  const suite = s.suite;
  if (pkt.length + espOverhead(s) > out.length) return { ok: false, reason: 'malformed' };
  s.seq = next;
  const hi = Math.floor(next / TWO32);
  const lo = next % TWO32;
  const pad = espPadLength(payload.length, suite.blockSize);
  const trailer = trailerScratch.subarray(0, pad + ESP_TRAILER_LEN);
  writeEspTrailer(trailer, 0, pad, nh);
  encodeEspHeader(out, 0, s.spec.spi, lo);
  suite.writeIv(out, ESP_HEADER_LEN, hi, lo);
  const length = suite.seal(out, payload, trailer, s.spec.esn ? hi : undefined);
  return { ok: true, length };
}
