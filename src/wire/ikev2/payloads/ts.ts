/**
 * Traffic Selector payload body, TSi (44) and TSr (45) (RFC 7296 §3.13).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Traffic Selector (§3.13.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Ending Address*                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Addresses are 4 octets for TS_IPV4_ADDR_RANGE (selector length 16) and 16
 * for TS_IPV6_ADDR_RANGE (length 40). Other TS types (e.g. TS_FC_ADDR_RANGE,
 * RFC 4595) have a different layout and are rejected as malformed.
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { KeywayError } from '../../../util/errors.js';
import { TsType } from '../../../iana/ikev2.js';
import type { TrafficSelector, TsPayload } from '../types.js';
import { MAX_TRAFFIC_SELECTORS, WireCode, wireFail } from '../limits.js';

/** Address length for a TS type, or undefined if we do not handle that type. */
export function tsAddressLength(tsType: number): number | undefined {
  if (tsType === TsType.TS_IPV4_ADDR_RANGE) return 4;
  if (tsType === TsType.TS_IPV6_ADDR_RANGE) return 16;
  return undefined;
}

export function decodeTsBody(type: 44 | 45, body: Uint8Array, critical: boolean): TsPayload {
  const r = new ByteReader(body);
  const count = r.u8('TS count');
  r.skip(3, 'TS reserved'); // RESERVED: ignored on receipt
  if (count > MAX_TRAFFIC_SELECTORS) wireFail(WireCode.TOO_MANY, `${count} TS > ${MAX_TRAFFIC_SELECTORS}`, 0, type);
  const selectors: TrafficSelector[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.offset;
    const tsType = r.u8('TS type');
    const ipProtocol = r.u8('TS protocol');
    const length = r.u16('TS length');
    const addrLen = tsAddressLength(tsType);
    if (addrLen === undefined) wireFail(WireCode.VALUE, `unsupported TS type ${tsType}`, at, type);
    // §3.13.1: the selector length must match the address family of the type
    if (length !== 8 + 2 * addrLen) {
      wireFail(WireCode.LENGTH, `TS type ${tsType} with selector length ${length}`, at + 2, type);
    }
    const startPort = r.u16('TS start port');
    const endPort = r.u16('TS end port');
    const startAddress = r.bytes(addrLen, 'TS start address').slice();
    const endAddress = r.bytes(addrLen, 'TS end address').slice();
    selectors.push({ tsType, ipProtocol, startPort, endPort, startAddress, endAddress });
  }
  if (r.remaining !== 0) wireFail(WireCode.TRAILING, `${r.remaining} bytes after the last TS`, r.offset, type);
  return { type, critical, selectors };
}

export function encodeTsBody(p: TsPayload): Uint8Array {
  if (p.selectors.length > MAX_TRAFFIC_SELECTORS) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'too many TS');
  const w = new ByteWriter().u8(p.selectors.length).u8(0).u16(0);
  for (const ts of p.selectors) {
    const addrLen = tsAddressLength(ts.tsType);
    if (addrLen === undefined || ts.startAddress.length !== addrLen || ts.endAddress.length !== addrLen) {
      throw new KeywayError('IKE_ERR_ENCODE_INVALID', `TS type ${ts.tsType} with wrong address length`);
    }
    w.u8(ts.tsType).u8(ts.ipProtocol).u16(8 + 2 * addrLen).u16(ts.startPort).u16(ts.endPort);
    w.bytes(ts.startAddress).bytes(ts.endAddress);
  }
  return w.finish();
}
