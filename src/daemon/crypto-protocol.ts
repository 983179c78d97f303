/** Messages between the crypto pool (main thread) and its workers (crypto-worker.ts). */
import type { SignatureScheme } from '../ike/ports.js';

export type WorkerRequest =
  | { readonly op: 'respond'; readonly id: number; readonly group: number; readonly peer: Uint8Array; readonly exponent: 'short' | 'full' }
  | { readonly op: 'initiate'; readonly id: number; readonly group: number; readonly exponent: 'short' | 'full' }
  | { readonly op: 'derive'; readonly id: number; readonly handle: number; readonly peer: Uint8Array }
  | { readonly op: 'dispose'; readonly handle: number }
  /**
   * `keyId` names the PKCS#8 DER key for the worker's parsed-key cache (ids
   * are never reused); `der` is always sent, so a replaced worker needs no
   * state from the main thread.
   */
  | { readonly op: 'sign'; readonly id: number; readonly keyId: number; readonly der: Uint8Array; readonly scheme: SignatureScheme; readonly data: Uint8Array };

export interface WorkerReply {
  readonly id: number;
  readonly publicValue?: Uint8Array;
  readonly sharedSecret?: Uint8Array;
  readonly handle?: number;
  readonly signature?: Uint8Array;
  readonly error?: { readonly code: string; readonly message: string };
}
