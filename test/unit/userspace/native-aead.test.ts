/**
 * The native AEAD path of the userspace dataplane (reusable OpenSSL contexts,
 * esp-aead.ts): Wycheproof known answers through the addon, and byte-for-byte
 * agreement with the node:crypto path on whole ESP packets (all AEAD suites,
 * with and without ESN), in both directions. Skipped when the addon is not
 * built or cannot find OpenSSL in the process.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncrId } from '../../../src/iana/ikev2.js';
import type { SaKey } from '../../../src/ike/dataplane.js';
import type { NativeAead } from '../../../src/kernel/userspace/esp-aead.js';
import { loadNative } from '../../../src/native/addon.js';
import { arr, hex, loadVectors, num, obj, str, toHex } from '../crypto/vectors.js';
import { E, installPair, makeSide, W, udp4 } from './pair.js';
import type { Side } from './pair.js';

const native = loadNative();
const skip = native === undefined ? 'native addon not built' : native.aeadAvailable() ? false : 'OpenSSL EVP not found in this process';

function key(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

const AEAD_SUITES: readonly { name: string; keys: SaKey }[] = [
  { name: 'AES-GCM-16-128', keys: { encrId: EncrId.ENCR_AES_GCM_16, encrKeyBits: 128, encrKey: key(20, 1), integId: 0, integKey: key(0, 0) } },
  { name: 'AES-GCM-12-256', keys: { encrId: EncrId.ENCR_AES_GCM_12, encrKeyBits: 256, encrKey: key(36, 2), integId: 0, integKey: key(0, 0) } },
  { name: 'AES-GCM-8-192', keys: { encrId: EncrId.ENCR_AES_GCM_8, encrKeyBits: 192, encrKey: key(28, 3), integId: 0, integKey: key(0, 0) } },
  { name: 'ChaCha20-Poly1305', keys: { encrId: EncrId.ENCR_CHACHA20_POLY1305, encrKeyBits: 256, encrKey: key(36, 4), integId: 0, integKey: key(0, 0) } },
];

/** Wraps the addon and counts contexts created and freed. */
function counting(n: NativeAead): NativeAead & { inits: number; frees: number } {
  const c = {
    inits: 0,
    frees: 0,
    aeadInit: (...a: Parameters<NativeAead['aeadInit']>) => {
      c.inits++;
      return n.aeadInit(...a);
    },
    aeadFree: (h: Parameters<NativeAead['aeadFree']>[0]) => {
      c.frees++;
      n.aeadFree(h);
    },
    aeadSeal: n.aeadSeal.bind(n),
    aeadOpen: n.aeadOpen.bind(n),
  };
  return c;
}

function wycheproof(file: string, cipher: (keyBits: number) => string): void {
  test(`${file}: valid cases reproduce ct | tag and open (also in place); invalid ones are refused`, () => {
    assert.ok(native !== undefined);
    let n = 0;
    for (const g of arr(obj(loadVectors(file))['testGroups']).map(obj)) {
      // ESP nonces are 96 bits (RFC 4106 §4, RFC 7634 §2); ESP ICVs are 8, 12 or 16 bytes
      const tagLen = num(g['tagSize']) / 8;
      if (num(g['ivSize']) !== 96 || ![8, 12, 16].includes(tagLen)) continue;
      for (const t of arr(g['tests']).map(obj)) {
        const id = `tcId ${num(t['tcId'])}`;
        const k = hex(str(t['key']));
        const nonce = hex(str(t['iv']));
        const aad = hex(str(t['aad']));
        const msg = hex(str(t['msg']));
        const ct = hex(str(t['ct']));
        const tag = hex(str(t['tag']));
        const enc = native.aeadInit(cipher(k.length * 8), k, true);
        const dec = native.aeadInit(cipher(k.length * 8), k, false);
        if (str(t['result']) === 'valid') {
          // split the plaintext in two pieces, as ESP passes payload and trailer
          const cut = msg.length >> 1;
          const out = new Uint8Array(3 + msg.length + tagLen);
          assert.equal(native.aeadSeal(enc, nonce, aad, msg.subarray(0, cut), msg.subarray(cut), out, 3, tagLen), msg.length + tagLen, id);
          assert.equal(toHex(out.subarray(3)), toHex(ct) + toHex(tag), id);
          const pt = new Uint8Array(msg.length);
          assert.equal(native.aeadOpen(dec, nonce, aad, ct, tag, pt, 0), msg.length, id);
          assert.equal(toHex(pt), str(t['msg']), id);
          const inPlace = new Uint8Array(ct);
          assert.equal(native.aeadOpen(dec, nonce, aad, inPlace, tag, inPlace, 0), msg.length, id);
          assert.equal(toHex(inPlace), str(t['msg']), id);
        } else if (str(t['result']) === 'invalid') {
          assert.equal(native.aeadOpen(dec, nonce, aad, ct, tag, new Uint8Array(ct.length), 0), -1, id);
        }
        native.aeadFree(enc);
        native.aeadFree(dec);
        n++;
      }
    }
    assert.ok(n > 50, `n=${n}`);
  });
}

