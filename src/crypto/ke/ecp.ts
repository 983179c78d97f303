/**
 * Elliptic-curve DH over NIST prime curves (RFC 5903, groups 19-21) and
 * brainpool curves (RFC 6954, groups 28-30).
 *   KE data       = x | y   (each coordinate left-padded to the field size,
 *                            no 0x04 point-format octet; RFC 5903 §7)
 *   shared secret = x coordinate of the shared point only (RFC 5903 §7)
 */
import { createECDH } from 'node:crypto';
import { CryptoError } from '../../util/errors.js';
import type { Rng } from '../rng.js';
import type { KeDescriptor } from '../registry.js';
import { isAllZero, padStart } from './types.js';
import type { KeyExchange } from './types.js';

export function createEcp(desc: KeDescriptor, priv: Uint8Array): KeyExchange {
  const ecdh = createECDH(desc.curve);
  try {
    ecdh.setPrivateKey(priv);
  } catch {
    throw new CryptoError('IKE_ERR_KE_PRIVATE', `${desc.name} private value out of range`);
  }
  const coord = desc.secretLength;
  // getPublicKey() = 0x04 | x | y (uncompressed, fixed width)
  const publicValue = new Uint8Array(ecdh.getPublicKey()).slice(1);
  return {
    group: desc.id,
    publicValue,
    computeSharedSecret(peer: Uint8Array): Uint8Array {
      if (peer.length !== 2 * coord) {
        throw new CryptoError('IKE_ERR_KE_INVALID', `${desc.name} KE data must be ${2 * coord} bytes, got ${peer.length}`);
      }
      // (0,0) is how some stacks encode the point at infinity; never on these curves (b != 0).
      if (isAllZero(peer)) throw new CryptoError('IKE_ERR_KE_INVALID', `${desc.name} point at infinity`);
      const point = new Uint8Array(1 + peer.length);
      point[0] = 0x04;
      point.set(peer, 1);
      let secret: Uint8Array;
      try {
        // OpenSSL checks that the point lies on the curve (and is not infinity) here.
        secret = new Uint8Array(ecdh.computeSecret(point));
      } catch {
        throw new CryptoError('IKE_ERR_KE_INVALID', `${desc.name} public value is not a valid curve point`);
      }
      return padStart(secret, coord);
    },
  };
}

/**
 * Key exchange with a private scalar from the Rng: 1 <= d < n by rejection
 * sampling (FIPS 186-5 A.4.2 style). OpenSSL's range check in setPrivateKey
 * does the comparison with n, so each try costs one key generation.
 */
export function createEcpFromRng(desc: KeDescriptor, rng: Rng): KeyExchange {
  const coord = desc.secretLength;
  // n has as many bits as the field for these curves; mask P-521's 7 spare bits.
  const topMask = desc.curve === 'secp521r1' ? 0x01 : 0xff;
  for (let attempt = 0; attempt < 64; attempt++) {
    const d = rng.bytes(coord);
    d[0] = (d[0] ?? 0) & topMask;
    try {
      return createEcp(desc, d);
    } catch (e) {
      if (!(e instanceof CryptoError) || e.code !== 'IKE_ERR_KE_PRIVATE') throw e;
    } finally {
      d.fill(0);
    }
  }
  throw new CryptoError('IKE_ERR_RNG', `could not draw a ${desc.name} private value`);
}
