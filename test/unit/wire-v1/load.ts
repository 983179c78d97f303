/** Loads the IKEv1 wire fixtures (see test/vectors/PROVENANCE.md "IKEv1 wire fixtures"). */
import { readFileSync, readdirSync } from 'node:fs';
import { repoPath } from '../../helpers/paths.js';
import { ikeFromUdp, udpDatagrams } from '../../helpers/pcap.js';

export function readV1Fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(repoPath('test', 'fixtures', 'wire-v1', name)));
}

export function readV1Text(name: string): string {
  return readFileSync(repoPath('test', 'fixtures', 'wire-v1', name), 'utf8');
}

/** IKE messages (non-ESP marker stripped) of a capture, with frame index and direction. */
export function v1Messages(name: string): { frame: number; bytes: Uint8Array; srcPort: number }[] {
  const out: { frame: number; bytes: Uint8Array; srcPort: number }[] = [];
  for (const d of udpDatagrams(readV1Fixture(name))) {
    const ike = ikeFromUdp(d);
    if (ike !== undefined) out.push({ frame: d.frame, bytes: ike, srcPort: d.srcPort });
  }
  return out;
}

export function v1Captures(): string[] {
  return readdirSync(repoPath('test', 'fixtures', 'wire-v1')).filter((f) => f.endsWith('.pcap') || f.endsWith('.cap'));
}

export function malformedV1(): string[] {
  return readdirSync(repoPath('test', 'fixtures', 'wire-v1', 'malformed')).map((f) => `malformed/${f}`);
}

/** ike-scan packet files: raw UDP payloads (the NAT-T one starts with the non-ESP marker). */
export function ikeScanPacket(name: string): Uint8Array {
  const b = readV1Fixture(`ike-scan/${name}`);
  const marker = b.length > 4 && b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0;
  return marker ? b.subarray(4) : b;
}
