/**
 * Security Association payload body (RFC 7296 §3.3). The body is a list of
 * Proposal substructures, each holding Transform substructures, each holding
 * Transform Attributes. Only structure is checked here; which proposal is
 * acceptable is decided by policy/.
 *
 * Proposal substructure (§3.3.1):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transform substructure (§3.3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transform attribute (§3.3.5), TV when AF = 1, TLV when AF = 0:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ByteReader, ByteWriter } from '../../../util/bytes.js';
import { KeywayError } from '../../../util/errors.js';
import { PayloadType } from '../../../iana/ikev2.js';
import type { Proposal, SaPayload, Transform, TransformAttribute } from '../types.js';
import { MAX_ATTRIBUTES, MAX_PROPOSALS, MAX_TRANSFORMS, WireCode, wireFail } from '../limits.js';

const T = PayloadType.SA;
/** §3.3.1: "0 (last) or 2 (more)" */
const MORE_PROPOSALS = 2;
/** §3.3.2: "0 (last) or 3 (more)" */
const MORE_TRANSFORMS = 3;
const AF_BIT = 0x8000;

export function decodeSaBody(body: Uint8Array, critical: boolean): SaPayload {
  const r = new ByteReader(body);
  const proposals: Proposal[] = [];
  let last = false;
  while (!last) {
    const start = r.offset;
    if (proposals.length >= MAX_PROPOSALS) {
      wireFail(WireCode.TOO_MANY, `more than ${MAX_PROPOSALS} proposals`, start, T);
    }
    const lastSubstruc = r.u8('proposal header');
    if (lastSubstruc !== 0 && lastSubstruc !== MORE_PROPOSALS) {
      wireFail(WireCode.STRUCTURE, `proposal Last Substruc is ${lastSubstruc}, want 0 or 2`, start, T);
    }
    r.u8('proposal header'); // RESERVED: ignored on receipt
    const length = r.u16('proposal length');
    if (length < 8) wireFail(WireCode.LENGTH, `proposal length ${length} < 8`, start + 2, T);
    // length counts from `start`; the 4 octets just read are part of it
    r.need(length - 4, 'proposal');
    const sub = new ByteReader(r.bytes(length - 4), start + 4);
    proposals.push(decodeProposal(sub, start));
    last = lastSubstruc === 0;
    if (!last && r.remaining === 0) {
      wireFail(WireCode.STRUCTURE, 'proposal says more follow but the SA payload ends', r.offset, T);
    }
  }
  if (r.remaining !== 0) {
    wireFail(WireCode.TRAILING, `${r.remaining} bytes after the last proposal`, r.offset, T);
  }
  checkNumbering(proposals);
  return { type: T, critical, proposals };
}

/**
 * §3.3.1: "subsequent proposals MUST be one more than the previous proposal".
 * The first number is 1 in a request but echoes the chosen proposal in a
 * response, so only the sequence is structural; the SA task checks the start.
 */
function checkNumbering(proposals: readonly Proposal[]): void {
  let prev = -1;
  for (const p of proposals) {
    if (p.number === 0) wireFail(WireCode.STRUCTURE, 'proposal number 0', 0, T);
    if (prev >= 0 && p.number !== prev + 1) {
      wireFail(WireCode.STRUCTURE, `proposal number ${p.number} does not follow ${prev}`, 0, T);
    }
    prev = p.number;
  }
}

