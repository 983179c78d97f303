/**
 * Outbound ESP processing (RFC 4303 §3.1-3.3) for one packet and one SA:
 * sequence number, IV, padding and trailer, encryption and ICV. Returns the
 * ESP packet as chunks so the UDP send can gather them without a copy.
 */
import { ESP_HEADER_LEN, NextHeader, encodeEspHeader, espPadLength, writeEspTrailer } from '../../wire/esp/esp.js';
import { ipHeaderLength, ipProtocol } from './ip-header.js';
import type { SaState } from './sad.js';

const TWO32 = 0x1_0000_0000;
const MAX_SEQ_32 = 0xffffffff;

export type OutResult =
  | { readonly ok: true; readonly chunks: Uint8Array[]; readonly length: number }
  | { readonly ok: false; readonly reason: 'expired' | 'seqOverflow' | 'malformed' };

export function encapsulate(s: SaState, pkt: Uint8Array): OutResult {
  if (s.hardExpired) return { ok: false, reason: 'expired' };
  const next = s.seq + 1;
  // RFC 4303 §3.3.3: without ESN the counter MUST NOT cycle; the SA must be rekeyed
  if (!s.spec.esn && next > MAX_SEQ_32) return { ok: false, reason: 'seqOverflow' };
  s.seq = next;
  const hi = Math.floor(next / TWO32);
  const lo = next % TWO32;
  const version = (pkt[0] ?? 0) >>> 4;
  let payload: Uint8Array;
  let nh: number;
  if (s.spec.mode === 'tunnel') {
    // RFC 4303 §3.1.2: the whole inner packet is the payload
    payload = pkt;
    nh = version === 6 ? NextHeader.IPV6 : NextHeader.IPV4;
  } else {
    // RFC 4303 §3.1.1: ESP sits after the IP header and protects what follows it
    const hl = ipHeaderLength(pkt);
    if (hl > pkt.length) return { ok: false, reason: 'malformed' };
    nh = ipProtocol(pkt);
    payload = pkt.subarray(hl);
  }
  const suite = s.suite;
  const pad = espPadLength(payload.length, suite.blockSize);
  const trailer = new Uint8Array(pad + 2);
  writeEspTrailer(trailer, 0, pad, nh);
  const head = new Uint8Array(ESP_HEADER_LEN + suite.ivLength);
  encodeEspHeader(head, 0, s.spec.spi, lo);
  head.set(suite.iv(hi, lo), ESP_HEADER_LEN);
  const sealed = suite.seal(head.subarray(0, ESP_HEADER_LEN), head.subarray(ESP_HEADER_LEN), [payload, trailer], s.spec.esn ? hi : undefined);
  const chunks = [head, ...sealed];
  let length = 0;
  for (const c of chunks) length += c.length;
  return { ok: true, chunks, length };
}
