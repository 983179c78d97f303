/**
 * IKEv2 protected messages: wire codec + SK payload crypto (RFC 7296 §3.14).
 *
 *   outbound: inner payloads -> chain -> seal -> HDR | SK hdr | IV | ct | ICV
 *   inbound:  HDR | ... | SK -> check ICV and decrypt -> inner payload chain
 *
 * The AAD/integrity input is everything from the IKE header up to and
 * including the SK generic payload header (RFC 5282 §5.1 for AEAD; for
 * encrypt-then-MAC the ICV also covers IV and ciphertext, RFC 7296 §3.14).
 */
import type { SkCipher } from '../crypto/protect.js';
import { PayloadType } from '../iana/ikev2.js';
import { IKE_HEADER_LENGTH, encodeHeader } from '../wire/ikev2/header.js';
import { decodePayloadChain, encodeGenericHeader, encodePayloadChain } from '../wire/ikev2/chain.js';
import type { IkeHeader, IkeMessage, Payload, SkPayload } from '../wire/ikev2/types.js';
import { WireError } from '../util/errors.js';

export type HeaderFields = Omit<IkeHeader, 'length' | 'nextPayload'>;

/** Encodes and encrypts `inner` into a complete IKE message with an SK payload. */
export function sealMessage(header: HeaderFields, inner: readonly Payload[], cipher: SkCipher): Uint8Array {
  const chain = encodePayloadChain([...inner]);
  const bodyLength = cipher.bodyLength(chain.bytes.length);
  const skLength = 4 + bodyLength;
  const total = IKE_HEADER_LENGTH + skLength;
  const hdr = encodeHeader(header, PayloadType.SK, total);
  // SK's next-payload field names the first inner payload (RFC 7296 §3.14)
  const skHdr = encodeGenericHeader(inner.length > 0 ? chain.firstType : PayloadType.NONE, false, skLength);
  const aad = new Uint8Array(IKE_HEADER_LENGTH + 4);
  aad.set(hdr, 0);
  aad.set(skHdr, IKE_HEADER_LENGTH);
  const body = cipher.seal(aad, chain.bytes);
  if (body.length !== bodyLength) {
    throw new WireError('IKE_ERR_INTERNAL', `SK body length ${body.length} != ${bodyLength}`);
  }
  const out = new Uint8Array(total);
  out.set(aad, 0);
  out.set(body, aad.length);
  return out;
}

/** The SK payload of a decoded message, if it is the last payload (RFC 7296 §3.14). */
export function findSk(msg: IkeMessage): SkPayload | undefined {
  const last = msg.payloads[msg.payloads.length - 1];
  return last !== undefined && last.type === PayloadType.SK ? last : undefined;
}

/**
 * Verifies and decrypts the SK payload of `bytes` (already decoded as `msg`)
 * and decodes the inner payload chain. Throws CryptoError (bad ICV, bad
 * padding) or WireError (bad inner chain).
 */
export function openMessage(bytes: Uint8Array, msg: IkeMessage, sk: SkPayload, cipher: SkCipher): Payload[] {
  const aadLength = bytes.length - sk.data.length;
  const aad = bytes.subarray(0, aadLength);
  const plain = cipher.open(aad, sk.data);
  return decodePayloadChain(sk.nextPayload, plain);
}
