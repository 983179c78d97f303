/** Hand-built payload values of every type, used by round-trip and rules tests. */
import type { Payload } from '../../../src/wire/ikev2/types.js';
import type { IkeHeaderFields } from '../../../src/wire/ikev2/header.js';
import { fromHex } from '../../../src/util/bytes.js';

const b = (hex: string): Uint8Array => fromHex(hex);
const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

export const samplePayloads: readonly Payload[] = [
  {
    type: 33, critical: false, proposals: [
      { number: 1, protocolId: 1, spi: new Uint8Array(0), transforms: [
        { type: 1, id: 12, attributes: [{ type: 14, tv: true, value: 256, data: new Uint8Array(0) }] },
        { type: 2, id: 5, attributes: [] },
        { type: 3, id: 12, attributes: [{ type: 99, tv: false, value: 0, data: b('0102') }] },
        { type: 4, id: 19, attributes: [] },
      ] },
      { number: 2, protocolId: 3, spi: b('deadbeef'), transforms: [{ type: 1, id: 20, attributes: [] }] },
      { number: 3, protocolId: 1, spi: b('0011223344556677'), transforms: [] },
    ],
  },
  { type: 34, critical: false, group: 19, data: fill(64, 7) },
  { type: 35, critical: false, idType: 2, reserved: b('000000'), data: new TextEncoder().encode('west') },
  { type: 36, critical: true, idType: 1, reserved: b('010203'), data: b('c0000201') },
  { type: 37, critical: false, encoding: 4, data: fill(100, 0x30) },
  { type: 38, critical: false, encoding: 4, data: fill(40, 0xaa) },
  { type: 39, critical: false, method: 2, data: fill(32, 0x55) },
  { type: 40, critical: false, data: fill(32, 0x11) },
  { type: 41, critical: false, protocolId: 0, spi: new Uint8Array(0), notifyType: 16388, data: fill(20, 1) },
  { type: 41, critical: false, protocolId: 3, spi: b('01020304'), notifyType: 16393, data: new Uint8Array(0) },
  { type: 42, critical: false, protocolId: 3, spiSize: 4, spis: [b('01020304'), b('a0b0c0d0')] },
  { type: 42, critical: false, protocolId: 1, spiSize: 0, spis: [] },
  { type: 43, critical: false, data: b('4f45726c415c6e51756b5352') },
  { type: 44, critical: false, selectors: [
    { tsType: 7, ipProtocol: 0, startPort: 0, endPort: 65535, startAddress: b('c0000200'), endAddress: b('c00002ff') },
    { tsType: 8, ipProtocol: 17, startPort: 500, endPort: 500, startAddress: fill(16, 0), endAddress: fill(16, 0xff) },
  ] },
  { type: 45, critical: false, selectors: [] },
  { type: 47, critical: false, cfgType: 1, attributes: [{ type: 1, value: new Uint8Array(0) }, { type: 3, value: b('08080808') }] },
  { type: 48, critical: false, data: b('0201000501') },
  { type: 'unknown', rawType: 200, critical: false, data: b('cafe') },
];

export const sampleSk: Payload = { type: 46, critical: false, nextPayload: 35, data: fill(48, 0x42) };
export const sampleSkf: Payload = { type: 53, critical: false, nextPayload: 35, fragmentNumber: 1, totalFragments: 3, data: fill(40, 9) };

export const sampleHeader: IkeHeaderFields = {
  spiI: b('0001020304050607'),
  spiR: b('0000000000000000'),
  majorVersion: 2,
  minorVersion: 0,
  exchangeType: 34,
  initiator: true,
  response: false,
  version: false,
  messageId: 0,
};
