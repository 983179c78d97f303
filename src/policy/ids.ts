/**
 * IKE identities (RFC 7296 §3.5): display and matching against configured
 * IdentitySpecs. Match levels follow strongSwan's ordering (none < any <
 * wildcard < perfect) so callers can rank configs and shared keys.
 */
import { IdType } from '../iana/ikev2.js';
import type { IdentitySpec } from '../config/model.js';
import { bytesToIp, formatIp } from './ip.js';

export interface IdLike {
  readonly type: number;
  readonly data: Uint8Array;
}

export const IdMatch = { NONE: 0, ANY: 1, WILDCARD: 2, PERFECT: 3 } as const;
export type IdMatch = (typeof IdMatch)[keyof typeof IdMatch];

const MAX_SHOWN = 128;

function hex(b: Uint8Array): string {
  return Buffer.from(b.subarray(0, MAX_SHOWN)).toString('hex') + (b.length > MAX_SHOWN ? `...(${b.length} bytes)` : '');
}

function printable(b: Uint8Array): string | undefined {
  if (b.length === 0) return undefined;
  for (const c of b) if (c < 0x20 || c > 0x7e) return undefined;
  // all bytes are printable ASCII, so latin1 decoding is the identity (and far cheaper than a spread)
  const s = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, MAX_SHOWN)).toString('latin1');
  return b.length > MAX_SHOWN ? `${s}...(${b.length} bytes)` : s;
}

/**
 * Safe display form of a (possibly hostile) identity: addresses formatted,
 * printable ASCII shown as text, anything else as hex; bounded length.
 */
export function idToString(type: number, data: Uint8Array): string {
  switch (type) {
    case IdType.ID_IPV4_ADDR:
    case IdType.ID_IPV6_ADDR: {
      const want = type === IdType.ID_IPV4_ADDR ? 4 : 16;
      const ip = data.length === want ? bytesToIp(data) : undefined;
      return ip === undefined ? `ip:${hex(data)}` : formatIp(ip.family, ip.value);
    }
    case IdType.ID_FQDN:
    case IdType.ID_RFC822_ADDR:
      return printable(data) ?? `${type === IdType.ID_FQDN ? 'fqdn' : 'email'}:${hex(data)}`;
    case IdType.ID_KEY_ID:
      return `keyid:${hex(data)}`;
    case IdType.ID_DER_ASN1_DN:
      return `dn:${hex(data)}`;
    case IdType.ID_NULL:
      return '%null';
    default:
      return `id${type}:${printable(data) ?? hex(data)}`;
  }
}

function lowerAscii(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

function bytesEqual(a: Uint8Array, b: Uint8Array, fold: boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (fold ? lowerAscii(x) !== lowerAscii(y) : x !== y) return false;
  }
  return true;
}

/**
 * '*' matches any run of bytes (case-insensitive). Iterative with one
 * backtrack point, so hostile input cannot cause exponential work.
 */
export function wildcardMatch(pattern: Uint8Array, text: Uint8Array): boolean {
  const STAR = 0x2a;
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === STAR) {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && lowerAscii(pc) === lowerAscii(text[t] ?? 0)) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === STAR) p++;
  return p === pattern.length;
}

/**
 * How well a configured identity matches a received one. FQDN and RFC822
 * compare case-insensitively (DNS names are case-insensitive, RFC 4343) and
 * may contain '*' wildcards ("@*.example.com", "*@example.com").
 */
export function matchIdentity(spec: IdentitySpec | undefined, id: IdLike): IdMatch {
  if (spec === undefined || spec.any) return IdMatch.ANY;
  if (spec.type !== id.type) return IdMatch.NONE;
  const textual = id.type === IdType.ID_FQDN || id.type === IdType.ID_RFC822_ADDR;
  if (bytesEqual(spec.data, id.data, textual)) return IdMatch.PERFECT;
  if (textual && spec.data.includes(0x2a) && wildcardMatch(spec.data, id.data)) return IdMatch.WILDCARD;
  return IdMatch.NONE;
}
