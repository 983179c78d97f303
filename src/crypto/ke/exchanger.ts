/**
 * The key-exchange port (NODE-CRYPTO.md trap 4, ARCHITECTURE B1.5): the
 * engine asks for Diffie-Hellman work and awaits the result, so the work can
 * run in this thread (tests: deterministic from the Rng) or in a pool of
 * worker threads (the daemon: both cores, and a burst of handshakes cannot
 * starve retransmissions and DPD of other SAs).
 *
 * Two shapes, one per role of RFC 7296 §1.2:
 *   respond()  the IKE_SA_INIT / CREATE_CHILD_SA responder knows the peer's
 *              KE data up front: one round trip computes our public value
 *              and g^ir together;
 *   initiate() the initiator sends first: our public value now, g^ir when the
 *              response arrives (the private value stays with the
 *              implementation, e.g. in its worker; dispose() frees it).
 * Invalid peer values reject with CryptoError('IKE_ERR_KE_INVALID'),
 * unsupported groups with CryptoError('IKE_ERR_UNSUPPORTED').
 */
import { CryptoError } from '../../util/errors.js';
import type { KeyExchange, KeyExchangeOptions } from './types.js';

export interface KeResponse {
  /** our KE payload data */
  readonly publicValue: Uint8Array;
  /** g^ir, as fed to the KDF */
  readonly sharedSecret: Uint8Array;
}

export interface PendingKeyExchange {
  readonly group: number;
  readonly publicValue: Uint8Array;
  /** Validates the peer's KE data and returns g^ir; the private value is freed afterwards. */
  computeSharedSecret(peer: Uint8Array): Promise<Uint8Array>;
  /** Frees the private value without computing (exchange abandoned). Idempotent. */
  dispose(): void;
}

export interface KeyExchanger {
  respond(group: number, peer: Uint8Array, opts?: KeyExchangeOptions): Promise<KeResponse>;
  initiate(group: number, opts?: KeyExchangeOptions): Promise<PendingKeyExchange>;
}

/** Runs a synchronous step and turns a throw into a rejection (callers only see promises). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new CryptoError('IKE_ERR_KE', String(e)));
  }
}

/**
 * KeyExchanger over a synchronous KeyExchange factory, in this thread. With
 * createKeyExchange and a SeededRng it is deterministic (the sim, unit
 * tests); with createKeyExchangeNative it is the daemon's choice when worker
 * threads do not pay (one core, or cheap groups).
 */
export class InThreadKeyExchanger implements KeyExchanger {
  constructor(private readonly create: (group: number, opts?: KeyExchangeOptions) => KeyExchange) {}

  respond(group: number, peer: Uint8Array, opts?: KeyExchangeOptions): Promise<KeResponse> {
    return attempt(() => {
      const ke = this.create(group, opts);
      return { publicValue: ke.publicValue, sharedSecret: ke.computeSharedSecret(peer) };
    });
  }

  initiate(group: number, opts?: KeyExchangeOptions): Promise<PendingKeyExchange> {
    return attempt(() => pendingFrom(this.create(group, opts)));
  }
}

/** Wraps an in-thread KeyExchange as a PendingKeyExchange. */
export function pendingFrom(ke: KeyExchange): PendingKeyExchange {
  let live: KeyExchange | undefined = ke;
  return {
    group: ke.group,
    publicValue: ke.publicValue,
    computeSharedSecret(peer: Uint8Array): Promise<Uint8Array> {
      const k = live;
      if (k === undefined) return Promise.reject(new CryptoError('IKE_ERR_KE_STATE', 'key exchange already used or disposed'));
      live = undefined;
      return attempt(() => k.computeSharedSecret(peer));
    },
    dispose(): void {
      live = undefined;
    },
  };
}
