/**
 * Traffic selectors as integer ranges (RFC 7296 §3.13.1), conversions from
 * the wire and from the config model, and strongSwan-style formatting.
 *
 *  TS_IPV4_ADDR_RANGE / TS_IPV6_ADDR_RANGE on the wire:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |   TS Type     |IP Protocol ID*|       Selector Length         |
 *  +---------------+---------------+-------------------------------+
 *  |           Start Port*         |           End Port*           |
 *  +-------------------------------+-------------------------------+
 *  ~                         Starting Address*                     ~
 *  ~                         Ending Address*                       ~
 *  +---------------------------------------------------------------+
 *
 * Protocol 0 means any protocol; ports 0..65535 mean any port; the special
 * pair start=65535, end=0 means OPAQUE ports (§3.13.1).
 */
import { TsType } from '../iana/ikev2.js';
import type { TsSpec } from '../config/model.js';
import type { TrafficSelector } from '../wire/ikev2/types.js';
import { KeywayError, WireError } from '../util/errors.js';
import { bytesToIp, formatIp, ipToBytes, parseIpOrThrow, prefixLengthOf, type IpFamily } from './ip.js';

export interface TsRange {
  readonly family: IpFamily;
  /** inclusive address range */
  readonly start: bigint;
  readonly end: bigint;
  /** IP protocol, 0 = any */
  readonly protocol: number;
  /** inclusive port range; 0..65535 = any; 65535..0 = OPAQUE */
  readonly startPort: number;
  readonly endPort: number;
}

export const OPAQUE_START = 65535;
export const OPAQUE_END = 0;

export function isOpaquePorts(r: Pick<TsRange, 'startPort' | 'endPort'>): boolean {
  return r.startPort === OPAQUE_START && r.endPort === OPAQUE_END;
}

export function isAnyPort(r: Pick<TsRange, 'startPort' | 'endPort'>): boolean {
  return r.startPort === 0 && r.endPort === 65535;
}

/**
 * Wire selector -> range. Throws WireError for types we cannot represent
 * (TS_FC_ADDR_RANGE, unknown) or address lengths that do not fit the type.
 */
export function tsFromWire(ts: TrafficSelector): TsRange {
  const family: IpFamily | undefined = ts.tsType === TsType.TS_IPV4_ADDR_RANGE ? 4 : ts.tsType === TsType.TS_IPV6_ADDR_RANGE ? 6 : undefined;
  if (family === undefined) throw new WireError('TS_UNSUPPORTED_TYPE', `unsupported traffic selector type ${ts.tsType}`, 0, 44);
  const len = family === 4 ? 4 : 16;
  const s = ts.startAddress.length === len ? bytesToIp(ts.startAddress) : undefined;
  const e = ts.endAddress.length === len ? bytesToIp(ts.endAddress) : undefined;
  if (s === undefined || e === undefined) throw new WireError('TS_BAD_ADDRESS', 'traffic selector address length does not match its type', 0, 44);
  const port = (p: number): number => (Number.isInteger(p) && p >= 0 && p <= 65535 ? p : -1);
  const sp = port(ts.startPort);
  const ep = port(ts.endPort);
  const proto = Number.isInteger(ts.ipProtocol) && ts.ipProtocol >= 0 && ts.ipProtocol <= 255 ? ts.ipProtocol : -1;
  if (sp < 0 || ep < 0 || proto < 0) throw new WireError('TS_BAD_FIELD', 'traffic selector port or protocol out of range', 0, 44);
  return { family, start: s.value, end: e.value, protocol: proto, startPort: sp, endPort: ep };
}

/**
 * All selectors we understand, in order. RFC 7296 §3.13.1 lets a list mix
 * types; ones we cannot represent (e.g. TS_FC_ADDR_RANGE, RFC 4595) are
 * skipped rather than failing the whole list.
 */
export function tsListFromWire(list: readonly TrafficSelector[]): TsRange[] {
  const out: TsRange[] = [];
  for (const ts of list) {
    try {
      out.push(tsFromWire(ts));
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
    }
  }
  return out;
}

export function tsToWire(r: TsRange): TrafficSelector {
  return {
    tsType: r.family === 4 ? TsType.TS_IPV4_ADDR_RANGE : TsType.TS_IPV6_ADDR_RANGE,
    ipProtocol: r.protocol,
    startPort: r.startPort,
    endPort: r.endPort,
    startAddress: ipToBytes(r.family, r.start),
    endAddress: ipToBytes(r.family, r.end),
  };
}

/**
 * Config selector -> range. "dynamic" stands for the SA's own address
 * (or the assigned virtual IP): a single-host range of `dynamicAddress`.
 */
export function resolveTs(spec: TsSpec, dynamicAddress: string): TsRange {
  const ports = { protocol: spec.protocol, startPort: spec.startPort, endPort: spec.endPort };
  if (spec.dynamic) {
    const ip = parseIpOrThrow(dynamicAddress);
    return { family: ip.family, start: ip.value, end: ip.value, ...ports };
  }
  const s = bytesToIp(spec.start);
  const e = bytesToIp(spec.end);
  if (s === undefined || e === undefined || s.family !== spec.family || e.family !== spec.family) {
    throw new KeywayError('POLICY_BAD_TS', `traffic selector ${JSON.stringify(spec.text)} has bad addresses`);
  }
  return { family: spec.family, start: s.value, end: e.value, ...ports };
}

const PROTO_NAMES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp', 132: 'sctp' };

/** "10.1.0.0/16", "10.1.0.1..10.1.0.9[tcp/80]", "192.0.2.1/32[udp/1000-2000]", "::/0[tcp]" */
export function formatTs(r: TsRange): string {
  const plen = prefixLengthOf(r.family, r.start, r.end);
  const addr =
    plen !== undefined ? `${formatIp(r.family, r.start)}/${plen}` : `${formatIp(r.family, r.start)}..${formatIp(r.family, r.end)}`;
  if (r.protocol === 0 && isAnyPort(r)) return addr;
  const proto = r.protocol === 0 ? 'any' : (PROTO_NAMES[r.protocol] ?? String(r.protocol));
  let ports = '';
  if (isOpaquePorts(r)) ports = '/OPAQUE';
  else if (!isAnyPort(r)) ports = r.startPort === r.endPort ? `/${r.startPort}` : `/${r.startPort}-${r.endPort}`;
  return `${addr}[${proto}${ports}]`;
}
