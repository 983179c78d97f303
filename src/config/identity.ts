/**
 * IKE identities (RFC 7296 §3.5) as written in swanctl.conf, following
 * strongSwan's identification_create_from_string():
 *
 *   %any                     matches every peer (IdentitySpec.any)
 *   192.0.2.1 / 2001:db8::1  ID_IPV4_ADDR / ID_IPV6_ADDR (4 / 16 address bytes)
 *   @vpn.example.com         ID_FQDN "vpn.example.com" ('@' forces FQDN)
 *   vpn.example.com          ID_FQDN (a bare name that is not an IP and has no '@')
 *   user@example.com         ID_RFC822_ADDR (the whole string)
 *   @#0a0b                   ID_KEY_ID, hex bytes
 *   keyid:#0a0b / keyid:abc  ID_KEY_ID, hex bytes ('#') or the text itself
 *   ipv4: ipv6: fqdn: email: rfc822: userfqdn: keyid:   explicit type; "#hex" data allowed
 *
 * Distinguished names (anything with '=') are not supported yet.
 * Wildcards as in strongSwan: "*.example.com" (FQDN) and "*@example.com"
 * (RFC822) match any ID ending in the part after '*'.
 */
import { ConfigError } from '../util/errors.js';
import { IdType } from '../iana/ikev2.js';
import type { IdentitySpec } from './model.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './addr.js';
import type { SourcePos } from './proposals.js';

/** RFC 7296 does not bound IDs; 1 KiB is far beyond any real FQDN/e-mail/key id. */
const MAX_ID_BYTES = 1024;
/** identityToString() shows at most this many data bytes. */
const MAX_DISPLAY_BYTES = 128;

const enc = new TextEncoder();
const PREFIXES: Readonly<Record<string, number>> = {
  ipv4: IdType.ID_IPV4_ADDR,
  ipv6: IdType.ID_IPV6_ADDR,
  fqdn: IdType.ID_FQDN,
  email: IdType.ID_RFC822_ADDR,
  rfc822: IdType.ID_RFC822_ADDR,
  userfqdn: IdType.ID_RFC822_ADDR,
  keyid: IdType.ID_KEY_ID,
};
const UNSUPPORTED_PREFIXES = ['asn1dn', 'asn1gn', 'dns', 'md5', 'sha1', 'ldap', 'uri', 'oid', 'xmppaddr'];

