/**
 * IKEv1 message encryption (RFC 2408 §3.1 E flag, RFC 2409 Appendix B).
 *
 * Everything after the ISAKMP header is encrypted with the negotiated CBC
 * cipher, padded to the block size. IVs are chained per exchange: the IV of
 * a message is the last ciphertext block of the previous message of the same
 * exchange (in either direction); the first IV of phase 1 is
 * hash(g^xi | g^xr), that of each phase 2 / informational exchange is
 * hash(last phase 1 CBC block | M-ID). `IvChain` keeps that state per
 * message ID.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { concatBytes } from '../util/bytes.js';
import { CryptoError } from '../util/errors.js';
import { encodeIsakmpHeader } from '../wire/ikev1/header.js';
import { ISAKMP_HEADER_LENGTH } from '../wire/ikev1/limits.js';
import type { IsakmpHeaderFields } from '../wire/ikev1/types.js';

/** The ISAKMP SA's cipher: node:crypto CBC name, key, block size. */
export interface V1Cipher {
  readonly node: string;
  readonly key: Uint8Array;
  readonly blockSize: number;
}

/** IV state per exchange (message ID); `base` derives the first IV of a new one. */
export class IvChain {
  private readonly ivs = new Map<number, Uint8Array>();
  constructor(private readonly first: (messageId: number) => Uint8Array) {}

  current(messageId: number): Uint8Array {
    let iv = this.ivs.get(messageId);
    if (iv === undefined) {
      iv = this.first(messageId);
      this.ivs.set(messageId, iv);
    }
    return iv;
  }

  set(messageId: number, iv: Uint8Array): void {
    this.ivs.set(messageId, iv);
  }

  forget(messageId: number): void {
    this.ivs.delete(messageId);
  }
}

function lastBlock(ct: Uint8Array, blockSize: number): Uint8Array {
  return ct.slice(ct.length - blockSize);
}

/**
 * Encrypts `plain` (the payload chain) and returns the whole message plus the
 * IV for the next message. Padding: zero octets to the block boundary
 * (RFC 2408 §3.1 leaves the pad content open; strongSwan and Libreswan accept it).
 */
export function sealV1(h: IsakmpHeaderFields, firstPayload: number, plain: Uint8Array, c: V1Cipher, iv: Uint8Array): { bytes: Uint8Array; nextIv: Uint8Array } {
  const pad = (c.blockSize - (plain.length % c.blockSize)) % c.blockSize;
  const padded = concatBytes(plain, new Uint8Array(pad));
  const enc = createCipheriv(c.node, c.key, iv);
  enc.setAutoPadding(false);
  const ct = new Uint8Array(Buffer.concat([enc.update(padded), enc.final()]));
  const header = encodeIsakmpHeader({ ...h, encrypted: true }, firstPayload, ISAKMP_HEADER_LENGTH + ct.length);
  return { bytes: concatBytes(header, ct), nextIv: lastBlock(ct, c.blockSize) };
}

/**
 * Decrypts the body of a received message. Throws CryptoError when the body
 * is not a whole number of blocks; a wrong key yields garbage that the HASH
 * check or the payload decoder rejects.
 */
export function openV1(body: Uint8Array, c: V1Cipher, iv: Uint8Array): { plain: Uint8Array; nextIv: Uint8Array } {
  if (body.length === 0 || body.length % c.blockSize !== 0) {
    throw new CryptoError('IKE_ERR_V1_CIPHERTEXT', `encrypted body of ${body.length} bytes is not a multiple of ${c.blockSize}`);
  }
  const dec = createDecipheriv(c.node, c.key, iv);
  dec.setAutoPadding(false);
  const plain = new Uint8Array(Buffer.concat([dec.update(body), dec.final()]));
  return { plain, nextIv: lastBlock(body, c.blockSize) };
}
