/**
 * Delete payload body (RFC 7296 §3.11).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~               Security Parameter Index(es) (SPI)              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * §3.11: SPI size is 0 for IKE (with Num of SPIs 0) and 4 for ESP/AH. The
 * body must hold exactly Num of SPIs * SPI Size octets after the header.
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { KeywayError } from '../../../util/errors.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { DeletePayload } from '../types.js';
import { MAX_DELETE_SPIS, WireCode, wireFail } from '../limits.js';

const T = PayloadType.DELETE;

export function decodeDeleteBody(body: Uint8Array, critical: boolean): DeletePayload {
  const r = new ByteReader(body);
  const protocolId = r.u8('delete protocol');
  const spiSize = r.u8('delete SPI size');
  const count = r.u16('delete SPI count');
  if (spiSize !== 0 && spiSize !== 4 && spiSize !== 8) {
    wireFail(WireCode.SPI_SIZE, `delete SPI size ${spiSize} is not 0, 4 or 8`, 1, T);
  }
  if (count > MAX_DELETE_SPIS) wireFail(WireCode.TOO_MANY, `${count} SPIs > ${MAX_DELETE_SPIS}`, 2, T);
  if (spiSize === 0 && count !== 0) wireFail(WireCode.STRUCTURE, 'SPI size 0 with a non-zero SPI count', 2, T);
  if (r.remaining !== count * spiSize) {
    wireFail(WireCode.LENGTH, `delete body has ${r.remaining} SPI bytes, header says ${count}x${spiSize}`, 4, T);
  }
  const spis: Uint8Array[] = [];
  for (let i = 0; i < count; i++) spis.push(r.bytes(spiSize, 'delete SPI').slice());
  return { type: T, critical, protocolId, spiSize, spis };
}

export function encodeDeleteBody(p: DeletePayload): Uint8Array {
  if (p.spis.length > MAX_DELETE_SPIS) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'too many SPIs');
  if (p.spiSize === 0 && p.spis.length !== 0) {
    throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'SPI size 0 with SPIs');
  }
  const w = new ByteWriter(4 + p.spis.length * p.spiSize).u8(p.protocolId).u8(p.spiSize).u16(p.spis.length);
  for (const spi of p.spis) {
    if (spi.length !== p.spiSize) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'SPI length differs from spiSize');
    w.bytes(spi);
  }
  return w.finish();
}
