/**
 * Quick Mode client identities as traffic selectors (RFC 2409 §5.5, RFC 2407
 * §4.6.2): IDci/IDcr carry an address, subnet or range plus one IP protocol
 * and one port (0 = any).
 */
import { V1IdType } from '../iana/ikev1.js';
import type { IdPayload } from '../wire/ikev1/types.js';
import { V1Payload } from '../iana/ikev1.js';
import { bytesToIp, ipToBytes, maxAddress, prefixLengthOf, prefixRange } from './ip.js';
import type { TsRange } from './ts-range.js';

/** Selector -> ID payload; a port range other than any/single is widened to any. */
export function tsToId(r: TsRange): IdPayload {
  const v4 = r.family === 4;
  const port = r.startPort === r.endPort ? r.startPort : 0;
  const base = { type: V1Payload.ID, protocolId: r.protocol, port } as const;
  if (r.start === r.end) return { ...base, idType: v4 ? V1IdType.ID_IPV4_ADDR : V1IdType.ID_IPV6_ADDR, data: ipToBytes(r.family, r.start) };
  const plen = prefixLengthOf(r.family, r.start, r.end);
  if (plen !== undefined) {
    const bits = v4 ? 32 : 128;
    const mask = plen === 0 ? 0n : (maxAddress(r.family) >> BigInt(bits - plen)) << BigInt(bits - plen);
    return { ...base, idType: v4 ? V1IdType.ID_IPV4_ADDR_SUBNET : V1IdType.ID_IPV6_ADDR_SUBNET, data: new Uint8Array([...ipToBytes(r.family, r.start), ...ipToBytes(r.family, mask)]) };
  }
  return { ...base, idType: v4 ? V1IdType.ID_IPV4_ADDR_RANGE : V1IdType.ID_IPV6_ADDR_RANGE, data: new Uint8Array([...ipToBytes(r.family, r.start), ...ipToBytes(r.family, r.end)]) };
}

/** ID payload -> selector, undefined for identity types that are not addresses. */
export function idToTs(id: IdPayload): TsRange | undefined {
  const ports = id.port === 0 ? { startPort: 0, endPort: 65535 } : { startPort: id.port, endPort: id.port };
  const half = id.data.length / 2;
  switch (id.idType) {
    case V1IdType.ID_IPV4_ADDR:
    case V1IdType.ID_IPV6_ADDR: {
      const ip = bytesToIp(id.data);
      return ip === undefined ? undefined : { family: ip.family, start: ip.value, end: ip.value, protocol: id.protocolId, ...ports };
    }
    case V1IdType.ID_IPV4_ADDR_SUBNET:
    case V1IdType.ID_IPV6_ADDR_SUBNET: {
      const a = bytesToIp(id.data.subarray(0, half));
      const m = bytesToIp(id.data.subarray(half));
      if (a === undefined || m === undefined) return undefined;
      // mask -> prefix length; a non-contiguous mask is refused
      let len = 0;
      const bits = a.family === 4 ? 32 : 128;
      while (len < bits && ((m.value >> BigInt(bits - 1 - len)) & 1n) === 1n) len++;
      const { start, end } = prefixRange(a.family, a.value, len);
      if (((maxAddress(a.family) >> BigInt(len)) & m.value) !== 0n) return undefined;
      return { family: a.family, start, end, protocol: id.protocolId, ...ports };
    }
    case V1IdType.ID_IPV4_ADDR_RANGE:
    case V1IdType.ID_IPV6_ADDR_RANGE: {
      const s = bytesToIp(id.data.subarray(0, half));
      const e = bytesToIp(id.data.subarray(half));
      if (s === undefined || e === undefined || s.value > e.value) return undefined;
      return { family: s.family, start: s.value, end: e.value, protocol: id.protocolId, ...ports };
    }
    default:
      return undefined;
  }
}
