/**
 * What both Quick Mode roles share (RFC 2409 §5.5): the per-exchange state,
 * the HASH-first message layout, and failing one exchange.
 */
import { type KeyExchange } from '../../crypto/ke/index.js';
import { V1Exchange, V1Payload } from '../../iana/ikev1.js';
import { type TsRange } from '../../policy/ts-range.js';
import { type P2Choice } from '../../policy/v1-proposals.js';
import { encodeV1Chain } from '../../wire/ikev1/chain.js';
import type { IsakmpPayload, PayloadEntry } from '../../wire/ikev1/types.js';
import { concatBytes } from '../../util/bytes.js';
import { v1Fail } from './report.js';
import { V1Child } from './v1-child.js';
import type { V1Sa } from './v1-sa.js';

export const QM = V1Exchange.QUICK_MODE;

export type QuickResult = { readonly ok: true; readonly child: V1Child } | { readonly ok: false; readonly reason: string };

export interface QuickState {
  state: 'qm1-sent' | 'qm2-sent';
  readonly child: V1Child;
  readonly niB: Uint8Array;
  nrB: Uint8Array;
  readonly ke: KeyExchange | undefined;
  readonly choices: readonly P2Choice[];
  chosen: P2Choice | undefined;
  gxy: Uint8Array | undefined;
  readonly localTs: TsRange;
  readonly remoteTs: TsRange;
  readonly done: (r: QuickResult) => void;
}

/** Splits a decrypted message into HASH and the bytes following it ("the message after HASH"). */
export function afterHash(entries: readonly PayloadEntry[], plain: Uint8Array): { hash: Uint8Array; rest: Uint8Array } | undefined {
  const first = entries[0];
  const last = entries[entries.length - 1];
  // RFC 2409 §5.5: HASH "MUST immediately follow the ISAKMP header"
  if (first === undefined || last === undefined || first.payload.type !== V1Payload.HASH || 'unknown' in first.payload) return undefined;
  return { hash: first.payload.data, rest: plain.subarray(first.end, last.end) };
}

/** Encodes [HASH, ...rest]: HASH over `rest` via `compute`, then encrypts. */
export function sealWithHash(sa: V1Sa, mid: number, rest: readonly IsakmpPayload[], compute: (restBytes: Uint8Array) => Uint8Array): Uint8Array {
  const chain = encodeV1Chain(rest);
  const hashBytes = encodeV1Chain([{ type: V1Payload.HASH, data: compute(chain.bytes) }]).bytes;
  hashBytes[0] = chain.firstType;
  return sa.seal(QM, mid, V1Payload.HASH, concatBytes(hashBytes, chain.bytes));
}

export function failQuick(sa: V1Sa, mid: number, q: QuickState, kind: 'proposal' | 'ts' | 'timeout' | 'peer-notify' | 'internal' | 'ke', message: string, detail: Record<string, unknown> = {}): void {
  sa.quick.delete(mid);
  q.child.remove(message);
  v1Fail(sa, kind, 'Quick Mode', message, { child: q.child.cfg.name, ...detail });
  q.done({ ok: false, reason: message });
}