function decodeProposal(r: ByteReader, start: number): Proposal {
  const num = r.u8('proposal number');
  const protocolId = r.u8('protocol id');
  const spiSize = r.u8('spi size');
  const numTransforms = r.u8('transform count');
  // §3.3.1: SPI size is 0 for an initial IKE SA, 8 for IKE rekey, 4 for ESP/AH
  if (spiSize !== 0 && spiSize !== 4 && spiSize !== 8) {
    wireFail(WireCode.SPI_SIZE, `proposal SPI size ${spiSize} is not 0, 4 or 8`, start + 6, T);
  }
  if (numTransforms > MAX_TRANSFORMS) {
    wireFail(WireCode.TOO_MANY, `${numTransforms} transforms > ${MAX_TRANSFORMS}`, start + 7, T);
  }
  const spi = r.bytes(spiSize, 'proposal SPI').slice();
  const transforms: Transform[] = [];
  for (let i = 0; i < numTransforms; i++) {
    const tStart = r.absoluteOffset;
    const lastSubstruc = r.u8('transform header');
    const wantLast = i === numTransforms - 1;
    if (lastSubstruc !== (wantLast ? 0 : MORE_TRANSFORMS)) {
      wireFail(WireCode.STRUCTURE, `transform ${i + 1}/${numTransforms} Last Substruc is ${lastSubstruc}`, tStart, T);
    }
    r.u8('transform header');
    const length = r.u16('transform length');
    if (length < 8) wireFail(WireCode.LENGTH, `transform length ${length} < 8`, tStart + 2, T);
    r.need(length - 4, 'transform');
    transforms.push(decodeTransform(new ByteReader(r.bytes(length - 4), tStart + 4)));
  }
  if (r.remaining !== 0) {
    wireFail(WireCode.LENGTH, `proposal length disagrees with its ${numTransforms} transforms`, r.absoluteOffset, T);
  }
  return { number: num, protocolId, spi, transforms };
}

function decodeTransform(r: ByteReader): Transform {
  const type = r.u8('transform type');
  r.u8('transform header');
  const id = r.u16('transform id');
  const attributes: TransformAttribute[] = [];
  while (r.remaining > 0) {
    if (attributes.length >= MAX_ATTRIBUTES) {
      wireFail(WireCode.TOO_MANY, `more than ${MAX_ATTRIBUTES} transform attributes`, r.absoluteOffset, T);
    }
    const word = r.u16('attribute type');
    const attrType = word & 0x7fff;
    if ((word & AF_BIT) !== 0) {
      attributes.push({ type: attrType, tv: true, value: r.u16('attribute value'), data: new Uint8Array(0) });
    } else {
      const len = r.u16('attribute length');
      attributes.push({ type: attrType, tv: false, value: 0, data: r.bytes(len, 'attribute value').slice() });
    }
  }
  return { type, id, attributes };
}

export function encodeSaBody(p: SaPayload): Uint8Array {
  if (p.proposals.length === 0 || p.proposals.length > MAX_PROPOSALS) {
    throw new KeywayError('IKE_ERR_ENCODE_INVALID', `SA needs 1..${MAX_PROPOSALS} proposals`);
  }
  const w = new ByteWriter();
  p.proposals.forEach((prop, i) => {
    const start = w.length;
    const spiSize = prop.spi.length;
    if (spiSize !== 0 && spiSize !== 4 && spiSize !== 8) {
      throw new KeywayError('IKE_ERR_ENCODE_INVALID', `proposal SPI size ${spiSize}`);
    }
    if (prop.transforms.length > MAX_TRANSFORMS) {
      throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'too many transforms');
    }
    w.u8(i === p.proposals.length - 1 ? 0 : MORE_PROPOSALS).u8(0).u16(0);
    w.u8(prop.number).u8(prop.protocolId).u8(spiSize).u8(prop.transforms.length).bytes(prop.spi);
    prop.transforms.forEach((t, j) => {
      const tStart = w.length;
      w.u8(j === prop.transforms.length - 1 ? 0 : MORE_TRANSFORMS).u8(0).u16(0);
      w.u8(t.type).u8(0).u16(t.id);
      for (const a of t.attributes) encodeAttribute(w, a);
      w.patchU16(tStart + 2, w.length - tStart);
    });
    w.patchU16(start + 2, w.length - start);
  });
  return w.finish();
}

function encodeAttribute(w: ByteWriter, a: TransformAttribute): void {
  if (a.type > 0x7fff) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'attribute type exceeds 15 bits');
  if (a.tv) w.u16(AF_BIT | a.type).u16(a.value);
  else w.u16(a.type).u16(a.data.length).bytes(a.data);
}
