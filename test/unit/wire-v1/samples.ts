/** Sample ISAKMP messages for codec tests (hand-assembled, RFC 2408 §3). */
import { P1Attr, V1Exchange, V1IdType, V1Notify, V1Payload, V1Protocol } from '../../../src/iana/ikev1.js';
import { numberAttribute } from '../../../src/wire/ikev1/attributes.js';
import type { IsakmpHeaderFields, IsakmpPayload } from '../../../src/wire/ikev1/types.js';

export const sampleV1Header: IsakmpHeaderFields = {
  spiI: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
  spiR: new Uint8Array(8),
  majorVersion: 1,
  minorVersion: 0,
  exchangeType: V1Exchange.IDENTITY_PROTECTION,
  encrypted: false,
  commit: false,
  authOnly: false,
  messageId: 0,
};

export const sampleV1Payloads: IsakmpPayload[] = [
  {
    type: V1Payload.SA, doi: 1, situation: new Uint8Array([0, 0, 0, 1]),
    proposals: [{
      number: 1, protocolId: V1Protocol.ISAKMP, spi: new Uint8Array(0),
      transforms: [
        { number: 1, id: 1, attributes: [numberAttribute(P1Attr.ENCRYPTION_ALGORITHM, 7), numberAttribute(P1Attr.KEY_LENGTH, 256), numberAttribute(P1Attr.LIFE_DURATION, 86400)] },
        { number: 2, id: 1, attributes: [numberAttribute(P1Attr.ENCRYPTION_ALGORITHM, 5)] },
      ],
    }],
  },
  { type: V1Payload.KE, data: new Uint8Array(32).fill(7) },
  { type: V1Payload.NONCE, data: new Uint8Array(16).fill(9) },
  { type: V1Payload.ID, idType: V1IdType.ID_IPV4_ADDR_SUBNET, protocolId: 17, port: 500, data: new Uint8Array([10, 1, 0, 0, 255, 255, 255, 0]) },
  { type: V1Payload.HASH, data: new Uint8Array(20).fill(3) },
  { type: V1Payload.N, doi: 1, protocolId: 1, notifyType: V1Notify.INITIAL_CONTACT, spi: new Uint8Array(16).fill(1), data: new Uint8Array(0) },
  { type: V1Payload.D, doi: 1, protocolId: 3, spiSize: 4, spis: [new Uint8Array([1, 2, 3, 4]), new Uint8Array([5, 6, 7, 8])] },
  { type: V1Payload.VID, data: new Uint8Array([0x4a, 0x13, 0x1c, 0x81]) },
  { type: V1Payload.NAT_D, data: new Uint8Array(20).fill(5) },
  { type: V1Payload.NAT_OA, idType: V1IdType.ID_IPV4_ADDR, address: new Uint8Array([192, 0, 2, 1]) },
  { type: V1Payload.CERT, encoding: 4, data: new Uint8Array([0x30, 0x00]) },
  { type: 200, unknown: true, data: new Uint8Array([1, 2]) },
];

