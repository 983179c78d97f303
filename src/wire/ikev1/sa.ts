/**
 * SA, Proposal and Transform payloads (RFC 2408 §3.4-3.6, RFC 2407 §4.6.1).
 *
 * SA payload body (IPsec DOI):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !              Domain of Interpretation  (DOI)                  !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !                           Situation                           !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   followed by Proposal payloads (Next Payload = 2 (P) or 0):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * !  Proposal #   !  Protocol-Id  !    SPI Size   !# of Transforms!
 * !                        SPI (variable)                         !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   each followed by Transform payloads (Next Payload = 3 (T) or 0):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * !  Transform #  !  Transform-Id !           RESERVED2           !
 * ~                        SA Attributes                          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { Doi, Situation, V1Payload } from '../../iana/ikev1.js';
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import { decodeAttributes, encodeAttributes } from './attributes.js';
import { MAX_V1_PROPOSALS, MAX_V1_TRANSFORMS, WireCode, wireFail, withOffset } from './limits.js';
import type { SaPayload, V1Proposal, V1Transform } from './types.js';

/** Reads one inner payload (proposal or transform) with its generic header; returns next type and body. */
function readInner(r: ByteReader, what: string, expectType: number): { next: number; body: Uint8Array; at: number } {
  const at = r.offset;
  const next = r.u8(`${what} next payload`);
  r.u8(`${what} reserved`);
  const len = r.u16(`${what} length`);
  if (len < 4) wireFail(WireCode.LENGTH, `${what} length ${len} < 4`, at + 2);
  if (len - 4 > r.remaining) wireFail(WireCode.TRUNCATED, `${what} length ${len} exceeds the ${r.remaining + 4} bytes left`, at + 2);
  // RFC 2408 §3.5/§3.6: a proposal is followed by 2 (P) or 0, a transform by 3 (T) or 0.
  if (next !== 0 && next !== expectType) wireFail(WireCode.STRUCTURE, `${what} followed by payload type ${next}`, at);
  return { next, body: r.bytes(len - 4), at };
}

function decodeTransform(body: Uint8Array): V1Transform {
  const r = new ByteReader(body);
  const number = r.u8('transform number');
  const id = r.u8('transform id');
  r.u16('transform reserved');
  const attributes = withOffset(4, undefined, () => decodeAttributes(r.rest()));
  return { number, id, attributes };
}

function decodeProposal(body: Uint8Array): V1Proposal {
  const r = new ByteReader(body);
  const number = r.u8('proposal number');
  const protocolId = r.u8('protocol id');
  const spiSize = r.u8('SPI size');
  const count = r.u8('number of transforms');
  const spi = r.bytes(spiSize, 'SPI').slice();
  if (count === 0) wireFail(WireCode.STRUCTURE, 'proposal without transforms', 3);
  if (count > MAX_V1_TRANSFORMS) wireFail(WireCode.TOO_MANY, `more than ${MAX_V1_TRANSFORMS} transforms`, 3);
  const transforms: V1Transform[] = [];
  let next: number = V1Payload.TRANSFORM;
  while (next === V1Payload.TRANSFORM) {
    if (transforms.length >= count) wireFail(WireCode.STRUCTURE, `more transforms than the ${count} announced`, r.offset);
    const t = readInner(r, 'transform', V1Payload.TRANSFORM);
    transforms.push(withOffset(t.at + 4, undefined, () => decodeTransform(t.body)));
    next = t.next;
  }
  if (transforms.length !== count) wireFail(WireCode.STRUCTURE, `${transforms.length} transforms, ${count} announced`, r.offset);
  if (r.remaining !== 0) wireFail(WireCode.TRAILING, `${r.remaining} bytes after the last transform`, r.offset);
  return { number, protocolId, spi, transforms };
}

export function decodeSa(body: Uint8Array): SaPayload {
  const r = new ByteReader(body);
  const doi = r.u32('DOI');
  const situation = r.bytes(4, 'situation').slice();
  if (doi !== Doi.IPSEC) return { type: V1Payload.SA, doi, situation, proposals: [], opaque: r.rest().slice() };
  // RFC 2407 §4.6.1: secrecy/integrity situations append labels we do not support.
  const sit = ((situation[3] ?? 0) | ((situation[2] ?? 0) << 8)) & (Situation.SIT_SECRECY | Situation.SIT_INTEGRITY);
  if (sit !== 0) wireFail(WireCode.VALUE, 'labeled IPsec situations are not supported', 4);
  const proposals: V1Proposal[] = [];
  let next: number = r.remaining > 0 ? V1Payload.PROPOSAL : 0;
  while (next === V1Payload.PROPOSAL) {
    if (proposals.length >= MAX_V1_PROPOSALS) wireFail(WireCode.TOO_MANY, `more than ${MAX_V1_PROPOSALS} proposals`, r.offset);
    const p = readInner(r, 'proposal', V1Payload.PROPOSAL);
    proposals.push(withOffset(p.at + 4, undefined, () => decodeProposal(p.body)));
    next = p.next;
  }
  if (r.remaining !== 0) wireFail(WireCode.TRAILING, `${r.remaining} bytes after the last proposal`, r.offset);
  return { type: V1Payload.SA, doi, situation, proposals };
}

export function encodeSa(p: SaPayload): Uint8Array {
  if (p.situation.length !== 4) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'situation must be 4 bytes');
  const w = new ByteWriter(256).u32(p.doi).bytes(p.situation);
  if (p.opaque !== undefined) return w.bytes(p.opaque).finish();
  p.proposals.forEach((prop, i) => {
    if (prop.spi.length > 255 || prop.transforms.length > 255) throw new KeywayError('IKE_ERR_ENCODE_INVALID', 'proposal too large');
    const start = w.length;
    w.u8(i + 1 < p.proposals.length ? V1Payload.PROPOSAL : 0).u8(0).u16(0);
    w.u8(prop.number).u8(prop.protocolId).u8(prop.spi.length).u8(prop.transforms.length).bytes(prop.spi);
    prop.transforms.forEach((t, j) => {
      const ts = w.length;
      w.u8(j + 1 < prop.transforms.length ? V1Payload.TRANSFORM : 0).u8(0).u16(0);
      w.u8(t.number).u8(t.id).u16(0);
      encodeAttributes(t.attributes, w);
      w.patchU16(ts + 2, w.length - ts);
    });
    w.patchU16(start + 2, w.length - start);
  });
  return w.finish();
}
