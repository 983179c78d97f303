/** Messages between the crypto pool (main thread) and its workers (crypto-worker.ts). */

export type WorkerRequest =
  | { readonly op: 'respond'; readonly id: number; readonly group: number; readonly peer: Uint8Array; readonly exponent: 'short' | 'full' }
  | { readonly op: 'initiate'; readonly id: number; readonly group: number; readonly exponent: 'short' | 'full' }
  | { readonly op: 'derive'; readonly id: number; readonly handle: number; readonly peer: Uint8Array }
  | { readonly op: 'dispose'; readonly handle: number };

export interface WorkerReply {
  readonly id: number;
  readonly publicValue?: Uint8Array;
  readonly sharedSecret?: Uint8Array;
  readonly handle?: number;
  readonly error?: { readonly code: string; readonly message: string };
}
