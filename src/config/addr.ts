/**
 * Textual IP addresses <-> raw bytes, for identities (RFC 7296 §3.5) and
 * traffic selectors (RFC 7296 §3.13.1). Node has no public inet_pton, so this is
 * a small strict parser of our own. Never throws: returns undefined on bad input.
 *
 * Accepted forms:
 *   IPv4: four decimal octets "192.0.2.1" (no leading zeros beyond "0", no
 *         shorthand like "10.1", which inet_aton would accept but is surprising)
 *   IPv6: RFC 4291 §2.2 text forms, including "::" compression and a trailing
 *         dotted IPv4 ("::ffff:192.0.2.1"); zone ids ("%eth0") are rejected.
 */

/** Longest textual address we look at (a full IPv6 with embedded IPv4 is 45). */
const MAX_ADDR_TEXT = 64;

export function parseIpv4(text: string): Uint8Array | undefined {
  if (text.length > 15) return undefined;
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? '';
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > MAX_ADDR_TEXT) return undefined;
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const dbl = text.indexOf('::');
  if (dbl !== -1 && text.indexOf('::', dbl + 1) !== -1) return undefined;
  const head = dbl === -1 ? text : text.slice(0, dbl);
  const tail = dbl === -1 ? '' : text.slice(dbl + 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const words: number[] = [];
  const tailWords: number[] = [];
  const all = [...headGroups.map((g) => ({ g, t: false })), ...tailGroups.map((g) => ({ g, t: true }))];
  for (let i = 0; i < all.length; i++) {
    const item = all[i];
    if (item === undefined) return undefined;
    const target = item.t ? tailWords : words;
    if (item.g.includes('.')) {
      // RFC 4291 §2.2 form 3: only the very last group may be dotted IPv4
      if (i !== all.length - 1) return undefined;
      const v4 = parseIpv4(item.g);
      if (v4 === undefined) return undefined;
      target.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      continue;
    }
    if (!/^[0-9A-Fa-f]{1,4}$/.test(item.g)) return undefined;
    target.push(parseInt(item.g, 16));
  }
  const total = words.length + tailWords.length;
  if (dbl === -1 ? total !== 8 : total > 7) return undefined;
  const out = new Uint8Array(16);
  const put = (idx: number, w: number): void => {
    out[idx * 2] = (w >> 8) & 0xff;
    out[idx * 2 + 1] = w & 0xff;
  };
  words.forEach((w, i) => put(i, w));
  tailWords.forEach((w, i) => put(8 - tailWords.length + i, w));
  return out;
}

/** Either family; undefined when the text is not an IP address. */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

export function formatIpv4(b: Uint8Array): string {
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;
}

/** RFC 5952 §4 canonical text: lower case, longest run (>= 2) of zero words as "::". */
export function formatIpv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[i * 2] ?? 0) << 8) | (b[i * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (arr: number[]): string => arr.map((x) => x.toString(16)).join(':');
  if (bestStart === -1) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

export function formatIp(b: Uint8Array): string {
  return b.length === 16 ? formatIpv6(b) : formatIpv4(b);
}

/** Unsigned big-endian comparison of two equal-length addresses. */
export function compareAddr(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Network (first) and broadcast (last) address of addr/prefix. */
export function prefixRange(addr: Uint8Array, prefix: number): { start: Uint8Array; end: Uint8Array } {
  const start = new Uint8Array(addr.length);
  const end = new Uint8Array(addr.length);
  for (let i = 0; i < addr.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    const mask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    const v = addr[i] ?? 0;
    start[i] = v & mask;
    end[i] = (v & mask) | (~mask & 0xff);
  }
  return { start, end };
}

/** The prefix length if [start,end] is exactly one CIDR block, else undefined. */
export function rangeToPrefix(start: Uint8Array, end: Uint8Array): number | undefined {
  const bitsTotal = start.length * 8;
  for (let p = 0; p <= bitsTotal; p++) {
    const r = prefixRange(start, p);
    if (compareAddr(r.start, start) === 0 && compareAddr(r.end, end) === 0) return p;
  }
  return undefined;
}
