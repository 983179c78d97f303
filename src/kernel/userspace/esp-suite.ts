/**
 * ESP transforms for the userspace dataplane: one `EspSuite` per SA, built
 * once from the SA's keys, so key objects are reused for every packet.
 * AEAD transforms (AES-GCM, ChaCha20-Poly1305) are in esp-aead.ts; this file
 * has the interface and encrypt-then-MAC:
 *
 *   AES-CBC (RFC 3602), 3DES-CBC (RFC 2451), AES-CTR (RFC 3686), NULL (RFC 2410)
 *   with HMAC-SHA1-96 (RFC 2404), HMAC-SHA2 (RFC 4868), AES-XCBC-96 (RFC 3566)
 *   or AES-CMAC-96 (RFC 4494):
 *     ICV = trunc(MAC(SPI | Seq | IV | ciphertext [| SeqHi]))  (RFC 4303 §2.8, App. A3)
 *   AES-CTR counter block = nonce(4) | IV(8) | 0x00000001  (RFC 3686 §4).
 *
 * IVs: counter-based transforms (GCM, ChaCha20, CTR) need unique IVs, so the
 * 64-bit sequence number is the IV (RFC 4106 §3.1, RFC 7634 §2, RFC 3686 §3);
 * CBC needs unpredictable IVs (RFC 3602 §2), taken from the Rng in bulk.
 * Node cannot re-key or re-IV a cipher object, so the node:crypto paths make
 * one Cipheriv per packet (NODE-CRYPTO.md trap 6).
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { encrDescriptor, integDescriptor, type EncrDescriptor } from '../../crypto/registry.js';
import { aesCmac, aesXcbcMac } from '../../crypto/mac.js';
import type { Rng } from '../../crypto/rng.js';
import { EncrId } from '../../iana/ikev2.js';
import type { SaKey } from '../../ike/dataplane.js';
import { KernelError } from '../../util/errors.js';
import { ESP_HEADER_LEN, type EspParts } from '../../wire/esp/esp.js';
import { nativeAeadSuite, nodeAeadSuite, type NativeAead } from './esp-aead.js';

export interface EspSuite {
  readonly name: string;
  readonly ivLength: number;
  readonly icvLength: number;
  readonly blockSize: number;
  /** writes the IV of the packet with 64-bit sequence number (hi, lo) at out[off..off+ivLength) */
  writeIv(out: Uint8Array, off: number, seqHi: number, seqLo: number): void;
  /**
   * `out` holds SPI | Seq at [0, 8) and the IV after it: encrypts payload |
   * trailer (padding, pad length, next header) into the bytes that follow
   * and appends the ICV; returns the packet length. `out` has room for all
   * of it. `seqHi` is set only with ESN.
   */
  seal(out: Uint8Array, payload: Uint8Array, trailer: Uint8Array, seqHi: number | undefined): number;
  /**
   * Verifies the ICV (constant time) and only then releases the plaintext;
   * undefined when authentication fails. With `inPlace` the plaintext may
   * overwrite the packet's ciphertext (a receive buffer nobody else reads).
   */
  open(p: EspParts, seqHi: number | undefined, inPlace: boolean): Uint8Array | undefined;
  /** releases key state held outside the JS heap (the SA is gone) */
  dispose(): void;
}

function be32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function seqIv(seqHi: number, seqLo: number): Uint8Array {
  const iv = new Uint8Array(8);
  iv.set(be32(seqHi), 0);
  iv.set(be32(seqLo), 4);
  return iv;
}

/** Random IVs drawn from the Rng 4 KiB at a time (one CSPRNG call per ~250 packets). */
class IvPool {
  #pool: Uint8Array = new Uint8Array(0);
  #off = 0;
  constructor(private readonly rng: Rng) {}
  take(n: number): Uint8Array {
    if (this.#off + n > this.#pool.length) {
      this.#pool = this.rng.bytes(4096);
      this.#off = 0;
    }
    const out = this.#pool.subarray(this.#off, this.#off + n);
    this.#off += n;
    return out;
  }
}

