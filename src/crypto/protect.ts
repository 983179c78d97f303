/**
 * SK payload protection (RFC 7296 §3.14; AEAD per RFC 5282 §3-§5 and
 * RFC 7634 §4).
 *
 *                       1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Next Payload  |C|  RESERVED   |         Payload Length        |  <- end of AAD
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     Initialization Vector                     |  <- body starts here
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  ~              Encrypted IKE Payloads | Padding | Pad Length    ~
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  ~                Integrity Checksum Data (ICV / AEAD tag)       ~
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Non-AEAD (encrypt-then-MAC): ICV = integ(SK_a, AAD | IV | ciphertext)
 *   where AAD = IKE header .. SK generic header (everything before the IV).
 * AEAD: nonce = salt (last 4 bytes of SK_e) | 8-byte explicit IV,
 *   associated data = AAD (RFC 5282 §5.1), ICV = the AEAD tag.
 * AES-CTR (RFC 5930 / RFC 3686 §4): counter block = nonce | IV | 0x00000001.
 */
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { aeadOpen, aeadSeal } from './aead.js';
import { CryptoError } from '../util/errors.js';
import { createInteg } from './mac.js';
import type { Integ } from './mac.js';
import { encrDescriptor } from './registry.js';
import type { EncrDescriptor } from './registry.js';
import type { Rng } from './rng.js';

export interface SkCipherSpec {
  readonly encrId: number;
  /** KEY_LENGTH attribute; omit for fixed-key ciphers (ChaCha20-Poly1305, 3DES). */
  readonly encrKeyBits?: number | undefined;
  /** Integrity transform; omit (or 0 = NONE) with an AEAD cipher. */
  readonly integId?: number | undefined;
}

