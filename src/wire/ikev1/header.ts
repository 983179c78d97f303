/**
 * ISAKMP header codec (RFC 2408 §3.1).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Initiator                            !
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Responder                            !
 * !                            Cookie                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Next Payload ! MjVer ! MnVer ! Exchange Type !     Flags     !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                          Message ID                           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                            Length                             !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: |X|X|X|X|X|A|C|E|  (E = 0x01 encryption, C = 0x02 commit, A = 0x04 auth only)
 */
import { V1Flag } from '../../iana/ikev1.js';
import { ByteWriter } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import { ISAKMP_HEADER_LENGTH, MAX_ISAKMP_MESSAGE, WireCode, wireFail } from './limits.js';
import type { IsakmpHeader, IsakmpHeaderFields } from './types.js';
import { readHeaderLayout } from '../common/isakmp-layout.js';

/** Reads the 28 header octets without judging them. */
export function readIsakmpHeader(bytes: Uint8Array): IsakmpHeader {
  const { spiI, spiR, nextPayload, majorVersion, minorVersion, exchangeType, flags, messageId, length } = readHeaderLayout(bytes, 'ISAKMP header');
  return {
    spiI,
    spiR,
    nextPayload,
    majorVersion,
    minorVersion,
    exchangeType,
    encrypted: (flags & V1Flag.ENCRYPTION) !== 0,
    commit: (flags & V1Flag.COMMIT) !== 0,
    authOnly: (flags & V1Flag.AUTHENTICATION_ONLY) !== 0,
    messageId,
    length,
  };
}

/**
 * Decodes and validates the header of a received datagram.
 * RFC 2408 §5.2: the version is checked (major 1), the Length must fit in
 * what was received. RFC 2408 §3.1: "Implementations SHOULD NOT accept
 * packets with a minor version number larger than its own" (ours is 0).
 */
export function decodeIsakmpHeader(bytes: Uint8Array): IsakmpHeader {
  const h = readIsakmpHeader(bytes);
  if (h.majorVersion !== 1) wireFail(WireCode.VERSION, `ISAKMP major version ${h.majorVersion}, expected 1`, 17);
  if (h.minorVersion !== 0) wireFail(WireCode.VERSION, `ISAKMP minor version ${h.minorVersion}, expected 0`, 17);
  if (h.length < ISAKMP_HEADER_LENGTH) wireFail(WireCode.LENGTH, `ISAKMP length ${h.length} below ${ISAKMP_HEADER_LENGTH}`, 24);
  if (h.length > MAX_ISAKMP_MESSAGE) wireFail(WireCode.TOO_LARGE, `ISAKMP length ${h.length} exceeds ${MAX_ISAKMP_MESSAGE}`, 24);
  if (h.length > bytes.length) wireFail(WireCode.TRUNCATED, `ISAKMP length ${h.length} exceeds the ${bytes.length} bytes received`, 24);
  return h;
}

export function encodeIsakmpHeader(h: IsakmpHeaderFields, nextPayload: number, totalLength: number): Uint8Array {
  if (h.spiI.length !== 8 || h.spiR.length !== 8) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'ISAKMP cookies must be 8 bytes');
  if (totalLength < ISAKMP_HEADER_LENGTH || totalLength > MAX_ISAKMP_MESSAGE) {
    throw new KeywayError('IKE_ERR_ENCODE_TOO_LARGE', `ISAKMP message length ${totalLength} out of range`);
  }
  if (h.majorVersion < 0 || h.majorVersion > 15 || h.minorVersion < 0 || h.minorVersion > 15) {
    throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'ISAKMP version nibble out of range');
  }
  const flags = (h.encrypted ? V1Flag.ENCRYPTION : 0) | (h.commit ? V1Flag.COMMIT : 0) | (h.authOnly ? V1Flag.AUTHENTICATION_ONLY : 0);
  return new ByteWriter(ISAKMP_HEADER_LENGTH)
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
