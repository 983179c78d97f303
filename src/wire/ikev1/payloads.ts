/**
 * Bodies of the simple ISAKMP payloads (after the 4-octet generic header).
 *
 * KE, HASH, SIG, Nonce, Vendor ID, NAT-D (RFC 2408 §3.7, §3.11-3.13, §3.16; RFC 3947 §3.2):
 *   ~ data ~
 * ID (RFC 2408 §3.8, IPsec DOI RFC 2407 §4.6.2):
 *   !   ID Type     !  Protocol ID  !             Port              !  ~ Identification Data ~
 * CERT / CR (§3.9, §3.10):
 *   ! Cert Encoding !  ~ Certificate Data / Certificate Authority ~
 * Notification (§3.14):
 *   !              Domain of Interpretation  (DOI)                  !
 *   !  Protocol-ID  !   SPI Size    !      Notify Message Type      !
 *   ~                Security Parameter Index (SPI)                 ~
 *   ~                       Notification Data                       ~
 * Delete (§3.15):
 *   !              Domain of Interpretation  (DOI)                  !
 *   !  Protocol-Id  !   SPI Size    !           # of SPIs           !
 *   ~               Security Parameter Index(es) (SPI)              ~
 * NAT-OA (RFC 3947 §5.1):
 *   !    ID Type    !   RESERVED    !            RESERVED           !  ~ IPv4 (4) or IPv6 (16) address ~
 */
import { V1IdType, V1Payload } from '../../iana/ikev1.js';
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import { MAX_V1_DELETE_SPIS, MAX_V1_NONCE, MIN_V1_NONCE, WireCode, wireFail } from './limits.js';
import { decodeSa, encodeSa } from './sa.js';
import type { IsakmpPayload } from './types.js';

const P = V1Payload;

function decodeId(body: Uint8Array): IsakmpPayload {
  const r = new ByteReader(body);
  const idType = r.u8('ID type');
  const protocolId = r.u8('ID protocol');
  const port = r.u16('ID port');
  const data = r.rest().slice();
  const want: Readonly<Record<number, number>> = {
    [V1IdType.ID_IPV4_ADDR]: 4,
    [V1IdType.ID_IPV4_ADDR_SUBNET]: 8,
    [V1IdType.ID_IPV4_ADDR_RANGE]: 8,
    [V1IdType.ID_IPV6_ADDR]: 16,
    [V1IdType.ID_IPV6_ADDR_SUBNET]: 32,
    [V1IdType.ID_IPV6_ADDR_RANGE]: 32,
  };
  // Address identities have fixed sizes (RFC 2407 §4.6.2.2-4.6.2.9); tcpdump's
  // ikev1_id_ipv6_addr_subnet-oobr shows what happens when a parser trusts them.
  const n = want[idType];
  if (n !== undefined && data.length !== n) wireFail(WireCode.LENGTH, `ID type ${idType} needs ${n} bytes, has ${data.length}`, 4, P.ID);
  return { type: P.ID, idType, protocolId, port, data };
}

function decodeNotify(body: Uint8Array): IsakmpPayload {
  const r = new ByteReader(body);
  const doi = r.u32('DOI');
  const protocolId = r.u8('protocol id');
  const spiSize = r.u8('SPI size');
  const notifyType = r.u16('notify type');
  const spi = r.bytes(spiSize, 'SPI').slice();
  return { type: P.N, doi, protocolId, notifyType, spi, data: r.rest().slice() };
}