export interface SkCipher {
  readonly encr: EncrDescriptor;
  /** Size of the SK payload body (IV | ciphertext | ICV) for plainLength bytes of inner payloads. */
  bodyLength(plainLength: number): number;
  seal(aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  open(aad: Uint8Array, body: Uint8Array): Uint8Array;
}

function fail(code: 'IKE_ERR_ICV' | 'IKE_ERR_DECRYPT', msg: string): never {
  throw new CryptoError(code, msg);
}

export function createSkCipher(spec: SkCipherSpec, encrKey: Uint8Array, integKey: Uint8Array, rng: Rng): SkCipher {
  const found = encrDescriptor(spec.encrId, spec.encrKeyBits);
  if (found === undefined || !found.ikeAllowed) {
    throw new CryptoError('IKE_ERR_UNSUPPORTED', `unsupported IKE encryption transform ${spec.encrId}/${spec.encrKeyBits ?? '-'}`);
  }
  const encr: EncrDescriptor = found;
  if (encrKey.length !== encr.keyLength) {
    throw new CryptoError('IKE_ERR_KEY_LENGTH', `${encr.name} needs ${encr.keyLength} bytes of SK_e, got ${encrKey.length}`);
  }
  let integ: Integ | undefined;
  if (encr.aead) {
    if (spec.integId !== undefined && spec.integId !== 0) {
      throw new CryptoError('IKE_ERR_UNSUPPORTED', 'an AEAD cipher must not be combined with an integrity transform (RFC 5282 §8)');
    }
  } else {
    if (spec.integId === undefined || spec.integId === 0) {
      throw new CryptoError('IKE_ERR_UNSUPPORTED', `${encr.name} needs an integrity transform`);
    }
    integ = createInteg(spec.integId);
    if (integKey.length !== integ.keyLength) {
      throw new CryptoError('IKE_ERR_KEY_LENGTH', `integrity needs ${integ.keyLength} bytes of SK_a, got ${integKey.length}`);
    }
  }
  const cipherKey = Uint8Array.from(encrKey.subarray(0, encrKey.length - encr.saltLength));
  const salt = Uint8Array.from(encrKey.subarray(encrKey.length - encr.saltLength));
  const aKey = Uint8Array.from(integKey);
  const ivLen = encr.ivLength;
  const icvLen = encr.aead ? encr.icvLength : (integ?.icvLength ?? 0);
  const bs = encr.blockSize;
  const padLen = (plain: number): number => (bs - ((plain + 1) % bs)) % bs;

  /** IV as fed to the node cipher: explicit IV, salt|IV for AEAD, nonce|IV|ctr for CTR. */
  function cipherIv(iv: Uint8Array): Uint8Array {
    if (encr.aead) {
      const n = new Uint8Array(12);
      n.set(salt, 0);
      n.set(iv, 4);
      return n;
    }
    if (encr.saltLength === 4) {
      const n = new Uint8Array(16);
      n.set(salt, 0);
      n.set(iv, 4);
      n[15] = 1;
      return n;
    }
    return iv;
  }

  function bodyLength(plainLength: number): number {
    return ivLen + plainLength + padLen(plainLength) + 1 + icvLen;
  }

  function seal(aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const p = padLen(plaintext.length);
    const inner = new Uint8Array(plaintext.length + p + 1);
    inner.set(plaintext);
    inner[inner.length - 1] = p; // RFC 7296 §3.14: padding bytes may be any value; we use zero
    const body = new Uint8Array(ivLen + inner.length + icvLen);
    const iv = rng.bytes(ivLen);
    body.set(iv, 0);
    if (encr.aead) {
      body.set(aeadSeal(encr.nodeCipher, cipherKey, cipherIv(iv), aad, inner, icvLen), ivLen);
    } else if (integ !== undefined) {
      const c = createCipheriv(encr.nodeCipher, cipherKey, cipherIv(iv));
      c.setAutoPadding(false);
      const ct = c.update(inner);
      body.set(ct, ivLen);
      const fin = c.final();
      if (fin.length !== 0 || ct.length !== inner.length) throw new CryptoError('IKE_ERR_ENCRYPT', 'cipher output length mismatch');
      const mac = integ.compute(aKey, concat2(aad, body.subarray(0, ivLen + inner.length)));
      body.set(mac, ivLen + inner.length);
    }
    inner.fill(0);
    return body;
  }

  function open(aad: Uint8Array, body: Uint8Array): Uint8Array {
    const ctLen = body.length - ivLen - icvLen;
    if (ctLen < 1) fail('IKE_ERR_DECRYPT', 'SK payload shorter than IV + ICV + pad length');
    if (ctLen % bs !== 0) fail('IKE_ERR_DECRYPT', 'SK ciphertext is not a multiple of the block size');
    const iv = body.subarray(0, ivLen);
    const ct = body.subarray(ivLen, ivLen + ctLen);
    const icv = body.subarray(ivLen + ctLen);
    let inner: Uint8Array = new Uint8Array(0);
    if (encr.aead) {
      inner = aeadOpen(encr.nodeCipher, cipherKey, cipherIv(iv), aad, body.subarray(ivLen), icvLen);
    } else {
      if (integ === undefined) fail('IKE_ERR_DECRYPT', 'no integrity transform');
      // Verify before decrypting (RFC 7296 §3.14), in constant time.
      const expect = integ.compute(aKey, concat2(aad, body.subarray(0, ivLen + ctLen)));
      if (!timingSafeEqual(expect, icv)) fail('IKE_ERR_ICV', 'SK payload integrity check failed');
      try {
        const d = createDecipheriv(encr.nodeCipher, cipherKey, cipherIv(iv));
        d.setAutoPadding(false);
        const a = d.update(ct);
        const b = d.final();
        inner = new Uint8Array(a.length + b.length);
        inner.set(a);
        inner.set(b, a.length);
      } catch {
        fail('IKE_ERR_DECRYPT', 'SK payload decryption failed');
      }
    }
    const pad = inner[inner.length - 1] ?? 0;
    if (pad + 1 > inner.length) {
      inner.fill(0);
      fail('IKE_ERR_DECRYPT', 'SK pad length exceeds the decrypted data');
    }
    return inner.subarray(0, inner.length - 1 - pad);
  }

  return { encr, bodyLength, seal, open };
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
