/**
 * Matching a packet address against swanctl-style local_addrs/remote_addrs
 * entries: "%any", "%any4", "%any6", literal IPs, CIDR subnets "a/len",
 * ranges "a-b", and hostnames (compared literally: policy does no DNS).
 */
import { parseIp, prefixRange, familyBits, type IpValue } from './ip.js';

/** Higher is more specific; NONE means no match. */
export const AddrMatch = { NONE: 0, ANY: 1, SUBNET: 2, EXACT: 3 } as const;
export type AddrMatch = (typeof AddrMatch)[keyof typeof AddrMatch];

export function matchAddressEntry(entry: string, addrText: string, addr: IpValue | undefined): AddrMatch {
  const e = entry.trim();
  if (e === '%any' || e === '') return AddrMatch.ANY;
  if (e === '%any4') return addr?.family === 4 ? AddrMatch.ANY : AddrMatch.NONE;
  if (e === '%any6') return addr?.family === 6 ? AddrMatch.ANY : AddrMatch.NONE;
  const slash = e.indexOf('/');
  if (slash >= 0) {
    const net = parseIp(e.slice(0, slash));
    const lenText = e.slice(slash + 1);
    if (net === undefined || addr === undefined || net.family !== addr.family || !/^[0-9]{1,3}$/.test(lenText)) return AddrMatch.NONE;
    const len = Number(lenText);
    if (len > familyBits(net.family)) return AddrMatch.NONE;
    const r = prefixRange(net.family, net.value, len);
    return addr.value >= r.start && addr.value <= r.end ? AddrMatch.SUBNET : AddrMatch.NONE;
  }
  const dash = e.indexOf('-');
  if (dash > 0) {
    const a = parseIp(e.slice(0, dash));
    const b = parseIp(e.slice(dash + 1));
    if (a !== undefined && b !== undefined) {
      if (addr === undefined || a.family !== addr.family || b.family !== addr.family) return AddrMatch.NONE;
      return addr.value >= a.value && addr.value <= b.value ? AddrMatch.SUBNET : AddrMatch.NONE;
    }
  }
  const ip = parseIp(e);
  if (ip !== undefined) return addr !== undefined && ip.family === addr.family && ip.value === addr.value ? AddrMatch.EXACT : AddrMatch.NONE;
  // a hostname: without resolving it we only accept the literal same text
  return e.toLowerCase() === addrText.toLowerCase() ? AddrMatch.EXACT : AddrMatch.NONE;
}

/** Best match of an address against a list; an empty list means %any. */
export function matchAddressList(entries: readonly string[], addrText: string): AddrMatch {
  if (entries.length === 0) return AddrMatch.ANY;
  const addr = parseIp(addrText);
  let best: AddrMatch = AddrMatch.NONE;
  for (const e of entries) {
    const m = matchAddressEntry(e, addrText, addr);
    if (m > best) best = m;
  }
  return best;
}
