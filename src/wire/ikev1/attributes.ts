/**
 * ISAKMP Data Attributes (RFC 2408 §3.3).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !A!       Attribute Type        !    AF=0  Attribute Length     !
 * !F!                             !    AF=1  Attribute Value      !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                   AF=0  Attribute Value                       .
 * .                   AF=1  Not Transmitted                       .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import { MAX_V1_ATTRIBUTES, WireCode, wireFail } from './limits.js';
import type { DataAttribute } from './types.js';

const AF = 0x8000;

export function decodeAttributes(bytes: Uint8Array): DataAttribute[] {
  const r = new ByteReader(bytes);
  const out: DataAttribute[] = [];
  while (r.remaining > 0) {
    if (out.length >= MAX_V1_ATTRIBUTES) wireFail(WireCode.TOO_MANY, `more than ${MAX_V1_ATTRIBUTES} attributes`, r.offset);
    const t = r.u16('attribute type');
    const lv = r.u16('attribute length/value');
    if ((t & AF) !== 0) out.push({ type: t & 0x7fff, format: 'tv', value: lv });
    else out.push({ type: t, format: 'tlv', value: r.bytes(lv, 'attribute value').slice() });
  }
  return out;
}

export function encodeAttributes(attrs: readonly DataAttribute[], w: ByteWriter = new ByteWriter(64)): ByteWriter {
  for (const a of attrs) {
    if (a.type < 0 || a.type > 0x7fff) throw new KeywayError('IKE_ERR_ENCODE_RANGE', `attribute type ${a.type} out of range`);
    if (a.format === 'tv') w.u16(a.type | AF).u16(a.value);
    else {
      if (a.value.length > 0xffff) throw new KeywayError('IKE_ERR_ENCODE_RANGE', 'attribute value too long');
      w.u16(a.type).u16(a.value.length).bytes(a.value);
    }
  }
  return w;
}

/**
 * A basic (TV) attribute, or, when the value does not fit in 16 bits, a
 * variable one with the shortest big-endian encoding (RFC 2409 App. A:
 * "Variable length attributes ... MAY be encoded as basic attributes if
 * their value can fit into two octets").
 */
export function numberAttribute(type: number, value: number): DataAttribute {
  if (value >= 0 && value <= 0xffff) return { type, format: 'tv', value };
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new KeywayError('IKE_ERR_ENCODE_RANGE', `attribute value ${value} out of range`);
  return { type, format: 'tlv', value: new ByteWriter(4).u32(value).finish() };
}

/**
 * Numeric value of an attribute (TV, or TLV of at most 6 octets so the
 * result is an exact JavaScript number); undefined if it is not numeric.
 */
export function attributeNumber(a: DataAttribute): number | undefined {
  if (a.format === 'tv') return a.value;
  if (a.value.length === 0 || a.value.length > 6) return undefined;
  let n = 0;
  for (const b of a.value) n = n * 256 + b;
  return n;
}

export function findAttribute(attrs: readonly DataAttribute[], type: number): DataAttribute | undefined {
  return attrs.find((a) => a.type === type);
}
