/**
 * Traffic selectors as written in swanctl.conf local_ts/remote_ts
 * (RFC 7296 §3.13.1: an address range, an IP protocol and a port range):
 *
 *   dynamic                  the IKE SA's own address (or virtual IP), filled in later
 *   10.1.0.0/16, 2001:db8::/32   CIDR (host bits are masked off, as strongSwan does)
 *   10.1.0.1                 one address (/32 or /128)
 *   10.1.0.1-10.1.0.9        inclusive range (same family, start <= end)
 *   %any, 0.0.0.0/0 / %any6, ::/0   everything (IPv4 / IPv6)
 * each optionally followed by [proto/port]:
 *   [tcp/80]  [udp]  [17/1000-2000]  [icmp/8]  [%any/53]  [udp/opaque]
 * proto is a name (tcp udp icmp ipv6-icmp sctp gre) or a number 0-255; port is
 * a number, a range a-b, %any, or "opaque" (RFC 4301 §4.4.1: start 65535, end 0).
 * ICMP type/code are taken as plain port numbers (no RFC 4301 §4.4.1.1 packing).
 */
import { ConfigError } from '../util/errors.js';
import type { TsSpec } from './model.js';
import { compareAddr, formatIp, parseIpv4, parseIpv6, prefixRange, rangeToPrefix } from './addr.js';
import type { SourcePos } from './proposals.js';

const PROTOCOLS: Readonly<Record<string, number>> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  gre: 47,
  'ipv6-icmp': 58,
  icmpv6: 58,
  sctp: 132,
};
const PROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'icmp'],
  [6, 'tcp'],
  [17, 'udp'],
  [47, 'gre'],
  [58, 'ipv6-icmp'],
  [132, 'sctp'],
]);

const EMPTY = new Uint8Array(0);

function parseAddr(t: string): Uint8Array | undefined {
  return t.includes(':') ? parseIpv6(t) : parseIpv4(t);
}

function parseUint(t: string, max: number): number | undefined {
  if (!/^[0-9]{1,6}$/.test(t)) return undefined;
  const n = Number(t);
  return n <= max ? n : undefined;
}

export function parseTs(text: string, where: SourcePos): TsSpec {
  const fail = (msg: string, hint?: string): ConfigError =>
    new ConfigError(msg, where.file, where.line, where.column, hint);
  const t = text.trim();
  const shown = t.slice(0, 80);
  if (t.length > 200) throw fail('traffic selector longer than 200 characters');
  let base = t;
  let protocol = 0;
  let startPort = 0;
  let endPort = 65535;
  const bracket = t.indexOf('[');
  if (bracket !== -1) {
    if (!t.endsWith(']')) throw fail(`'${shown}': '[' without a closing ']' at the end`, 'write e.g. 10.0.0.0/8[tcp/80]');
    base = t.slice(0, bracket);
    const pp = parseProtoPort(t.slice(bracket + 1, -1));
    if (typeof pp === 'string') throw fail(`'${shown}': ${pp}`, 'write [proto] or [proto/port] or [proto/from-to], e.g. [tcp/80], [udp], [17/1000-2000]');
    ({ protocol, startPort, endPort } = pp);
  }
  const common = { text: t, protocol, startPort, endPort };
  const hint = 'valid forms: dynamic, %any, %any6, 10.1.0.0/16, 10.1.0.1, 10.1.0.1-10.1.0.9, 2001:db8::/32, each optionally with [proto/port]';
  if (base === 'dynamic') return { ...common, dynamic: true, family: 4, start: EMPTY, end: EMPTY };
  if (base === '%any') base = '0.0.0.0/0';
  if (base === '%any6') base = '::/0';
  if (base === '') throw fail(`traffic selector '${shown}' has no address`, hint);

  const slash = base.indexOf('/');
  const dash = base.indexOf('-');
  if (slash !== -1) {
    const addr = parseAddr(base.slice(0, slash));
    const bits = addr === undefined ? undefined : parseUint(base.slice(slash + 1), addr.length * 8);
    if (addr === undefined || bits === undefined) throw fail(`'${shown}' is not a valid subnet`, hint);
    const r = prefixRange(addr, bits);
    return { ...common, dynamic: false, family: addr.length === 4 ? 4 : 6, start: r.start, end: r.end };
  }
  if (dash !== -1) {
    const a = parseAddr(base.slice(0, dash));
    const b = parseAddr(base.slice(dash + 1));
    if (a === undefined || b === undefined) throw fail(`'${shown}' is not a valid address range`, hint);
    if (a.length !== b.length) throw fail(`'${shown}' mixes IPv4 and IPv6`, 'both ends of a range must be the same family');
    if (compareAddr(a, b) > 0) throw fail(`'${shown}': range start is after its end`, 'write the lower address first');
    return { ...common, dynamic: false, family: a.length === 4 ? 4 : 6, start: a, end: b };
  }
  const single = parseAddr(base);
  if (single === undefined) throw fail(`'${shown}' is not a valid traffic selector`, hint);
  return { ...common, dynamic: false, family: single.length === 4 ? 4 : 6, start: single, end: single.slice() };
}

function parseProtoPort(s: string): { protocol: number; startPort: number; endPort: number } | string {
  const slash = s.indexOf('/');
  const protoText = (slash === -1 ? s : s.slice(0, slash)).toLowerCase();
  const portText = slash === -1 ? '' : s.slice(slash + 1);
  let protocol: number | undefined;
  if (protoText === '' || protoText === '%any' || protoText === 'any') protocol = 0;
  else protocol = PROTOCOLS[protoText] ?? parseUint(protoText, 255);
  if (protocol === undefined) return `unknown protocol '${protoText.slice(0, 20)}' (use ${Object.keys(PROTOCOLS).join(' ')} or 0-255)`;
  if (portText === '' || portText === '%any' || portText === 'any') return { protocol, startPort: 0, endPort: 65535 };
  if (portText === 'opaque') return { protocol, startPort: 65535, endPort: 0 };
  const dash = portText.indexOf('-');
  const from = parseUint(dash === -1 ? portText : portText.slice(0, dash), 65535);
  const to = dash === -1 ? from : parseUint(portText.slice(dash + 1), 65535);
  if (from === undefined || to === undefined) return `invalid port '${portText.slice(0, 20)}' (use 0-65535, a range a-b, %any or opaque)`;
  if (from > to) return `port range ${from}-${to} is reversed`;
  return { protocol, startPort: from, endPort: to };
}

/** Canonical text, e.g. "10.1.0.0/16[tcp/80]", "10.1.0.1-10.1.0.9", "dynamic[udp]". */
export function formatTs(ts: TsSpec): string {
  let base: string;
  if (ts.dynamic) base = 'dynamic';
  else {
    const p = rangeToPrefix(ts.start, ts.end);
    base = p !== undefined ? `${formatIp(ts.start)}/${p}` : `${formatIp(ts.start)}-${formatIp(ts.end)}`;
  }
  const anyPort = ts.startPort === 0 && ts.endPort === 65535;
  if (ts.protocol === 0 && anyPort) return base;
  const proto = ts.protocol === 0 ? '%any' : (PROTO_NAMES.get(ts.protocol) ?? String(ts.protocol));
  if (anyPort) return `${base}[${proto}]`;
  const port =
    ts.startPort === 65535 && ts.endPort === 0
      ? 'opaque'
      : ts.startPort === ts.endPort
        ? String(ts.startPort)
        : `${ts.startPort}-${ts.endPort}`;
  return `${base}[${proto}/${port}]`;
}
