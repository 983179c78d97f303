/**
 * Configuration payload body (RFC 7296 §3.15) with its attributes (§3.15.1).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Attribute:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|         Attribute Type      |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Value                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * R: "MUST be set to zero and MUST be ignored on receipt" (§3.15.1).
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { KeywayError } from '../../../util/errors.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { CfgAttribute, CpPayload } from '../types.js';
import { MAX_CFG_ATTRIBUTES, WireCode, wireFail } from '../limits.js';

export function decodeCpBody(body: Uint8Array, critical: boolean): CpPayload {
  const r = new ByteReader(body);
  const cfgType = r.u8('CFG type');
  r.skip(3, 'CP reserved');
  const attributes: CfgAttribute[] = [];
  while (r.remaining > 0) {
    if (attributes.length >= MAX_CFG_ATTRIBUTES) {
      wireFail(WireCode.TOO_MANY, `more than ${MAX_CFG_ATTRIBUTES} CP attributes`, r.offset, PayloadType.CP);
    }
    const type = r.u16('CP attribute type') & 0x7fff;
    const len = r.u16('CP attribute length');
    attributes.push({ type, value: r.bytes(len, 'CP attribute value').slice() });
  }
  return { type: PayloadType.CP, critical, cfgType, attributes };
}

export function encodeCpBody(p: CpPayload): Uint8Array {
  if (p.attributes.length > MAX_CFG_ATTRIBUTES) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'too many CP attributes');
  const w = new ByteWriter().u8(p.cfgType).u8(0).u16(0);
  for (const a of p.attributes) {
    if (a.type > 0x7fff) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'CP attribute type exceeds 15 bits');
    w.u16(a.type).u16(a.value.length).bytes(a.value);
  }
  return w.finish();
}
