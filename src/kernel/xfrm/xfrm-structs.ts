/**
 * Fixed XFRM structs (uapi/linux/xfrm.h) to and from bytes. Host-order
 * (little-endian) integers except the __be fields (SPI, ports), which are in
 * network order. Offsets are those of LP64 Linux (docs/xfrm.md lists them).
 *
 * struct xfrm_selector (56):
 *   0 daddr[16] | 16 saddr[16] | 32 dport(be16) dport_mask(be16) sport(be16) sport_mask(be16)
 *  40 family(u16) prefixlen_d(u8) prefixlen_s(u8) | 44 proto(u8) pad[3] | 48 ifindex(s32) | 52 user(u32)
 * struct xfrm_id (24): 0 daddr[16] | 16 spi(be32) | 20 proto(u8) pad[3]
 * struct xfrm_lifetime_cfg (64): 8 x u64  soft/hard byte, soft/hard packet, soft/hard add, soft/hard use
 * struct xfrm_lifetime_cur (32): 4 x u64  bytes, packets, add_time, use_time
 */
import { KernelError, WireError } from '../../util/errors.js';
import { bytesToIp, formatIp, ipToBytes, parseIp } from '../../policy/ip.js';
import { AF_INET, AF_INET6, Size, XFRM_INF } from './xfrm-const.js';
import { ERR_NETLINK } from './netlink.js';

export type Family = 4 | 6;

export function afOf(family: Family): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/** 4 / 6 for AF_INET / AF_INET6, undefined for anything else */
export function familyOfAf(af: number): Family | undefined {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined;
}

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Throws unless `b` holds at least `n` octets: every decoder checks before reading. */
export function need(b: Uint8Array, n: number, what: string): void {
  if (b.length < n) throw new WireError(ERR_NETLINK, `${what}: need ${n} octets, have ${b.length}`, 0);
}

/** xfrm_address_t: IPv4 in the first 4 octets, IPv6 in all 16. Throws on a non-literal. */
export function writeAddress(out: Uint8Array, off: number, family: Family, text: string): void {
  const ip = parseIp(text);
  if (ip === undefined || ip.family !== family) throw new KernelError('KERNEL_ADDRESS', `not an IPv${family} address: ${text}`);
  out.set(ipToBytes(family, ip.value), off);
}

export function readAddress(b: Uint8Array, off: number, family: Family | undefined): string {
  if (family === undefined) return '';
  const ip = bytesToIp(b.subarray(off, off + (family === 4 ? 4 : 16)));
  return ip === undefined ? '' : formatIp(family, ip.value);
}

export interface XfrmSelector {
  /** undefined = AF_UNSPEC (matches any family) */
  readonly family: Family | undefined;
  readonly daddr: string;
  readonly saddr: string;
  readonly prefixlenD: number;
  readonly prefixlenS: number;
  readonly dport: number;
  readonly dportMask: number;
  readonly sport: number;
  readonly sportMask: number;
  readonly proto: number;
  readonly ifindex: number;
  readonly user: number;
}

/** The all-wildcard selector of a family (matches every packet of it). */
export function anySelector(family: Family): XfrmSelector {
  const zero = family === 4 ? '0.0.0.0' : '::';
  return { family, daddr: zero, saddr: zero, prefixlenD: 0, prefixlenS: 0, dport: 0, dportMask: 0, sport: 0, sportMask: 0, proto: 0, ifindex: 0, user: 0 };
}

export function writeSelector(out: Uint8Array, off: number, s: XfrmSelector): void {
  const v = view(out);
  if (s.family !== undefined) {
    writeAddress(out, off, s.family, s.daddr);
    writeAddress(out, off + 16, s.family, s.saddr);
  }
  v.setUint16(off + 32, s.dport, false);
  v.setUint16(off + 34, s.dportMask, false);
  v.setUint16(off + 36, s.sport, false);
  v.setUint16(off + 38, s.sportMask, false);
  v.setUint16(off + 40, s.family === undefined ? 0 : afOf(s.family), true);
  out[off + 42] = s.prefixlenD;
  out[off + 43] = s.prefixlenS;
  out[off + 44] = s.proto;
  v.setInt32(off + 48, s.ifindex, true);
  v.setUint32(off + 52, s.user, true);
}

