/**
 * Micro-benchmark of the crypto layer: µs per operation for each KE group
 * (two key generations + one derivation), prf+ and SK seal/open.
 * Run: npx tsc -p . && node dist/bench/crypto.js
 */
import { EncrId, IntegId, PrfId } from '../src/iana/ikev2.js';
import { createKeyExchange, supportedKeGroups } from '../src/crypto/ke/index.js';
import { createPrf, prfPlus } from '../src/crypto/prf.js';
import { createSkCipher } from '../src/crypto/protect.js';
import type { SkCipherSpec } from '../src/crypto/protect.js';
import { encrDescriptor, integDescriptor, keDescriptor } from '../src/crypto/registry.js';
import { NodeRng } from '../src/crypto/rng.js';

function bench(label: string, iterations: number, fn: () => void): void {
  for (let i = 0; i < Math.min(10, iterations); i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const us = ((performance.now() - t0) * 1000) / iterations;
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(10)} µs/op`);
}

const rng = new NodeRng();
for (const g of supportedKeGroups) {
  const name = keDescriptor(g)?.name ?? String(g);
  const heavy = g === 17 || g === 18 || g === 21;
  bench(`KE ${name} (2 keygen + 1 derive)`, heavy ? 20 : 200, () => {
    const a = createKeyExchange(g, rng);
    const b = createKeyExchange(g, rng);
    a.computeSharedSecret(b.publicValue);
  });
}
const prf = createPrf(PrfId.PRF_HMAC_SHA2_256);
const key = rng.bytes(32);
const seed = rng.bytes(80);
bench('prf+ HMAC-SHA2-256, 160 bytes', 5000, () => { prfPlus(prf, key, seed, 160); });

const specs: [string, SkCipherSpec][] = [
  ['AES_GCM_16-256', { encrId: EncrId.ENCR_AES_GCM_16, encrKeyBits: 256 }],
  ['CHACHA20_POLY1305', { encrId: EncrId.ENCR_CHACHA20_POLY1305 }],
  ['AES_CBC-256/HMAC_SHA2_256_128', { encrId: EncrId.ENCR_AES_CBC, encrKeyBits: 256, integId: IntegId.AUTH_HMAC_SHA2_256_128 }],
];
for (const [label, spec] of specs) {
  const e = encrDescriptor(spec.encrId, spec.encrKeyBits);
  if (e === undefined) continue;
  const ik = spec.integId !== undefined ? rng.bytes(integDescriptor(spec.integId)?.keyLength ?? 0) : new Uint8Array(0);
  const c = createSkCipher(spec, rng.bytes(e.keyLength), ik, rng);
  const aad = rng.bytes(32);
  const pt = rng.bytes(1200);
  const body = c.seal(aad, pt);
  bench(`seal ${label}, 1200 B`, 5000, () => { c.seal(aad, pt); });
  bench(`open ${label}, 1200 B`, 5000, () => { c.open(aad, body); });
}
