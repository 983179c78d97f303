/**
 * ESP packets out of a capture: IPv4 protocol 50 payloads and UDP port 4500
 * payloads that are not IKE (no non-ESP marker, RFC 3948 §2.1) or keepalives.
 * Ethernet and BSD-loopback link types are enough for the tcpdump fixtures.
 */
import { readFrames } from '../../helpers/pcap.js';

export interface CapturedEsp {
  readonly frame: number;
  readonly src: string;
  readonly dst: string;
  readonly udpEncap: boolean;
  readonly esp: Uint8Array;
}

function ipv4At(d: Uint8Array, linkType: number): number | undefined {
  if (linkType === 1) return d[12] === 0x08 && d[13] === 0x00 ? 14 : undefined;
  if (linkType === 0 || linkType === 108) return 4;
  if (linkType === 101 || linkType === 12 || linkType === 14) return 0;
  return undefined;
}

const ip = (b: Uint8Array, o: number): string => `${b[o] ?? 0}.${b[o + 1] ?? 0}.${b[o + 2] ?? 0}.${b[o + 3] ?? 0}`;

export function espPackets(file: Uint8Array): CapturedEsp[] {
  const out: CapturedEsp[] = [];
  readFrames(file).forEach((f, frame) => {
    const d = f.data;
    const off = ipv4At(d, f.linkType);
    if (off === undefined || d.length < off + 20 || ((d[off] ?? 0) >> 4) !== 4) return;
    const ihl = ((d[off] ?? 0) & 15) * 4;
    const total = ((d[off + 2] ?? 0) << 8) | (d[off + 3] ?? 0);
    const end = Math.min(off + total, d.length);
    const proto = d[off + 9] ?? 0;
    const src = ip(d, off + 12);
    const dst = ip(d, off + 16);
    const p = off + ihl;
    if (proto === 50) out.push({ frame, src, dst, udpEncap: false, esp: d.slice(p, end) });
    if (proto === 17 && end >= p + 8) {
      const dport = ((d[p + 2] ?? 0) << 8) | (d[p + 3] ?? 0);
      const payload = d.slice(p + 8, end);
      const marker = payload.length >= 4 && payload[0] === 0 && payload[1] === 0 && payload[2] === 0 && payload[3] === 0;
      const keepalive = payload.length === 1 && payload[0] === 0xff;
      if (dport === 4500 && !marker && !keepalive) out.push({ frame, src, dst, udpEncap: true, esp: payload });
    }
  });
  return out;
}
