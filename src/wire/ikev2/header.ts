/**
 * IKE header codec (RFC 7296 §3.1).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: |X|X|R|V|I|X|X|X|  (I = 0x08, V = 0x10, R = 0x20)
 */
import { ByteWriter } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import { HeaderFlag } from '../../iana/ikev2.js';
import type { IkeHeader } from './types.js';
import { IKE_HEADER_LENGTH, MAX_IKE_MESSAGE, WireCode, wireFail } from './limits.js';
import { readHeaderLayout } from '../common/isakmp-layout.js';

export { IKE_HEADER_LENGTH, MAX_IKE_MESSAGE } from './limits.js';

/** What the sender chooses; next payload and length are computed by the encoder. */
export type IkeHeaderFields = Omit<IkeHeader, 'length' | 'nextPayload'>;

/**
 * Reads the 28 header octets without judging version or length. Used by the
 * caller that must answer a bad version with INVALID_MAJOR_VERSION (§2.5),
 * which needs the SPIs and Message ID of the offending message.
 */
export function readHeaderFields(bytes: Uint8Array): IkeHeader {
  const { spiI, spiR, nextPayload, majorVersion, minorVersion, exchangeType, flags, messageId, length } = readHeaderLayout(bytes, 'IKE header');
  return {
    spiI,
    spiR,
    nextPayload,
    majorVersion,
    minorVersion,
    exchangeType,
    // RFC 7296 §3.1: the other flag bits "MUST be ignored on receipt"
    initiator: (flags & HeaderFlag.INITIATOR) !== 0,
    response: (flags & HeaderFlag.RESPONSE) !== 0,
    version: (flags & HeaderFlag.VERSION) !== 0,
    messageId,
    length,
  };
}

/**
 * Decodes and validates the header. `bytes` is the whole datagram (or at
 * least the header); the Length field must fit inside it.
 */
export function decodeHeader(bytes: Uint8Array): IkeHeader {
  const h = readHeaderFields(bytes);
  // RFC 7296 §3.1: "Implementations ... MUST reject or ignore messages
  // containing a version number greater than 2"; the caller answers
  // INVALID_MAJOR_VERSION (§2.5) when it sees this code.
  if (h.majorVersion !== 2) {
    wireFail(WireCode.VERSION, `unsupported IKE major version ${h.majorVersion}`, 17);
  }
  if (h.length < IKE_HEADER_LENGTH) {
    wireFail(WireCode.LENGTH, `IKE header length ${h.length} is below ${IKE_HEADER_LENGTH}`, 24);
  }
  if (h.length > MAX_IKE_MESSAGE) {
    wireFail(WireCode.TOO_LARGE, `IKE message length ${h.length} exceeds ${MAX_IKE_MESSAGE}`, 24);
  }
  if (h.length > bytes.length) {
    wireFail(WireCode.TRUNCATED, `IKE header length ${h.length} exceeds the ${bytes.length} bytes received`, 24);
  }
  return h;
}

export function encodeHeader(h: IkeHeaderFields, nextPayload: number, totalLength: number): Uint8Array {
  if (h.spiI.length !== 8 || h.spiR.length !== 8) {
    throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'IKE SPIs must be 8 bytes');
  }
  if (h.majorVersion > 15 || h.minorVersion > 15 || h.majorVersion < 0 || h.minorVersion < 0) {
    throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'IKE version nibble out of range');
  }
  if (totalLength < IKE_HEADER_LENGTH || totalLength > MAX_IKE_MESSAGE) {
    throw new KeywayError('IKE_ERR_ENCODE_TOO_LARGE', `IKE message length ${totalLength} out of range`);
  }
  const flags =
    (h.initiator ? HeaderFlag.INITIATOR : 0) |
    (h.response ? HeaderFlag.RESPONSE : 0) |
    (h.version ? HeaderFlag.VERSION : 0);
  return new ByteWriter(IKE_HEADER_LENGTH)
    .bytes(h.spiI)
    .bytes(h.spiR)
    .u8(nextPayload)
    .u8((h.majorVersion << 4) | h.minorVersion)
    .u8(h.exchangeType)
    .u8(flags)
    .u32(h.messageId)
    .u32(totalLength)
    .finish();
}
