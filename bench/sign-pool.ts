/**
 * Signing on the crypto worker pool vs in the event-loop thread
 * (src/daemon/crypto-signer.ts): main-thread and process CPU per signature,
 * and signatures per second, for RSA-2048/3072 (pool) and ECDSA P-256
 * (stays in-thread either way). A window of concurrent signatures is kept
 * in flight, as a responder under load has many IKE_AUTHs queued.
 *
 * Run: npm run build && node dist/bench/sign-pool.js [--count 400 --window 16 --workers 2]
 */
import { generateKeyPairSync } from 'node:crypto';
import { cpus } from 'node:os';
import type { KeywayConfig } from '../src/config/model.js';
import { NodeRng } from '../src/crypto/rng.js';
import { CryptoPool } from '../src/daemon/crypto-pool.js';
import { poolSigner } from '../src/daemon/crypto-signer.js';
import type { SignatureScheme, Signer } from '../src/ike/ports.js';
import { configSigner } from '../src/ike/v1/signing.js';
import { sampleProc } from './lab/proc.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

/** Just enough config for the signers: one connection whose local round holds the key. */
function configFor(der: Uint8Array): KeywayConfig {
  const local = [{ method: 'pubkey' as const, privateKey: { file: 'bench.key', der } }];
  return { connections: [{ local }] } as unknown as KeywayConfig;
}

async function run(signer: Signer, scheme: SignatureScheme, count: number, window: number): Promise<{ main: number; all: number; perS: number }> {
  const data = new Uint8Array(600).fill(7);
  const key = { file: 'bench.key' };
  for (let i = 0; i < 20; i++) await signer.sign(key, scheme, data); // warm-up
  const s0 = sampleProc(process.pid);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < count) {
        next++;
        await signer.sign(key, scheme, data);
      }
    }),
  );
  const wall = performance.now() - t0;
  const s1 = sampleProc(process.pid);
  return { main: (s1.mainCpuUs - s0.mainCpuUs) / count, all: (s1.cpuUs - s0.cpuUs) / count, perS: (count * 1000) / wall };
}

async function main(): Promise<void> {
  const count = arg('count', 400);
  const window = arg('window', 16);
  const workers = arg('workers', 2);
  console.log(`Signing bench: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; ${count} signatures, ${window} in flight, ${workers} workers`);
  console.log(['key / scheme'.padEnd(28), 'signer'.padEnd(10), 'sig/s'.padStart(8), 'main µs/sig'.padStart(12), 'process µs/sig'.padStart(15)].join(' '));
  const pool = new CryptoPool({ size: workers, rng: new NodeRng() });
  const keys: [string, Uint8Array, SignatureScheme][] = [
    ['RSA-2048 rsa-pss-sha256', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' }), 'rsa-pss-sha256'],
    ['RSA-3072 rsa-pss-sha256', generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey.export({ type: 'pkcs8', format: 'der' }), 'rsa-pss-sha256'],
    ['ECDSA-P256 ecdsa-sha256', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'der' }), 'ecdsa-sha256'],
  ].map(([n, d, s]) => [n as string, new Uint8Array(d as Buffer), s as SignatureScheme]);
  try {
    for (const [name, der, scheme] of keys) {
      const config = configFor(der);
      for (const [label, signer] of [['in-thread', configSigner(() => config)], ['pool', poolSigner(pool, () => config)]] as const) {
        const r = await run(signer, scheme, count, window);
        console.log([name.padEnd(28), label.padEnd(10), r.perS.toFixed(0).padStart(8), r.main.toFixed(0).padStart(12), r.all.toFixed(0).padStart(15)].join(' '));
      }
    }
  } finally {
    await pool.close();
  }
}

await main();
