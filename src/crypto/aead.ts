/**
 * Raw AEAD operations for IKEv2 (RFC 5282 AES-GCM, RFC 7634 ChaCha20-Poly1305):
 * 12-byte nonce = 4-byte salt | 8-byte explicit IV, caller-supplied AAD,
 * output = ciphertext | tag. protect.ts adds the SK payload framing.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { CipherGCMTypes } from 'node:crypto';
import { CryptoError } from '../util/errors.js';

/** The parts of node's GCM and ChaCha20-Poly1305 cipher objects we use. */
interface AeadEnc {
  setAAD(aad: Uint8Array, opts: { plaintextLength: number }): unknown;
  update(data: Uint8Array): Buffer;
  final(): Buffer;
  getAuthTag(): Buffer;
}
interface AeadDec {
  setAAD(aad: Uint8Array, opts: { plaintextLength: number }): unknown;
  setAuthTag(tag: Uint8Array): unknown;
  update(data: Uint8Array): Buffer;
  final(): Buffer;
}

function enc(name: string, key: Uint8Array, nonce: Uint8Array, tagLen: number): AeadEnc {
  if (name === 'chacha20-poly1305') return createCipheriv(name, key, nonce, { authTagLength: tagLen });
  return createCipheriv(name as CipherGCMTypes, key, nonce, { authTagLength: tagLen });
}

function dec(name: string, key: Uint8Array, nonce: Uint8Array, tagLen: number): AeadDec {
  if (name === 'chacha20-poly1305') return createDecipheriv(name, key, nonce, { authTagLength: tagLen });
  return createDecipheriv(name as CipherGCMTypes, key, nonce, { authTagLength: tagLen });
}

/** Returns ciphertext | tag (tagLen bytes). */
export function aeadSeal(
  nodeCipher: string, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, tagLen: number,
): Uint8Array {
  const c = enc(nodeCipher, key, nonce, tagLen);
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const ct = c.update(plaintext);
  const tail = c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(ct.length + tail.length + tag.length);
  out.set(ct);
  out.set(tail, ct.length);
  out.set(tag, ct.length + tail.length);
  return out;
}

/**
 * Verifies the tag and returns the plaintext; throws CryptoError('IKE_ERR_ICV')
 * on any failure. No plaintext is released unless the tag verifies.
 */
export function aeadOpen(
  nodeCipher: string, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ctAndTag: Uint8Array, tagLen: number,
): Uint8Array {
  const ctLen = ctAndTag.length - tagLen;
  if (ctLen < 0) throw new CryptoError('IKE_ERR_ICV', 'AEAD input shorter than its tag');
  try {
    const d = dec(nodeCipher, key, nonce, tagLen);
    d.setAuthTag(ctAndTag.subarray(ctLen));
    d.setAAD(aad, { plaintextLength: ctLen });
    const a = d.update(ctAndTag.subarray(0, ctLen));
    const b = d.final(); // throws if the tag does not verify
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  } catch {
    throw new CryptoError('IKE_ERR_ICV', 'AEAD integrity check failed');
  }
}