export function readSelector(b: Uint8Array, off: number): XfrmSelector {
  need(b, off + Size.selector, 'xfrm_selector');
  const v = view(b);
  const family = familyOfAf(v.getUint16(off + 40, true));
  return {
    family,
    daddr: readAddress(b, off, family),
    saddr: readAddress(b, off + 16, family),
    dport: v.getUint16(off + 32, false),
    dportMask: v.getUint16(off + 34, false),
    sport: v.getUint16(off + 36, false),
    sportMask: v.getUint16(off + 38, false),
    prefixlenD: b[off + 42] ?? 0,
    prefixlenS: b[off + 43] ?? 0,
    proto: b[off + 44] ?? 0,
    ifindex: v.getInt32(off + 48, true),
    user: v.getUint32(off + 52, true),
  };
}

export interface LifetimeCfg {
  readonly softBytes: bigint;
  readonly hardBytes: bigint;
  readonly softPackets: bigint;
  readonly hardPackets: bigint;
  readonly softAddSeconds: bigint;
  readonly hardAddSeconds: bigint;
  readonly softUseSeconds: bigint;
  readonly hardUseSeconds: bigint;
}

/** No limits: byte/packet limits XFRM_INF, time limits 0 (= none). */
export const NO_LIMITS: LifetimeCfg = {
  softBytes: XFRM_INF,
  hardBytes: XFRM_INF,
  softPackets: XFRM_INF,
  hardPackets: XFRM_INF,
  softAddSeconds: 0n,
  hardAddSeconds: 0n,
  softUseSeconds: 0n,
  hardUseSeconds: 0n,
};

const LFT_ORDER = ['softBytes', 'hardBytes', 'softPackets', 'hardPackets', 'softAddSeconds', 'hardAddSeconds', 'softUseSeconds', 'hardUseSeconds'] as const;

export function writeLifetimeCfg(out: Uint8Array, off: number, l: LifetimeCfg): void {
  const v = view(out);
  LFT_ORDER.forEach((k, i) => v.setBigUint64(off + i * 8, l[k], true));
}

export function readLifetimeCfg(b: Uint8Array, off: number): LifetimeCfg {
  need(b, off + Size.lifetimeCfg, 'xfrm_lifetime_cfg');
  const v = view(b);
  const r = Object.fromEntries(LFT_ORDER.map((k, i) => [k, v.getBigUint64(off + i * 8, true)]));
  return r as unknown as LifetimeCfg;
}

export interface LifetimeCur {
  readonly bytes: bigint;
  readonly packets: bigint;
  /** seconds since the epoch */
  readonly addTime: bigint;
  readonly useTime: bigint;
}

export function readLifetimeCur(b: Uint8Array, off: number): LifetimeCur {
  need(b, off + Size.lifetimeCur, 'xfrm_lifetime_cur');
  const v = view(b);
  return {
    bytes: v.getBigUint64(off, true),
    packets: v.getBigUint64(off + 8, true),
    addTime: v.getBigUint64(off + 16, true),
    useTime: v.getBigUint64(off + 24, true),
  };
}

/** struct xfrm_id: the SA's identity (daddr, SPI, protocol) */
export interface XfrmId {
  readonly daddr: string;
  readonly spi: number;
  readonly proto: number;
}

export function writeId(out: Uint8Array, off: number, family: Family | undefined, id: XfrmId): void {
  if (family !== undefined && id.daddr !== '') writeAddress(out, off, family, id.daddr);
  view(out).setUint32(off + 16, id.spi >>> 0, false);
  out[off + 20] = id.proto;
}

export function readId(b: Uint8Array, off: number, family: Family | undefined): XfrmId {
  need(b, off + Size.id, 'xfrm_id');
  return { daddr: readAddress(b, off, family), spi: view(b).getUint32(off + 16, false), proto: b[off + 20] ?? 0 };
}