describe('native AEAD (reusable OpenSSL contexts)', { skip }, () => {
  wycheproof('wycheproof/aes_gcm_test.json', (bits) => `aes-${bits}-gcm`);
  wycheproof('wycheproof/chacha20_poly1305_test.json', () => 'chacha20-poly1305');

  test('bad arguments throw TypeError instead of touching memory', () => {
    assert.ok(native !== undefined);
    const h = native.aeadInit('aes-128-gcm', key(16, 1), true);
    const out = new Uint8Array(32);
    assert.throws(() => native.aeadSeal(h, new Uint8Array(11), new Uint8Array(8), new Uint8Array(8), new Uint8Array(0), out, 0, 16), TypeError);
    assert.throws(() => native.aeadSeal(h, new Uint8Array(12), new Uint8Array(8), new Uint8Array(20), new Uint8Array(0), out, 0, 16), TypeError);
    assert.throws(() => native.aeadSeal(h, new Uint8Array(12), new Uint8Array(8), new Uint8Array(8), new Uint8Array(0), out, 0, 7), TypeError);
    assert.throws(() => native.aeadOpen(h, new Uint8Array(12), new Uint8Array(8), new Uint8Array(8), new Uint8Array(16), out, 0), TypeError, 'encrypt handle cannot open');
    assert.throws(() => native.aeadInit('aes-128-cbc', key(16, 1), true), TypeError);
    native.aeadFree(h);
    assert.throws(() => native.aeadSeal(h, new Uint8Array(12), new Uint8Array(8), new Uint8Array(8), new Uint8Array(0), out, 0, 16), TypeError, 'freed handle');
  });

  for (const s of AEAD_SUITES) {
    for (const esn of [false, true]) {
      test(`${s.name}${esn ? ' + ESN' : ''}: native and node:crypto build identical ESP packets and open each other's`, async () => {
        assert.ok(native !== undefined);
        const aead = counting(native);
        // west native -> east node:crypto, and the same traffic from a node:crypto west
        let eastN: Side | undefined;
        const westN = makeSide('w', () => eastN, () => 0, { aead });
        eastN = makeSide('e', () => westN, () => 0);
        let eastJ: Side | undefined;
        const westJ = makeSide('w', () => eastJ, () => 0);
        eastJ = makeSide('e', () => westJ, () => 0, { aead });
        await installPair(westN, eastN, { keys: s.keys, esn });
        await installPair(westJ, eastJ, { keys: s.keys, esn });
        const sizes = [0, 1, 2, 3, 17, 100, 1372];
        for (const n of sizes) {
          westN.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', n)]);
          westJ.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', n)]);
          eastN.dp.fromDevice([udp4('10.2.0.1', '10.1.0.1', n)]);
          eastJ.dp.fromDevice([udp4('10.2.0.1', '10.1.0.1', n)]);
        }
        assert.deepEqual(westN.wire.map(toHex), westJ.wire.map(toHex), 'native and node:crypto ESP are byte-identical');
        assert.deepEqual(eastN.wire.map(toHex), eastJ.wire.map(toHex));
        const want = sizes.map((n) => udp4('10.1.0.1', '10.2.0.1', n));
        assert.deepEqual(eastN.delivered, want, 'node:crypto opens native ESP');
        assert.deepEqual(eastJ.delivered, want, 'native opens node:crypto ESP');
        assert.deepEqual(westN.delivered, sizes.map((n) => udp4('10.2.0.1', '10.1.0.1', n)));
        // one context per SA and direction, freed when the SA goes
        assert.equal(aead.inits, 4);
        await westN.dp.deleteSa({ protocol: 'esp', spi: 0x1000, dst: E });
        assert.equal(aead.frees, 1);
        await westN.dp.deleteSa({ protocol: 'esp', spi: 0x2000, dst: W });
        await eastJ.dp.flush();
        assert.equal(aead.frees, 4);
      });
    }
  }

  test('fromEsp decrypts in place in the receive buffer; a forged packet there is an auth failure', async () => {
    assert.ok(native !== undefined);
    const first = AEAD_SUITES[0];
    assert.ok(first !== undefined);
    const lone = makeSide('lone', () => undefined);
    const east = makeSide('e', () => undefined, () => 0, { aead: native });
    await installPair(lone, east, { keys: first.keys });
    for (let i = 0; i < 3; i++) lone.dp.fromDevice([udp4('10.1.0.1', '10.2.0.1', 200 + i)]);
    const [a, b, c] = lone.wire;
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    const rx = new Uint8Array(4096);
    rx.set(a, 0);
    east.dp.fromEsp(rx.subarray(0, a.length));
    const forged = new Uint8Array(b);
    forged[20] = (forged[20] ?? 0) ^ 0x80;
    rx.set(forged, 2048);
    east.dp.fromEsp(rx.subarray(2048, 2048 + forged.length));
    east.dp.endBatch();
    assert.deepEqual(east.delivered, [udp4('10.1.0.1', '10.2.0.1', 200)]);
    // the plaintext replaced the ciphertext in the buffer (no copy was made)
    assert.equal(toHex(rx.subarray(16, 16 + 228)), toHex(udp4('10.1.0.1', '10.2.0.1', 200)));
    assert.equal(east.dp.counters()['esp.rx.drop.auth'], 1);
    // the window was not moved by the forgery: the genuine packet still passes
    east.dp.fromNetwork({ local: { address: E, port: 4500 }, remote: { address: W, port: 4500 }, bytes: b });
    east.dp.fromNetwork({ local: { address: E, port: 4500 }, remote: { address: W, port: 4500 }, bytes: c });
    assert.equal(east.delivered.length, 3);
  });
});
