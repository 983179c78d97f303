/** Loads the wire fixtures (see test/vectors/PROVENANCE.md "Wire codec fixtures"). */
import { readFileSync, readdirSync } from 'node:fs';
import { repoPath } from '../../helpers/paths.js';
import { ikeFromUdp, udpDatagrams } from '../../helpers/pcap.js';
import { fromHex } from '../../../src/util/bytes.js';

export const FIXTURE_DIR = repoPath('test', 'fixtures', 'wire');

export function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(repoPath('test', 'fixtures', 'wire', name)));
}

/** IKE messages (non-ESP marker stripped) in a capture, with their frame index. */
export function ikeMessages(name: string): { frame: number; bytes: Uint8Array }[] {
  const out: { frame: number; bytes: Uint8Array }[] = [];
  for (const d of udpDatagrams(readFixture(name))) {
    const ike = ikeFromUdp(d);
    if (ike !== undefined) out.push({ frame: d.frame, bytes: ike });
  }
  return out;
}

export function malformedCaptures(): string[] {
  return readdirSync(repoPath('test', 'fixtures', 'wire', 'malformed')).map((f) => `malformed/${f}`);
}

/** Every line of udp-payloads.hex as bytes, with a 4500 non-ESP marker stripped. */
export function corpusPayloads(): { line: number; bytes: Uint8Array; raw: Uint8Array }[] {
  const text = readFileSync(repoPath('test', 'fixtures', 'wire', 'udp-payloads.hex'), 'utf8');
  const out: { line: number; bytes: Uint8Array; raw: Uint8Array }[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '' || l.startsWith('#')) return;
    const raw = fromHex(l);
    const marker = raw.length > 4 && raw[0] === 0 && raw[1] === 0 && raw[2] === 0 && raw[3] === 0;
    out.push({ line: i + 1, raw, bytes: marker ? raw.subarray(4) : raw });
  });
  return out;
}

/** The valid IKEv2 messages of the corpus (major version 2 and decodable), used as fuzz seeds. */
export function isIkev2(b: Uint8Array): boolean {
  return b.length >= 28 && (b[17] ?? 0) >>> 4 === 2;
}