// ---- encrypt-then-MAC -----------------------------------------------------

interface Mac {
  readonly icvLength: number;
  compute(chunks: readonly Uint8Array[]): Uint8Array;
}

function macFor(integId: number, keyMat: Uint8Array): Mac {
  const d = integDescriptor(integId);
  if (d === undefined) throw new KernelError('KERNEL_ALG', `integrity transform ${integId} is not supported by the userspace dataplane`);
  if (keyMat.length !== d.keyLength) throw new KernelError('KERNEL_ALG', `${d.name} needs a ${d.keyLength}-byte key, got ${keyMat.length}`);
  const icv = d.icvLength;
  if (d.kind === 'hmac') {
    const key = createSecretKey(keyMat);
    const hash = d.hash ?? 'sha256';
    return {
      icvLength: icv,
      compute(chunks) {
        const h = createHmac(hash, key);
        for (const c of chunks) h.update(c);
        return h.digest().subarray(0, icv);
      },
    };
  }
  const mac = d.kind === 'xcbc' ? aesXcbcMac : aesCmac;
  const k = new Uint8Array(keyMat);
  return {
    icvLength: icv,
    compute(chunks) {
      const total = chunks.reduce((n, c) => n + c.length, 0);
      const all = new Uint8Array(total);
      let off = 0;
      for (const c of chunks) {
        all.set(c, off);
        off += c.length;
      }
      return mac(k, all).subarray(0, icv);
    },
  };
}

/** The encryption half of an encrypt-then-MAC suite (also used alone by known-answer tests). */
export interface EspCipher {
  readonly ivLength: number;
  readonly blockSize: number;
  iv(seqHi: number, seqLo: number): Uint8Array;
  encrypt(iv: Uint8Array, plain: readonly Uint8Array[]): Uint8Array[];
  decrypt(iv: Uint8Array, ct: Uint8Array): Uint8Array;
}

function cipherFor(d: EncrDescriptor, keyMat: Uint8Array, rng: Rng): EspCipher {
  if (d.id === EncrId.ENCR_NULL) {
    return { ivLength: 0, blockSize: 1, iv: () => new Uint8Array(0), encrypt: (_iv, p) => [...p], decrypt: (_iv, ct) => ct };
  }
  const keyLen = d.keyBits / 8;
  const key = createSecretKey(keyMat.subarray(0, keyLen));
  const name = d.nodeCipher;
  if (d.id === EncrId.ENCR_AES_CTR) {
    const nonce = keyMat.subarray(keyLen, keyLen + 4);
    const block = (iv: Uint8Array): Uint8Array => {
      const b = new Uint8Array(16);
      b.set(nonce, 0);
      b.set(iv, 4);
      b[15] = 1; // RFC 3686 §4: the block counter starts at one
      return b;
    };
    return {
      ivLength: 8,
      blockSize: 1,
      iv: seqIv,
      encrypt(iv, plain) {
        const c = createCipheriv(name, key, block(iv));
        const out = plain.map((p) => c.update(p));
        const fin = c.final();
        if (fin.length > 0) out.push(fin);
        return out;
      },
      decrypt(iv, ct) {
        const c = createDecipheriv(name, key, block(iv));
        return Buffer.concat([c.update(ct), c.final()]);
      },
    };
  }
  // CBC (AES, 3DES): explicit random IV of one block
  const pool = new IvPool(rng);
  const ivLen = d.ivLength;
  return {
    ivLength: ivLen,
    blockSize: d.blockSize,
    iv: () => pool.take(ivLen),
    encrypt(iv, plain) {
      const c = createCipheriv(name, key, iv);
      c.setAutoPadding(false); // ESP pads itself (RFC 4303 §2.4)
      const out = plain.map((p) => c.update(p)).filter((b) => b.length > 0);
      const fin = c.final();
      if (fin.length > 0) out.push(fin);
      return out;
    },
    decrypt(iv, ct) {
      const c = createDecipheriv(name, key, iv);
      c.setAutoPadding(false);
      return Buffer.concat([c.update(ct), c.final()]);
    },
  };
}

