/**
 * The tshark checker on a known capture: tcpdump's ikev2pI2.pcap with the
 * keys of ikev2pI2-secrets.txt (see test/vectors/PROVENANCE.md, "interop/").
 * The SK payload decrypts to IDi FQDN "west", but the keys are synthetic and
 * the integrity key does not match, so tshark must say [incorrect] — which
 * shows the checker reports failures, not just successes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { repoPath } from '../helpers/paths.js';
import { dissectIke } from './lab/capture.js';
import { interopGate } from './lab/prereq.js';
import { uatLine } from './lab/ike-keys.js';

const skip = interopGate(['tshark']);
const dir = repoPath('test', 'vectors', 'interop');

/** `ikev2 I|R 0xSPIi 0xSPIr sha1:0xKEY aes128:0xKEY` (tcpdump's -E file format) */
function tcpdumpSecrets(text: string): Map<string, { integ: string; encr: string; spiI: string; spiR: string }> {
  const out = new Map<string, { integ: string; encr: string; spiI: string; spiR: string }>();
  for (const line of text.split('\n')) {
    const m = /^ikev2 ([IR]) 0x([0-9a-f]+) 0x([0-9a-f]+) \w+:0x([0-9a-f]+) \w+:0x([0-9a-f]+)/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined && m[3] !== undefined && m[4] !== undefined && m[5] !== undefined) {
      out.set(m[1], { spiI: m[2], spiR: m[3], integ: m[4], encr: m[5] });
    }
  }
  return out;
}

test('tshark helper decrypts ikev2pI2.pcap and reports its integrity verdict', { skip }, async () => {
  const s = tcpdumpSecrets(readFileSync(`${dir}/ikev2pI2-secrets.txt`, 'utf8'));
  const i = s.get('I');
  const r = s.get('R');
  assert.ok(i !== undefined && r !== undefined, 'both key lines parsed');
  const line = uatLine(i.spiI, i.spiR, { skEi: i.encr, skEr: r.encr, skAi: i.integ, skAr: r.integ },
    'AES-CBC-128 [RFC3602]', 'HMAC_SHA1_96 [RFC2404]');
  const frames = await dissectIke(`${dir}/ikev2pI2.pcap`, [line]);
  assert.deepEqual(frames.map((f) => f.exchange), ['IKE_SA_INIT', 'IKE_AUTH']);
  const auth = frames[1];
  assert.ok(auth !== undefined);
  assert.equal(auth.spiI, '0001020304050607');
  assert.equal(auth.encrypted, true);
  assert.equal(auth.decrypted, true);
  assert.match(auth.text, /ID_FQDN: west/, 'decrypted IDi');
  assert.equal(auth.integrity, 'incorrect', 'synthetic keys: integrity must be flagged');
  // without keys nothing is decrypted
  const plain = await dissectIke(`${dir}/ikev2pI2.pcap`, []);
  assert.equal(plain[1]?.decrypted, false);
  assert.equal(plain[1]?.integrity, null);
});