function decodeDelete(body: Uint8Array): IsakmpPayload {
  const r = new ByteReader(body);
  const doi = r.u32('DOI');
  const protocolId = r.u8('protocol id');
  const spiSize = r.u8('SPI size');
  const count = r.u16('number of SPIs');
  if (count > MAX_V1_DELETE_SPIS) wireFail(WireCode.TOO_MANY, `${count} SPIs in a Delete payload`, 6, P.D);
  if (spiSize === 0 && count > 0) wireFail(WireCode.SPI_SIZE, 'Delete payload with SPI size 0', 5, P.D);
  // check the whole array length before slicing anything (iked validate_*)
  r.need(spiSize * count, 'SPIs');
  const spis: Uint8Array[] = [];
  for (let i = 0; i < count; i++) spis.push(r.bytes(spiSize).slice());
  if (r.remaining !== 0) wireFail(WireCode.TRAILING, `${r.remaining} bytes after the SPIs`, r.offset, P.D);
  return { type: P.D, doi, protocolId, spiSize, spis };
}

/** Decodes one payload body. Unknown types are kept raw (RFC 2408 §5.1 leaves the reaction to the exchange). */
export function decodeV1PayloadBody(type: number, body: Uint8Array): IsakmpPayload {
  switch (type) {
    case P.SA:
      return decodeSa(body);
    case P.ID:
      return decodeId(body);
    case P.CERT:
    case P.CR: {
      const r = new ByteReader(body);
      return { type, encoding: r.u8('cert encoding'), data: r.rest().slice() } as IsakmpPayload;
    }
    case P.NONCE:
      // RFC 2409 §5: nonce length between 8 and 256 bytes inclusive
      if (body.length < MIN_V1_NONCE || body.length > MAX_V1_NONCE) wireFail(WireCode.LENGTH, `nonce of ${body.length} bytes`, 0, type);
      return { type, data: body.slice() };
    case P.KE:
    case P.HASH:
    case P.SIG:
    case P.VID:
    case P.NAT_D:
    case P.NAT_D_DRAFT:
      // the switch narrowed `type` to one of the raw payload types
      return { type, data: body.slice() } as IsakmpPayload;
    case P.N:
      return decodeNotify(body);
    case P.D:
      return decodeDelete(body);
    case P.NAT_OA:
    case P.NAT_OA_DRAFT: {
      const r = new ByteReader(body);
      const idType = r.u8('NAT-OA ID type');
      r.skip(3, 'NAT-OA reserved');
      const address = r.rest().slice();
      const ok = (idType === V1IdType.ID_IPV4_ADDR && address.length === 4) || (idType === V1IdType.ID_IPV6_ADDR && address.length === 16);
      if (!ok) wireFail(WireCode.VALUE, `NAT-OA with ID type ${idType} and ${address.length} address bytes`, 0, type);
      return { type, idType, address } as IsakmpPayload;
    }
    default:
      return { type, unknown: true, data: body.slice() };
  }
}

export function encodeV1PayloadBody(p: IsakmpPayload): Uint8Array {
  if ('unknown' in p) return p.data;
  switch (p.type) {
    case P.SA:
      return encodeSa(p);
    case P.ID:
      return new ByteWriter(8 + p.data.length).u8(p.idType).u8(p.protocolId).u16(p.port).bytes(p.data).finish();
    case P.CERT:
    case P.CR:
      return new ByteWriter(1 + p.data.length).u8(p.encoding).bytes(p.data).finish();
    case P.N: {
      if (p.spi.length > 255) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'SPI too long');
      return new ByteWriter(12 + p.spi.length + p.data.length)
        .u32(p.doi).u8(p.protocolId).u8(p.spi.length).u16(p.notifyType).bytes(p.spi).bytes(p.data).finish();
    }
    case P.D: {
      const w = new ByteWriter(8 + p.spiSize * p.spis.length).u32(p.doi).u8(p.protocolId).u8(p.spiSize).u16(p.spis.length);
      for (const s of p.spis) {
        if (s.length !== p.spiSize) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'Delete SPI of the wrong size');
        w.bytes(s);
      }
      return w.finish();
    }
    case P.NAT_OA:
    case P.NAT_OA_DRAFT:
      return new ByteWriter(4 + p.address.length).u8(p.idType).u8(0).u16(0).bytes(p.address).finish();
    default:
      return p.data;
  }
}
