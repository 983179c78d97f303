/**
 * NAT detection (RFC 7296 §2.23):
 *   NAT_DETECTION_*_IP data = SHA-1(SPIi | SPIr | IP address | Port)
 * In the first IKE_SA_INIT request SPIr is zero.
 */
import { createHash } from 'node:crypto';
import { ipToBytes, parseIp } from '../../policy/ip.js';
import { KeywayError } from '../../util/errors.js';
import type { Endpoint } from '../ports.js';

export function addressBytes(address: string): Uint8Array {
  const ip = parseIp(address);
  if (ip === undefined) throw new KeywayError('IKE_BAD_ADDRESS', `not an IP address: ${address}`);
  return ipToBytes(ip.family, ip.value);
}

export function natdHash(spiI: Uint8Array, spiR: Uint8Array, ep: Endpoint): Uint8Array {
  const port = new Uint8Array([(ep.port >> 8) & 0xff, ep.port & 0xff]);
  return new Uint8Array(
    createHash('sha1').update(spiI).update(spiR).update(addressBytes(ep.address)).update(port).digest(),
  );
}