/** A non-AEAD cipher (AES-CBC/CTR, 3DES, NULL) for the given key material; KernelError if unsupported. */
export function createEspCipher(encrId: number, encrKeyBits: number, keyMat: Uint8Array, rng: Rng): EspCipher {
  const d = encrDescriptor(encrId, encrKeyBits);
  if (d === undefined || d.aead) throw new KernelError('KERNEL_ALG', `encryption transform ${encrId}/${encrKeyBits} is not a supported non-AEAD cipher`);
  if (keyMat.length !== d.keyLength) throw new KernelError('KERNEL_ALG', `${d.name} needs ${d.keyLength} bytes of key material, got ${keyMat.length}`);
  return cipherFor(d, keyMat, rng);
}

function etmSuite(d: EncrDescriptor, keys: SaKey, rng: Rng): EspSuite {
  const cipher = cipherFor(d, keys.encrKey, rng);
  const mac = macFor(keys.integId, keys.integKey);
  const hiBytes = (seqHi: number | undefined): Uint8Array[] => (seqHi === undefined ? [] : [be32(seqHi)]);
  const ctStart = ESP_HEADER_LEN + cipher.ivLength;
  return {
    name: d.name,
    ivLength: cipher.ivLength,
    icvLength: mac.icvLength,
    blockSize: cipher.blockSize,
    writeIv: (out, off, hi, lo) => out.set(cipher.iv(hi, lo), off),
    seal(out, payload, trailer, seqHi) {
      let off = ctStart;
      for (const c of cipher.encrypt(out.subarray(ESP_HEADER_LEN, ctStart), [payload, trailer])) {
        out.set(c, off);
        off += c.length;
      }
      // RFC 4303 App. A3: with ESN the high 32 bits are appended for the ICV only
      const icv = mac.compute([out.subarray(0, off), ...hiBytes(seqHi)]);
      out.set(icv, off);
      return off + icv.length;
    },
    open(p, seqHi) {
      const want = mac.compute([p.authenticated, ...hiBytes(seqHi)]);
      // integrity before decryption, compared in constant time (RFC 4303 §3.4.4)
      if (want.length !== p.icv.length || !timingSafeEqual(want, p.icv)) return undefined;
      return cipher.decrypt(p.iv, p.ciphertext);
    },
    dispose() {},
  };
}

/**
 * Builds the suite for an SA's keys; KernelError when the combination is
 * unsupported. With `aead` (the native addon, when it found OpenSSL) AEAD
 * transforms reuse one OpenSSL context per SA instead of a Cipheriv per packet.
 */
export function createEspSuite(keys: SaKey, rng: Rng, aead?: NativeAead): EspSuite {
  const d = encrDescriptor(keys.encrId, keys.encrKeyBits);
  if (d === undefined) {
    throw new KernelError('KERNEL_ALG', `encryption transform ${keys.encrId}/${keys.encrKeyBits} is not supported by the userspace dataplane`);
  }
  if (keys.encrKey.length !== d.keyLength) {
    throw new KernelError('KERNEL_ALG', `${d.name} needs ${d.keyLength} bytes of key material, got ${keys.encrKey.length}`);
  }
  if (d.aead) {
    if (keys.integId !== 0) throw new KernelError('KERNEL_ALG', `${d.name} is AEAD: no separate integrity transform allowed (RFC 4303 §3.2)`);
    return aead !== undefined ? nativeAeadSuite(d, keys.encrKey, aead) : nodeAeadSuite(d, keys.encrKey);
  }
  // RFC 4303 §3.2 allows confidentiality-only ESP but warns it is open to
  // active attacks; we never offer it (and NULL without integrity protects nothing).
  if (keys.integId === 0) throw new KernelError('KERNEL_ALG', `${d.name} needs an integrity transform`);
  return etmSuite(d, keys, rng);
}
