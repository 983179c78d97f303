/**
 * Worker-thread side of the daemon's crypto pool (crypto-pool.ts): runs
 * Diffie-Hellman on behalf of the main thread's KeyExchanger so both cores
 * compute (NODE-CRYPTO.md trap 4).
 *
 * Messages (structured clone; see WorkerRequest / WorkerReply):
 *   respond  {id, group, peer, exponent}  -> {id, publicValue, sharedSecret}
 *   initiate {id, group, exponent}        -> {id, handle, publicValue}
 *   derive   {id, handle, peer}           -> {id, sharedSecret}   (frees the handle)
 *   dispose  {handle}                     -> (no reply)
 *   sign     {id, keyId, der, scheme, data} -> {id, signature}
 * Errors reply {id, error: {code, message}}; the private values of pending
 * initiator exchanges stay here, capped in number (oldest dropped first) so
 * a main thread that forgets to dispose cannot grow this heap without bound.
 * Signing keys are kept by id (the same DER object each time, so the parsed
 * KeyObject cache in sig-v2.ts hits), also capped.
 */
import { parentPort } from 'node:worker_threads';
import { createKeyExchangeNative, type KeyExchange } from '../crypto/ke/index.js';
import { NodeRng } from '../crypto/rng.js';
import { rsaSignV1 } from '../crypto/sig-v1.js';
import { signV2 } from '../crypto/sig-v2.js';
import { KeywayError } from '../util/errors.js';
import type { WorkerReply, WorkerRequest } from './crypto-protocol.js';

const MAX_PENDING = 20_000;
const MAX_KEYS = 256;
const keys = new Map<number, Uint8Array>();
const rng = new NodeRng();
const pending = new Map<number, KeyExchange>();
let nextHandle = 1;

function errorOf(e: unknown, fallback: string): { code: string; message: string } {
  if (e instanceof KeywayError) return { code: e.code, message: e.message };
  return { code: fallback, message: e instanceof Error ? e.message : String(e) };
}

function handle(m: WorkerRequest): WorkerReply | undefined {
  switch (m.op) {
    case 'respond': {
      const ke = createKeyExchangeNative(m.group, rng, { modpExponent: m.exponent });
      return { id: m.id, publicValue: ke.publicValue, sharedSecret: ke.computeSharedSecret(m.peer) };
    }
    case 'initiate': {
      const ke = createKeyExchangeNative(m.group, rng, { modpExponent: m.exponent });
      if (pending.size >= MAX_PENDING) {
        const oldest = pending.keys().next();
        if (oldest.done !== true) pending.delete(oldest.value);
      }
      const h = nextHandle++;
      pending.set(h, ke);
      return { id: m.id, handle: h, publicValue: ke.publicValue };
    }
    case 'derive': {
      const ke = pending.get(m.handle);
      pending.delete(m.handle);
      if (ke === undefined) return { id: m.id, error: { code: 'IKE_ERR_KE_STATE', message: 'key exchange expired or already used' } };
      return { id: m.id, sharedSecret: ke.computeSharedSecret(m.peer) };
    }
    case 'dispose':
      pending.delete(m.handle);
      return undefined;
    case 'sign': {
      let der = keys.get(m.keyId);
      if (der === undefined) {
        if (keys.size >= MAX_KEYS) keys.clear();
        der = m.der;
        keys.set(m.keyId, der);
      }
      const signature = m.scheme === 'rsa-pkcs1-raw' ? rsaSignV1(der, m.data) : signV2(m.scheme, der, m.data);
      return { id: m.id, signature };
    }
  }
}

parentPort?.on('message', (m: WorkerRequest) => {
  let reply: WorkerReply | undefined;
  try {
    reply = handle(m);
  } catch (e) {
    reply = 'id' in m ? { id: m.id, error: errorOf(e, m.op === 'sign' ? 'IKE_ERR_SIGN' : 'IKE_ERR_KE') } : undefined;
  }
  if (reply !== undefined) parentPort?.postMessage(reply);
});
