/** Small constructors and finders for IKEv2 payloads used by the exchanges. */
import { PayloadType } from '../../iana/ikev2.js';
import type { NotifyPayload, Payload } from '../../wire/ikev2/types.js';

const EMPTY = new Uint8Array(0);

/** RFC 7296 §3.10: a Notify; protocol 0 and no SPI unless it concerns a CHILD SA. */
export function notify(notifyType: number, data: Uint8Array = EMPTY, protocolId = 0, spi: Uint8Array = EMPTY): NotifyPayload {
  return { type: PayloadType.NOTIFY, critical: false, protocolId, spi, notifyType, data };
}

export function findNotify(payloads: readonly Payload[], notifyType: number): NotifyPayload | undefined {
  for (const p of payloads) if (p.type === PayloadType.NOTIFY && p.notifyType === notifyType) return p;
  return undefined;
}

export function notifies(payloads: readonly Payload[], notifyType: number): NotifyPayload[] {
  return payloads.filter((p): p is NotifyPayload => p.type === PayloadType.NOTIFY && p.notifyType === notifyType);
}

/** RFC 7296 §3.10.1: error notifies have types below 16384. */
export function firstErrorNotify(payloads: readonly Payload[]): NotifyPayload | undefined {
  for (const p of payloads) if (p.type === PayloadType.NOTIFY && p.notifyType < 16384) return p;
  return undefined;
}

/** The payload variant whose `type` can be T (IDi/IDr and TSi/TSr share one interface each). */
export type PayloadOf<T extends Payload['type']> = Payload extends infer P ? (P extends Payload ? (T extends P['type'] ? P : never) : never) : never;

export function findPayload<T extends Payload['type']>(payloads: readonly Payload[], type: T): PayloadOf<T> | undefined {
  for (const p of payloads) if (p.type === type) return p as PayloadOf<T>;
  return undefined;
}

export function spiToBytes(spi: number): Uint8Array {
  return new Uint8Array([(spi >>> 24) & 0xff, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff]);
}

export function bytesToSpi(b: Uint8Array): number | undefined {
  if (b.length !== 4) return undefined;
  return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
}
