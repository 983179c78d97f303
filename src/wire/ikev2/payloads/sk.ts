/**
 * Encrypted payload body, SK (RFC 7296 §3.14), and Encrypted Fragment
 * payload body, SKF (RFC 7383 §2.5). Both stay sealed here: message/ opens
 * them. The generic header's Next Payload names the first inner payload
 * (for SKF: only in fragment 1, zero in the others).
 *
 * SK (§3.14):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * SKF (RFC 7383 §2.5): the same, preceded by
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Fragment Number        |        Total Fragments        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { KeywayError } from '../../../util/errors.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { SkfPayload, SkPayload } from '../types.js';
import { WireCode, wireFail } from '../limits.js';

export function decodeSkBody(nextPayload: number, body: Uint8Array, critical: boolean): SkPayload {
  return { type: PayloadType.SK, critical, nextPayload, data: body.slice() };
}

export function encodeSkBody(p: SkPayload): Uint8Array {
  return p.data.slice();
}

export function decodeSkfBody(nextPayload: number, body: Uint8Array, critical: boolean): SkfPayload {
  const r = new ByteReader(body);
  const fragmentNumber = r.u16('fragment number');
  const totalFragments = r.u16('total fragments');
  // RFC 7383 §2.5: numbering starts at 1 and cannot exceed Total Fragments
  if (fragmentNumber === 0 || fragmentNumber > totalFragments) {
    wireFail(WireCode.VALUE, `fragment ${fragmentNumber} of ${totalFragments}`, 0, PayloadType.SKF);
  }
  return { type: PayloadType.SKF, critical, nextPayload, fragmentNumber, totalFragments, data: r.rest().slice() };
}

export function encodeSkfBody(p: SkfPayload): Uint8Array {
  if (p.fragmentNumber === 0 || p.fragmentNumber > p.totalFragments) {
    throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'fragment number out of range');
  }
  return new ByteWriter(4 + p.data.length).u16(p.fragmentNumber).u16(p.totalFragments).bytes(p.data).finish();
}
