/**
 * Matching a packet address against swanctl-style local_addrs/remote_addrs
 * entries: "%any", "%any4", "%any6", literal IPs, CIDR subnets "a/len",
 * ranges "a-b", and hostnames (compared literally: policy does no DNS).
 *
 * Configured entries are parsed once per list object and kept in a WeakMap
 * (a reloaded config brings new arrays, so nothing goes stale); before, every
 * IKE_SA_INIT from an address pair not seen yet re-parsed every connection's
 * address text, which a flood from many (spoofed) sources hits each time.
 */
import { parseIp, prefixRange, familyBits, type IpFamily, type IpValue } from './ip.js';

/** Higher is more specific; NONE means no match. */
export const AddrMatch = { NONE: 0, ANY: 1, SUBNET: 2, EXACT: 3 } as const;
export type AddrMatch = (typeof AddrMatch)[keyof typeof AddrMatch];

/** One configured entry, parsed. */
export type AddrEntry =
  | { readonly kind: 'any'; readonly family: IpFamily | undefined }
  /** a CIDR subnet or an "a-b" range: inclusive bounds */
  | { readonly kind: 'span'; readonly family: IpFamily; readonly start: bigint; readonly end: bigint }
  | { readonly kind: 'ip'; readonly ip: IpValue }
  /** compared with the packet's address text, case-insensitively */
  | { readonly kind: 'name'; readonly lower: string }
  /** malformed: matches nothing */
  | { readonly kind: 'never' };

const NEVER: AddrEntry = { kind: 'never' };

export function parseAddressEntry(entry: string): AddrEntry {
  const e = entry.trim();
  if (e === '%any' || e === '') return { kind: 'any', family: undefined };
  if (e === '%any4') return { kind: 'any', family: 4 };
  if (e === '%any6') return { kind: 'any', family: 6 };
  const slash = e.indexOf('/');
  if (slash >= 0) {
    const net = parseIp(e.slice(0, slash));
    const lenText = e.slice(slash + 1);
    if (net === undefined || !/^[0-9]{1,3}$/.test(lenText)) return NEVER;
    const len = Number(lenText);
    if (len > familyBits(net.family)) return NEVER;
    const r = prefixRange(net.family, net.value, len);
    return { kind: 'span', family: net.family, start: r.start, end: r.end };
  }
  const dash = e.indexOf('-');
  if (dash > 0) {
    const a = parseIp(e.slice(0, dash));
    const b = parseIp(e.slice(dash + 1));
    if (a !== undefined && b !== undefined) {
      // a range across families can hold no address
      return a.family === b.family ? { kind: 'span', family: a.family, start: a.value, end: b.value } : NEVER;
    }
    // otherwise a hostname with a dash, or an address: fall through
  }
  const ip = parseIp(e);
  if (ip !== undefined) return { kind: 'ip', ip };
  return { kind: 'name', lower: e.toLowerCase() };
}

/** `addr` is parseIp(addrText), undefined when the text is not a literal address. */
export function matchParsedEntry(entry: AddrEntry, addrText: string, addr: IpValue | undefined): AddrMatch {
  switch (entry.kind) {
    case 'any':
      return entry.family === undefined || addr?.family === entry.family ? AddrMatch.ANY : AddrMatch.NONE;
    case 'span':
      return addr !== undefined && addr.family === entry.family && addr.value >= entry.start && addr.value <= entry.end
        ? AddrMatch.SUBNET
        : AddrMatch.NONE;
    case 'ip':
      return addr !== undefined && addr.family === entry.ip.family && addr.value === entry.ip.value ? AddrMatch.EXACT : AddrMatch.NONE;
    case 'name':
      // a hostname: without resolving it we only accept the literal same text
      return entry.lower === addrText.toLowerCase() ? AddrMatch.EXACT : AddrMatch.NONE;
    case 'never':
      return AddrMatch.NONE;
  }
}

export function matchAddressEntry(entry: string, addrText: string, addr: IpValue | undefined): AddrMatch {
  return matchParsedEntry(parseAddressEntry(entry), addrText, addr);
}

const parsedLists = new WeakMap<readonly string[], readonly AddrEntry[]>();

/** The parsed form of a configured list, parsed on first use. */
export function parsedAddressList(entries: readonly string[]): readonly AddrEntry[] {
  let p = parsedLists.get(entries);
  if (p === undefined) {
    p = entries.map(parseAddressEntry);
    parsedLists.set(entries, p);
  }
  return p;
}

/**
 * Best match of an address against a list; an empty list means %any.
 * `parsed` saves re-parsing `addrText` across lists. The list must not be
 * mutated after its first use (config lists never are).
 */
export function matchAddressList(entries: readonly string[], addrText: string, parsed?: IpValue): AddrMatch {
  if (entries.length === 0) return AddrMatch.ANY;
  const addr = parsed ?? parseIp(addrText);
  let best: AddrMatch = AddrMatch.NONE;
  for (const e of parsedAddressList(entries)) {
    const m = matchParsedEntry(e, addrText, addr);
    if (m > best) best = m;
  }
  return best;
}
