/**
 * Notify payload body (RFC 7296 §3.10).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                Security Parameter Index (SPI)                 ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Notification Data                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * §3.10: SPI size is 0 for the IKE SA and 4 for ESP/AH; 8 is accepted for
 * IKE SPIs carried by older peers (RFC 4306 allowed it). Anything else is
 * malformed.
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { KeywayError } from '../../../util/errors.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { NotifyPayload } from '../types.js';
import { WireCode, wireFail } from '../limits.js';

export function decodeNotifyBody(body: Uint8Array, critical: boolean): NotifyPayload {
  const r = new ByteReader(body);
  const protocolId = r.u8('notify protocol');
  const spiSize = r.u8('notify SPI size');
  const notifyType = r.u16('notify type');
  if (spiSize !== 0 && spiSize !== 4 && spiSize !== 8) {
    wireFail(WireCode.SPI_SIZE, `notify SPI size ${spiSize} is not 0, 4 or 8`, 1, PayloadType.NOTIFY);
  }
  const spi = r.bytes(spiSize, 'notify SPI').slice();
  return { type: PayloadType.NOTIFY, critical, protocolId, spi, notifyType, data: r.rest().slice() };
}

export function encodeNotifyBody(p: NotifyPayload): Uint8Array {
  if (p.spi.length !== 0 && p.spi.length !== 4 && p.spi.length !== 8) {
    throw new KeywayError('IKE_ERR_ENCODE_INVALID', `notify SPI size ${p.spi.length}`);
  }
  return new ByteWriter(4 + p.spi.length + p.data.length)
    .u8(p.protocolId)
    .u8(p.spi.length)
    .u16(p.notifyType)
    .bytes(p.spi)
    .bytes(p.data)
    .finish();
}
