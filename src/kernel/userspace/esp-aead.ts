/**
 * AEAD transforms for ESP: AES-GCM with 8/12/16-byte ICV (RFC 4106) and
 * ChaCha20-Poly1305 (RFC 7634).
 *
 *   key material = key | salt(4)          (RFC 4106 §8.1, RFC 7634 §4)
 *   nonce = salt(4) | IV(8)               (RFC 4106 §4, RFC 7634 §2)
 *   IV    = the 64-bit sequence number    (unique per key, RFC 4106 §3.1)
 *   AAD   = SPI | Seq-lo   or with ESN  SPI | Seq-hi | Seq-lo   (RFC 4106 §5, RFC 7634 §2.1)
 *   ICV   = the AEAD tag; a truncated GCM tag is its prefix (NIST SP 800-38D §5.2.1.2)
 *
 * Two implementations of the same transform: node:crypto (one Cipheriv per
 * packet, because Node cannot give an existing cipher object a new nonce;
 * about 5 us a packet) and, when the native addon finds OpenSSL in the
 * process, one reusable OpenSSL context per SA that only gets a new nonce
 * per packet (about 1 us). Both produce identical bytes (tested against
 * each other and against Wycheproof vectors).
 */
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import type { EncrDescriptor } from '../../crypto/registry.js';
import type { AeadHandle, NativeAddon } from '../../native/addon.js';
import { ESP_HEADER_LEN, type EspParts } from '../../wire/esp/esp.js';
import type { EspSuite } from './esp-suite.js';

/** The addon functions the native AEAD path needs. */
export type NativeAead = Pick<NativeAddon, 'aeadInit' | 'aeadFree' | 'aeadSeal' | 'aeadOpen'>;

const IV_LEN = 8;
const CT_START = ESP_HEADER_LEN + IV_LEN;

/** IV = sequence number, big-endian (hi, lo), at out[off..off+8). */
function writeSeqIv(out: Uint8Array, off: number, hi: number, lo: number): void {
  out[off] = hi >>> 24;
  out[off + 1] = (hi >>> 16) & 0xff;
  out[off + 2] = (hi >>> 8) & 0xff;
  out[off + 3] = hi & 0xff;
  out[off + 4] = lo >>> 24;
  out[off + 5] = (lo >>> 16) & 0xff;
  out[off + 6] = (lo >>> 8) & 0xff;
  out[off + 7] = lo & 0xff;
}

/** Per-suite scratch for nonce and AAD (the packet path is synchronous; Node and OpenSSL copy them). */
class NonceAad {
  readonly nonce = new Uint8Array(12);
  readonly #aad8 = new Uint8Array(8);
  readonly #aad12 = new Uint8Array(12);

  constructor(salt: Uint8Array) {
    this.nonce.set(salt, 0);
  }

  /** nonce = salt | iv */
  setIv(iv: Uint8Array, off: number): Uint8Array {
    for (let i = 0; i < IV_LEN; i++) this.nonce[4 + i] = iv[off + i] ?? 0;
    return this.nonce;
  }

  /** AAD from the packet's SPI | Seq at header[0..8) (+ Seq-hi with ESN) */
  aad(header: Uint8Array, seqHi: number | undefined): Uint8Array {
    if (seqHi === undefined) {
      for (let i = 0; i < 8; i++) this.#aad8[i] = header[i] ?? 0;
      return this.#aad8;
    }
    const a = this.#aad12;
    for (let i = 0; i < 4; i++) a[i] = header[i] ?? 0;
    a[4] = seqHi >>> 24;
    a[5] = (seqHi >>> 16) & 0xff;
    a[6] = (seqHi >>> 8) & 0xff;
    a[7] = seqHi & 0xff;
    for (let i = 4; i < 8; i++) a[4 + i] = header[i] ?? 0;
    return a;
  }
}

function base(d: EncrDescriptor): Pick<EspSuite, 'name' | 'ivLength' | 'icvLength' | 'blockSize' | 'writeIv'> {
  return { name: d.name, ivLength: IV_LEN, icvLength: d.icvLength, blockSize: d.blockSize, writeIv: writeSeqIv };
}

/** node:crypto AEAD: a new cipher object per packet. */
export function nodeAeadSuite(d: EncrDescriptor, keyMat: Uint8Array): EspSuite {
  const keyLen = d.keyBits / 8;
  const key = createSecretKey(keyMat.subarray(0, keyLen));
  const na = new NonceAad(keyMat.subarray(keyLen, keyLen + d.saltLength));
  const cipher = d.nodeCipher as 'aes-128-gcm';
  const tagLen = d.icvLength;
  return {
    ...base(d),
    seal(out, payload, trailer, seqHi) {
      const c = createCipheriv(cipher, key, na.setIv(out, ESP_HEADER_LEN), { authTagLength: 16 });
      c.setAAD(na.aad(out, seqHi));
      let off = CT_START;
      for (const part of [c.update(payload), c.update(trailer), c.final()]) {
        out.set(part, off);
        off += part.length;
      }
      out.set(c.getAuthTag().subarray(0, tagLen), off);
      return off + tagLen;
    },
    open(p, seqHi) {
      const dc = createDecipheriv(cipher, key, na.setIv(p.iv, 0), { authTagLength: tagLen });
      dc.setAAD(na.aad(p.header, seqHi));
      dc.setAuthTag(p.icv);
      // the plaintext is released only after final() has checked the tag
      const pt = dc.update(p.ciphertext);
      try {
        dc.final();
      } catch {
        return undefined;
      }
      return pt;
    },
    dispose() {},
  };
}

/** Native AEAD: one OpenSSL context per SA (created on first use in its direction). */
export function nativeAeadSuite(d: EncrDescriptor, keyMat: Uint8Array, n: NativeAead): EspSuite {
  const keyLen = d.keyBits / 8;
  // the key goes into the OpenSSL context; this copy is dropped with the suite
  let key: Uint8Array | undefined = new Uint8Array(keyMat.subarray(0, keyLen));
  const na = new NonceAad(keyMat.subarray(keyLen, keyLen + d.saltLength));
  const tagLen = d.icvLength;
  let enc: AeadHandle | undefined;
  let dec: AeadHandle | undefined;
  const handle = (encrypt: boolean): AeadHandle => {
    if (key === undefined) throw new Error('ESP suite used after dispose');
    return n.aeadInit(d.nodeCipher, key, encrypt);
  };
  return {
    ...base(d),
    seal(out, payload, trailer, seqHi) {
      enc ??= handle(true);
      return CT_START + n.aeadSeal(enc, na.setIv(out, ESP_HEADER_LEN), na.aad(out, seqHi), payload, trailer, out, CT_START, tagLen);
    },
    open(p: EspParts, seqHi, inPlace) {
      dec ??= handle(false);
      // in place: the plaintext overwrites the ciphertext in the receive buffer
      const dst = inPlace ? p.ciphertext : Buffer.allocUnsafe(p.ciphertext.length);
      const len = n.aeadOpen(dec, na.setIv(p.iv, 0), na.aad(p.header, seqHi), p.ciphertext, p.icv, dst, 0);
      return len < 0 ? undefined : dst.subarray(0, len);
    },
    dispose() {
      if (enc !== undefined) n.aeadFree(enc);
      if (dec !== undefined) n.aeadFree(dec);
      enc = dec = undefined;
      key?.fill(0);
      key = undefined;
    },
  };
}
