/**
 * NAT detection (RFC 7296 §2.23):
 *   NAT_DETECTION_*_IP data = SHA-1(SPIi | SPIr | IP address | Port)
 * In the first IKE_SA_INIT request SPIr is zero.
 */
import { createHash } from 'node:crypto';
import { ipToBytes, parseIp } from '../../policy/ip.js';
import { KeywayError } from '../../util/errors.js';
import type { ConnectionConfig } from '../../config/model.js';
import type { EngineContext } from '../context.js';
import type { Endpoint } from '../ports.js';

/**
 * UDP encapsulation of ESP is forced by `encap = yes` or by a dataplane that
 * can only carry ESP-in-UDP (the userspace dataplane). Like strongSwan we then
 * send a random NAT_DETECTION_SOURCE_IP so that both sides see a "NAT".
 */
export function forceEncap(ctx: EngineContext, conn: ConnectionConfig): boolean {
  return conn.encap || ctx.dataplane.requiresUdpEncap === true;
}

/**
 * Address text -> bytes, remembered: every IKE_SA_INIT hashes both addresses
 * twice (request check, response), and parsing goes through bigints. Bounded,
 * since remote addresses come from the network. The cached arrays are only
 * read (hashed); addressBytes hands out copies.
 */
const addrCache = new Map<string, Uint8Array>();
const ADDR_CACHE_MAX = 1024;

function cachedAddressBytes(address: string): Uint8Array {
  let b = addrCache.get(address);
  if (b === undefined) {
    const ip = parseIp(address);
    if (ip === undefined) throw new KeywayError('IKE_BAD_ADDRESS', `not an IP address: ${address}`);
    b = ipToBytes(ip.family, ip.value);
    if (addrCache.size >= ADDR_CACHE_MAX) addrCache.clear();
    addrCache.set(address, b);
  }
  return b;
}

export function addressBytes(address: string): Uint8Array {
  return cachedAddressBytes(address).slice();
}

export function natdHash(spiI: Uint8Array, spiR: Uint8Array, ep: Endpoint): Uint8Array {
  const port = new Uint8Array([(ep.port >> 8) & 0xff, ep.port & 0xff]);
  return new Uint8Array(
    createHash('sha1').update(spiI).update(spiR).update(cachedAddressBytes(ep.address)).update(port).digest(),
  );
}
