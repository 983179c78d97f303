/**
 * IP header helpers for transport mode (RFC 4303 §3.1.1): outbound, the IP
 * header is removed and ESP protects only the upper-layer payload; inbound,
 * a header is rebuilt around the decrypted payload. Because a NAT between the
 * peers may have changed the addresses the sender used in its TCP/UDP
 * checksum, the upper-layer checksum is recomputed after the rebuild
 * (RFC 3948 §3.1.2, last option).
 */
import { parseIp, ipToBytes } from '../../policy/ip.js';

/** Internet checksum (RFC 1071) of `parts`, as the 16-bit one's complement of the one's complement sum. */
export function inetChecksum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const p of parts) {
    let i = 0;
    if (odd !== undefined && p.length > 0) {
      sum += (odd << 8) | (p[0] ?? 0);
      odd = undefined;
      i = 1;
    }
    for (; i + 1 < p.length; i += 2) sum += ((p[i] ?? 0) << 8) | (p[i + 1] ?? 0);
    if (i < p.length) odd = p[i] ?? 0;
    // fold early so the sum never loses precision
    if (sum > 0x7fffffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Offset of the upper-layer payload in an IP packet (IPv4 IHL; IPv6 fixed header only). */
export function ipHeaderLength(pkt: Uint8Array): number {
  return ((pkt[0] ?? 0) >>> 4) === 4 ? ((pkt[0] ?? 0) & 0x0f) * 4 : 40;
}

/** Next Header / Protocol field of an IP packet (IPv6: the fixed header's). */
export function ipProtocol(pkt: Uint8Array): number {
  return ((pkt[0] ?? 0) >>> 4) === 4 ? (pkt[9] ?? 0) : (pkt[6] ?? 0);
}

function addrBytes(text: string): Uint8Array | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : ipToBytes(ip.family, ip.value);
}

const CSUM_OFFSET: Readonly<Record<number, number>> = { 6: 16, 17: 6, 58: 2 };

/** Recomputes the TCP/UDP/ICMPv6 checksum over the pseudo-header (RFC 793, 768, 8200 §8.1). */
function fixUpperChecksum(src: Uint8Array, dst: Uint8Array, proto: number, payload: Uint8Array): void {
  const at = CSUM_OFFSET[proto];
  if (at === undefined || payload.length < at + 2) return;
  // UDP over IPv4 with checksum 0 means "no checksum" (RFC 768): keep it
  if (proto === 17 && src.length === 4 && payload[at] === 0 && payload[at + 1] === 0) return;
  payload[at] = 0;
  payload[at + 1] = 0;
  const len = payload.length;
  const pseudo =
    src.length === 4
      ? Uint8Array.of(0, proto, len >>> 8, len & 0xff)
      : Uint8Array.of(len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, 0, 0, 0, proto);
  let c = inetChecksum([src, dst, pseudo, payload]);
  if (c === 0 && proto === 17) c = 0xffff; // RFC 768: a computed 0 is sent as all ones
  payload[at] = c >>> 8;
  payload[at + 1] = c & 0xff;
}

/**
 * A new IP packet around `payload` (which is modified in place for the
 * checksum fix). Returns undefined for unusable addresses.
 */
export function buildIpPacket(srcText: string, dstText: string, proto: number, payload: Uint8Array): Uint8Array | undefined {
  const src = addrBytes(srcText);
  const dst = addrBytes(dstText);
  if (src === undefined || dst === undefined || src.length !== dst.length) return undefined;
  fixUpperChecksum(src, dst, proto, payload);
  if (src.length === 4) {
    const total = 20 + payload.length;
    if (total > 0xffff) return undefined;
    const out = new Uint8Array(total);
    out[0] = 0x45;
    out[2] = total >>> 8;
    out[3] = total & 0xff;
    out[8] = 64; // TTL
    out[9] = proto;
    out.set(src, 12);
    out.set(dst, 16);
    const c = inetChecksum([out.subarray(0, 20)]);
    out[10] = c >>> 8;
    out[11] = c & 0xff;
    out.set(payload, 20);
    return out;
  }
  if (payload.length > 0xffff) return undefined;
  const out = new Uint8Array(40 + payload.length);
  out[0] = 0x60;
  out[4] = payload.length >>> 8;
  out[5] = payload.length & 0xff;
  out[6] = proto;
  out[7] = 64; // hop limit
  out.set(src, 8);
  out.set(dst, 24);
  out.set(payload, 40);
  return out;
}
