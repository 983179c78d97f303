/**
 * Whole IKEv2 messages in the clear: header (§3.1) plus payload chain
 * (§3.2). An SK/SKF payload stays sealed; message/ opens it.
 */
import { concatBytes } from '../../util/bytes.js';
import { KeywayError } from '../../util/errors.js';
import type { IkeMessage, Payload } from './types.js';
import { decodeHeader, encodeHeader, type IkeHeaderFields } from './header.js';
import { decodePayloadChain, encodePayloadChain } from './chain.js';
import { IKE_HEADER_LENGTH, MAX_IKE_MESSAGE, WireCode, wireFail, withOffset } from './limits.js';

export function decodeMessage(bytes: Uint8Array): IkeMessage {
  const header = decodeHeader(bytes);
  // §3.1 Length is the "total message (header + payloads)"; extra bytes in
  // the datagram mean a malformed or spoofed message.
  if (header.length !== bytes.length) {
    wireFail(WireCode.LENGTH, `IKE header length ${header.length} but ${bytes.length} bytes received`, 24);
  }
  const payloads = withOffset(IKE_HEADER_LENGTH, undefined, () =>
    decodePayloadChain(header.nextPayload, bytes.subarray(IKE_HEADER_LENGTH)),
  );
  return { header, payloads };
}

export function encodeMessage(header: IkeHeaderFields, payloads: readonly Payload[]): Uint8Array {
  const chain = encodePayloadChain(payloads);
  const total = IKE_HEADER_LENGTH + chain.bytes.length;
  if (total > MAX_IKE_MESSAGE) throw new KeywayError('IKE_ERR_ENCODE_TOO_LARGE', `message of ${total} bytes`);
  return concatBytes(encodeHeader(header, chain.firstType, total), chain.bytes);
}
