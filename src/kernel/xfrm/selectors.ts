/**
 * Traffic selectors (RFC 7296 §3.13.1: address RANGES and port RANGES) to
 * XFRM selectors (address PREFIX plus port VALUE/MASK). A range that is not
 * one prefix becomes the minimal set of prefixes covering it exactly
 * (RFC 4301 §4.4.1.1 leaves the SPD representation to the implementation);
 * port ranges become aligned power-of-two blocks, since the kernel matches
 * `(port ^ sel.port) & sel.port_mask == 0` (net/xfrm/xfrm_policy.c).
 */
import { KernelError } from '../../util/errors.js';
import { familyBits, formatIp, parseIpOrThrow, type IpFamily } from '../../policy/ip.js';
import type { Selector } from '../../ike/dataplane.js';
import type { XfrmSelector } from './xfrm-structs.js';

/** more than this many kernel selectors for one Keyway policy is refused */
export const MAX_EXPANSION = 64;

export interface Prefix {
  readonly address: string;
  readonly length: number;
}

/** The exact CIDR cover of [start, end]: largest aligned blocks first. */
export function rangeToPrefixes(family: IpFamily, startText: string, endText: string, max = MAX_EXPANSION): Prefix[] {
  const bits = familyBits(family);
  let start = parseIpOrThrow(startText).value;
  const end = parseIpOrThrow(endText).value;
  if (end < start) throw new KernelError('KERNEL_SELECTOR', `address range ${startText}-${endText} is empty`);
  const out: Prefix[] = [];
  while (start <= end) {
    // the largest block aligned at `start` that does not pass `end`
    let host = 0;
    while (host < bits) {
      const size = 1n << BigInt(host + 1);
      if ((start & (size - 1n)) !== 0n || start + size - 1n > end) break;
      host++;
    }
    out.push({ address: formatIp(family, start), length: bits - host });
    if (out.length > max) throw new KernelError('KERNEL_SELECTOR', `address range ${startText}-${endText} needs more than ${max} kernel selectors`);
    start += 1n << BigInt(host);
  }
  return out;
}

export interface PortBlock {
  readonly port: number;
  readonly mask: number;
}

/** Port range to value/mask blocks; 0-65535 is the wildcard (mask 0). */
export function portRangeToBlocks(start: number, end: number, max = MAX_EXPANSION): PortBlock[] {
  if (start === 0 && end === 65535) return [{ port: 0, mask: 0 }];
  if (end < start || start < 0 || end > 65535) throw new KernelError('KERNEL_SELECTOR', `port range ${start}-${end} is invalid`);
  const out: PortBlock[] = [];
  let p = start;
  while (p <= end) {
    let host = 0;
    while (host < 16) {
      const size = 1 << (host + 1);
      if ((p & (size - 1)) !== 0 || p + size - 1 > end) break;
      host++;
    }
    out.push({ port: p, mask: (0xffff << host) & 0xffff });
    if (out.length > max) throw new KernelError('KERNEL_SELECTOR', `port range ${start}-${end} needs more than ${max} kernel selectors`);
    p += 1 << host;
  }
  return out;
}

/**
 * All kernel selectors for traffic from `src` to `dst` (a Keyway policy may
 * expand to several). For outbound policies src is the local TS; for inbound
 * and forward policies it is the remote TS (RFC 4301 §4.4.1).
 */
export function kernelSelectors(src: Selector, dst: Selector): XfrmSelector[] {
  if (src.family !== dst.family) throw new KernelError('KERNEL_SELECTOR', 'traffic selectors of different families');
  const proto = src.protocol !== 0 ? src.protocol : dst.protocol;
  const out: XfrmSelector[] = [];
  for (const s of rangeToPrefixes(src.family, src.startAddress, src.endAddress)) {
    for (const d of rangeToPrefixes(dst.family, dst.startAddress, dst.endAddress)) {
      for (const sp of portRangeToBlocks(src.startPort, src.endPort)) {
        for (const dp of portRangeToBlocks(dst.startPort, dst.endPort)) {
          out.push({
            family: src.family,
            saddr: s.address,
            prefixlenS: s.length,
            daddr: d.address,
            prefixlenD: d.length,
            sport: sp.port,
            sportMask: sp.mask,
            dport: dp.port,
            dportMask: dp.mask,
            proto,
            ifindex: 0,
            user: 0,
          });
          if (out.length > MAX_EXPANSION) throw new KernelError('KERNEL_SELECTOR', `traffic selectors need more than ${MAX_EXPANSION} kernel policies`);
        }
      }
    }
  }
  return out;
}

/** Keyway's default policy priority base; lower values win in the kernel. */
export const PRIORITY_BASE = 200_000;

/**
 * More specific selectors get a smaller (better) priority, so a narrow
 * policy is consulted before a broad one regardless of install order:
 *   priority = BASE - 4 * (prefixlen_s + prefixlen_d) - 2 * [proto set] - [ports set]
 */
export function defaultPriority(sel: XfrmSelector): number {
  const ports = (sel.sportMask !== 0 ? 1 : 0) + (sel.dportMask !== 0 ? 1 : 0);
  return PRIORITY_BASE - 4 * (sel.prefixlenS + sel.prefixlenD) - (sel.proto !== 0 ? 2 : 0) - ports;
}

/** The kernel selector back to a Keyway range selector (for ACQUIRE events). */
export function toKeywaySelector(family: IpFamily, address: string, prefixLen: number, proto: number, port: number, mask: number): Selector {
  const bits = familyBits(family);
  const v = parseIpOrThrow(address).value;
  const hostBits = BigInt(bits - Math.min(prefixLen, bits));
  const hostMask = (1n << hostBits) - 1n;
  const start = v & ~hostMask;
  const portAny = mask === 0;
  const portSpan = portAny ? 0xffff : (~mask & 0xffff);
  return {
    family,
    startAddress: formatIp(family, start),
    endAddress: formatIp(family, start | hostMask),
    protocol: proto,
    startPort: portAny ? 0 : port & mask,
    endPort: portAny ? 65535 : (port & mask) | portSpan,
  };
}
