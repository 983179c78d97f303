/**
 * The selector fields of an IP packet (RFC 4301 §4.4.1.1: addresses, Next
 * Layer Protocol, ports) read from the packets the userspace dataplane sees
 * on its TUN device and after ESP decapsulation, and compiled selectors that
 * can be matched against them quickly (IPv4 as numbers, IPv6 as bigint).
 *
 *  IPv4 (RFC 791)                          IPv6 (RFC 8200)
 *  0      4      8             16       31  0      4         12        31
 *  +------+------+-------------+--------+   +------+---------+---------+
 *  |Ver=4 | IHL  |    TOS      | Total  |   |Ver=6 | Class   | Flow    |
 *  | Identification | Flags+FragOffset  |   | Payload Length | NH |Hop |
 *  | TTL  | Protocol |  Header Checksum |   | Source Address (16)      |
 *  | Source Address                     |   | Destination Address (16) |
 *  | Destination Address                |   +--------------------------+
 *  +------------------------------------+
 *
 * Ports come from the first 4 bytes of TCP/UDP/SCTP/UDP-Lite; for ICMP and
 * ICMPv6 the 16-bit value type << 8 | code stands in for both ports (RFC 4301
 * §4.4.1.3, RFC 7296 §3.13.1). Non-first fragments have no ports
 * (OPAQUE, they match only "any port" selectors).
 */
import type { Selector } from '../../ike/dataplane.js';
import { parseIp } from '../../policy/ip.js';
import { KernelError } from '../../util/errors.js';

export interface Flow {
  readonly family: 4 | 6;
  /** IPv4: uint32 as number; IPv6: bigint */
  readonly src: number | bigint;
  readonly dst: number | bigint;
  readonly proto: number;
  /** -1 when unknown (fragment, truncated, portless protocol) */
  readonly sport: number;
  readonly dport: number;
  /** total length of the IP packet as its header says */
  readonly length: number;
}

const PORT_PROTOS = new Set([6, 17, 132, 136]);
const ICMP_PROTOS = new Set([1, 58]);
/** IPv6 extension headers walked to find the upper layer (RFC 8200 §4) */
const V6_EXT = new Set([0, 43, 60]);
const MAX_V6_EXT = 8;

function u16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}
function u32(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
}
function v6(b: Uint8Array, o: number): bigint {
  let v = 0n;
  for (let i = 0; i < 16; i += 4) v = (v << 32n) | BigInt(u32(b, o + i));
  return v;
}

function ports(b: Uint8Array, off: number, end: number, proto: number): { sport: number; dport: number } {
  if (PORT_PROTOS.has(proto) && off + 4 <= end) return { sport: u16(b, off), dport: u16(b, off + 2) };
  if (ICMP_PROTOS.has(proto) && off + 2 <= end) {
    const tc = u16(b, off);
    return { sport: tc, dport: tc };
  }
  return { sport: -1, dport: -1 };
}

/** Parses an IP packet's selector fields; undefined when it is not a well-formed IPv4/IPv6 packet. */
export function parseFlow(pkt: Uint8Array): Flow | undefined {
  if (pkt.length < 1) return undefined;
  const version = (pkt[0] ?? 0) >>> 4;
  if (version === 4) {
    if (pkt.length < 20) return undefined;
    const ihl = ((pkt[0] ?? 0) & 0x0f) * 4;
    const total = u16(pkt, 2);
    if (ihl < 20 || total < ihl || total > pkt.length) return undefined;
    const proto = pkt[9] ?? 0;
    const fragOff = u16(pkt, 6) & 0x1fff;
    const p = fragOff === 0 ? ports(pkt, ihl, total, proto) : { sport: -1, dport: -1 };
    return { family: 4, src: u32(pkt, 12), dst: u32(pkt, 16), proto, ...p, length: total };
  }
  if (version === 6) {
    if (pkt.length < 40) return undefined;
    const total = 40 + u16(pkt, 4);
    if (total > pkt.length) return undefined;
    let nh = pkt[6] ?? 0;
    let off = 40;
    let fragmented = false;
    for (let i = 0; i < MAX_V6_EXT && (V6_EXT.has(nh) || nh === 44); i++) {
      if (off + 8 > total) return undefined;
      if (nh === 44) {
        fragmented = (u16(pkt, off + 2) & 0xfff8) !== 0;
        nh = pkt[off] ?? 0;
        off += 8;
      } else {
        const len = ((pkt[off + 1] ?? 0) + 1) * 8;
        nh = pkt[off] ?? 0;
        off += len;
      }
    }
    const p = fragmented ? { sport: -1, dport: -1 } : ports(pkt, off, total, nh);
    return { family: 6, src: v6(pkt, 8), dst: v6(pkt, 24), proto: nh, ...p, length: total };
  }
  return undefined;
}

/** A selector ready for matching. */
export interface CompiledSelector {
  readonly family: 4 | 6;
  readonly start: number | bigint;
  readonly end: number | bigint;
  readonly proto: number;
  readonly startPort: number;
  readonly endPort: number;
  /** number of addresses covered, to order policies most specific first */
  readonly span: bigint;
}

export function compileSelector(s: Selector): CompiledSelector {
  const a = parseIp(s.startAddress);
  const b = parseIp(s.endAddress);
  if (a === undefined || b === undefined || a.family !== s.family || b.family !== s.family || a.value > b.value) {
    throw new KernelError('KERNEL_SELECTOR', `invalid selector ${s.startAddress}-${s.endAddress}`);
  }
  const conv = (v: bigint): number | bigint => (s.family === 4 ? Number(v) : v);
  return {
    family: s.family,
    start: conv(a.value),
    end: conv(b.value),
    proto: s.protocol,
    startPort: s.startPort,
    endPort: s.endPort,
    span: b.value - a.value + 1n,
  };
}

function portOk(sel: CompiledSelector, port: number): boolean {
  if (sel.startPort === 0 && sel.endPort === 65535) return true;
  // RFC 4301 §4.4.1.1 OPAQUE: a packet without ports matches only ANY
  return port >= 0 && port >= sel.startPort && port <= sel.endPort;
}

/** Does (addr, port) of a packet with protocol `proto` fall in `sel`? */
export function selectorMatches(sel: CompiledSelector, family: 4 | 6, addr: number | bigint, proto: number, port: number): boolean {
  if (sel.family !== family) return false;
  if (addr < sel.start || addr > sel.end) return false;
  if (sel.proto !== 0 && sel.proto !== proto) return false;
  return portOk(sel, port);
}
