/**
 * IP address text <-> integer conversions for policy decisions (traffic
 * selectors, connection address matching). Pure: we do not use node:net so
 * that policy stays free of I/O modules.
 *
 * Addresses are held as bigint so that IPv4 and IPv6 ranges share one
 * interval arithmetic (RFC 7296 §3.13.1 selectors are inclusive ranges).
 */
import { KeywayError } from '../util/errors.js';

export type IpFamily = 4 | 6;

export interface IpValue {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** Largest address of a family: 2^32-1 or 2^128-1. */
export function maxAddress(family: IpFamily): bigint {
  return family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
}

export function familyBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    // RFC 4291 §2.2 form 3: a trailing dotted-quad IPv4 address
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return undefined;
      out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
    out.push(parseInt(p, 16));
  }
  return out;
}

function parseIpv6(text: string): bigint | undefined {
  if (text.length > 45) return undefined;
  const dbl = text.indexOf('::');
  let groups: number[];
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return undefined;
    const head = parseGroups(text.slice(0, dbl));
    const tail = parseGroups(text.slice(dbl + 2));
    if (head === undefined || tail === undefined) return undefined;
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    const all = parseGroups(text);
    if (all === undefined) return undefined;
    groups = all;
  }
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/** Parses a literal IPv4 or IPv6 address; undefined for anything else (hostnames included). */
export function parseIp(text: string): IpValue | undefined {
  if (text.includes(':')) {
    const v = parseIpv6(text);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseIpv4(text);
  return v === undefined ? undefined : { family: 4, value: v };
}

/** Like parseIp but throws (programming/config error, never wire input). */
export function parseIpOrThrow(text: string): IpValue {
  const ip = parseIp(text);
  if (ip === undefined) throw new KeywayError('POLICY_BAD_ADDRESS', `not an IP address: ${JSON.stringify(text.slice(0, 64))}`);
  return ip;
}

/** Formats an address; IPv6 in the RFC 5952 canonical (compressed, lower-case) form. */
export function formatIp(family: IpFamily, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => String(Number((value >> s) & 0xffn))).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952 §4.2: compress the longest run (>= 2) of zero groups, the first one on ties
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Big-endian bytes (4 or 16) to an address value; undefined on a bad length. */
export function bytesToIp(bytes: Uint8Array): IpValue | undefined {
  if (bytes.length !== 4 && bytes.length !== 16) return undefined;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return { family: bytes.length === 4 ? 4 : 6, value: v };
}

export function ipToBytes(family: IpFamily, value: bigint): Uint8Array {
  const len = family === 4 ? 4 : 16;
  const out = new Uint8Array(len);
  let v = value;
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * If [start, end] is exactly one CIDR prefix, its length; otherwise undefined.
 * A prefix of length p covers 2^(bits-p) addresses aligned on that size.
 */
export function prefixLengthOf(family: IpFamily, start: bigint, end: bigint): number | undefined {
  if (end < start) return undefined;
  const bits = familyBits(family);
  const size = end - start + 1n;
  // size must be a power of two and start aligned to it
  if ((size & (size - 1n)) !== 0n) return undefined;
  if ((start & (size - 1n)) !== 0n) return undefined;
  let hostBits = 0;
  while (1n << BigInt(hostBits) < size) hostBits++;
  return bits - hostBits;
}

/** First and last address of prefix/len. */
export function prefixRange(family: IpFamily, addr: bigint, len: number): { start: bigint; end: bigint } {
  const hostBits = BigInt(familyBits(family) - len);
  const mask = (1n << hostBits) - 1n;
  const start = addr & ~mask & maxAddress(family);
  return { start, end: start | mask };
}