function decodeHex(hex: string): Uint8Array | undefined {
  const h = hex.replace(/:/g, '');
  if (h.length === 0 || h.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(h)) return undefined;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Parse one identity; throws ConfigError naming the value and the valid forms. */
export function parseIdentity(text: string, where: SourcePos): IdentitySpec {
  const fail = (msg: string, hint?: string): ConfigError =>
    new ConfigError(msg, where.file, where.line, where.column, hint ?? 'valid forms: %any, 192.0.2.1, 2001:db8::1, @fqdn, fqdn, user@domain, @#hex, keyid:#hex, keyid:text');
  const t = text.trim();
  const shown = t.slice(0, 80);
  if (t === '') throw fail('empty identity');
  if (t.length > MAX_ID_BYTES * 2 + 16) throw fail(`identity longer than ${MAX_ID_BYTES} bytes`);
  const spec = (type: number, data: Uint8Array): IdentitySpec => {
    if (data.length === 0) throw fail(`identity '${shown}' has no data`);
    if (data.length > MAX_ID_BYTES) throw fail(`identity longer than ${MAX_ID_BYTES} bytes`);
    return { text: t, any: false, type, data };
  };
  if (t === '%any' || t === '%any6' || t === '*') return { text: t, any: true, type: 0, data: new Uint8Array(0) };

  const colon = t.indexOf(':');
  if (colon > 0) {
    const prefix = t.slice(0, colon).toLowerCase();
    const rest = t.slice(colon + 1);
    const type = PREFIXES[prefix];
    if (type !== undefined) return spec(type, typedData(type, rest, prefix, fail));
    if (UNSUPPORTED_PREFIXES.includes(prefix)) throw fail(`identity type '${prefix}:' is not supported yet`);
  }
  if (t.startsWith('@#')) {
    const d = decodeHex(t.slice(2));
    if (d === undefined) throw fail(`'${shown}' is not valid hex after '@#'`, 'write the key id as @#0a0b0c (an even number of hex digits)');
    return spec(IdType.ID_KEY_ID, d);
  }
  if (t.startsWith('@')) return spec(IdType.ID_FQDN, enc.encode(t.slice(1)));
  if (t.includes('=')) {
    throw fail(`distinguished-name identity '${shown}' is not supported yet`, 'use an FQDN (@host.example.com), an e-mail address or an IP address');
  }
  if (t.includes('@')) return spec(IdType.ID_RFC822_ADDR, enc.encode(t));
  const v4 = parseIpv4(t);
  if (v4 !== undefined) return spec(IdType.ID_IPV4_ADDR, v4);
  if (t.includes(':')) {
    const v6 = parseIpv6(t);
    if (v6 !== undefined) return spec(IdType.ID_IPV6_ADDR, v6);
    throw fail(`'${shown}' is neither an IPv6 address nor a known 'type:' prefix`, 'valid prefixes: ipv4: ipv6: fqdn: email: rfc822: userfqdn: keyid:');
  }
  return spec(IdType.ID_FQDN, enc.encode(t));
}

function typedData(type: number, rest: string, prefix: string, fail: (m: string, h?: string) => ConfigError): Uint8Array {
  if (rest.startsWith('#')) {
    const d = decodeHex(rest.slice(1));
    if (d === undefined) throw fail(`'${prefix}:${rest.slice(0, 60)}' is not valid hex after '#'`);
    return d;
  }
  if (type === IdType.ID_IPV4_ADDR || type === IdType.ID_IPV6_ADDR) {
    const d = type === IdType.ID_IPV4_ADDR ? parseIpv4(rest) : parseIpv6(rest);
    if (d === undefined) throw fail(`'${rest.slice(0, 60)}' is not a valid ${prefix} address`);
    return d;
  }
  return enc.encode(rest);
}

/** Printable ASCII without space: safe to show verbatim in logs. */
function isPlain(data: Uint8Array): boolean {
  for (const b of data) if (b < 0x21 || b > 0x7e) return false;
  return true;
}

/**
 * Display a received or configured ID. Safe on hostile bytes: anything that is
 * not plain printable ASCII (or a malformed address) is shown as hex, and long
 * data is truncated, so no control characters ever reach a log line.
 */
export function identityToString(type: number, data: Uint8Array): string {
  const shown = data.length > MAX_DISPLAY_BYTES ? data.subarray(0, MAX_DISPLAY_BYTES) : data;
  const more = data.length > MAX_DISPLAY_BYTES ? `...(${data.length} bytes)` : '';
  const hex = (prefix: string): string => `${prefix}#${toHex(shown)}${more}`;
  switch (type) {
    case 0:
      return '%any';
    case IdType.ID_IPV4_ADDR:
      return data.length === 4 ? formatIpv4(data) : hex('ipv4:');
    case IdType.ID_IPV6_ADDR:
      return data.length === 16 ? formatIpv6(data) : hex('ipv6:');
    case IdType.ID_FQDN:
      return isPlain(shown) && !shown.includes(0x40) ? `@${Buffer.from(shown).toString('latin1')}${more}` : hex('fqdn:');
    case IdType.ID_RFC822_ADDR:
      return isPlain(shown) ? `${Buffer.from(shown).toString('latin1')}${more}` : hex('rfc822:');
    case IdType.ID_KEY_ID:
      return hex('keyid:');
    case IdType.ID_NULL:
      return '%null';
    case IdType.ID_DER_ASN1_DN:
      return hex('asn1dn:');
    default:
      return hex(`id${Number.isInteger(type) ? type : '?'}:`);
  }
}

const lowerAscii = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b);

function equalBytes(a: Uint8Array, b: Uint8Array, caseless: boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (caseless ? lowerAscii(x) !== lowerAscii(y) : x !== y) return false;
  }
  return true;
}

/**
 * Does a received ID (type, data) match the configured one? %any matches all;
 * FQDNs and e-mail IDs compare case-insensitively (DNS names are, RFC 4343; strongSwan
 * does the same for RFC822 IDs); a leading '*' in an
 * FQDN or RFC822 spec matches any ID ending in the rest ("*.example.com"
 * needs at least one more label, "*@example.com" any local part).
 */
export function identityMatches(spec: IdentitySpec, type: number, data: Uint8Array): boolean {
  if (spec.any) return true;
  if (spec.type !== type) return false;
  const caseless = type === IdType.ID_FQDN || type === IdType.ID_RFC822_ADDR;
  if (caseless && spec.data[0] === 0x2a /* '*' */ && spec.data.length > 1) {
    const suffix = spec.data.subarray(1);
    if (data.length <= suffix.length) return false;
    return equalBytes(data.subarray(data.length - suffix.length), suffix, true);
  }
  return equalBytes(spec.data, data, caseless);
}
