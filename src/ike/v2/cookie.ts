/**
 * Stateless COOKIEs against IKE_SA_INIT floods (RFC 7296 §2.6):
 *
 *   Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)
 *
 * The responder keeps no state until the initiator echoes a valid cookie.
 * The secret is regenerated periodically; the previous one stays valid so
 * that cookies handed out just before the change are still accepted.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Rng } from '../ports.js';
import { addressBytes } from './natd.js';

const SECRET_LENGTH = 32;
/** how often the secret changes (§2.6 suggests changing it regularly) */
const ROTATE_MS = 120_000;

export class CookieJar {
  private version = 0;
  private secret: Uint8Array;
  private previous: Uint8Array | undefined;
  private rotatedAt: number;

  constructor(
    private readonly rng: Rng,
    nowMs: number,
  ) {
    this.secret = rng.bytes(SECRET_LENGTH);
    this.rotatedAt = nowMs;
  }

  private maybeRotate(nowMs: number): void {
    if (nowMs - this.rotatedAt < ROTATE_MS) return;
    this.previous = this.secret;
    this.secret = this.rng.bytes(SECRET_LENGTH);
    this.version = (this.version + 1) & 0xff;
    this.rotatedAt = nowMs;
  }

  private compute(version: number, secret: Uint8Array, ni: Uint8Array, ipi: string, spiI: Uint8Array): Uint8Array {
    const h = createHash('sha256').update(ni).update(addressBytes(ipi)).update(spiI).update(secret).digest();
    const out = new Uint8Array(1 + h.length);
    out[0] = version;
    out.set(h, 1);
    return out;
  }

  make(nowMs: number, ni: Uint8Array, ipi: string, spiI: Uint8Array): Uint8Array {
    this.maybeRotate(nowMs);
    return this.compute(this.version, this.secret, ni, ipi, spiI);
  }

  verify(nowMs: number, cookie: Uint8Array, ni: Uint8Array, ipi: string, spiI: Uint8Array): boolean {
    this.maybeRotate(nowMs);
    if (cookie.length !== 33) return false;
    const v = cookie[0];
    const candidates: Uint8Array[] = [];
    if (v === this.version) candidates.push(this.compute(this.version, this.secret, ni, ipi, spiI));
    else if (this.previous !== undefined && v === ((this.version + 255) & 0xff)) {
      candidates.push(this.compute(v, this.previous, ni, ipi, spiI));
    }
    return candidates.some((c) => timingSafeEqual(c, cookie));
  }
}
