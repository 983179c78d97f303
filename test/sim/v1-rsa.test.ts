/**
 * IKEv1 Main Mode with RSA signatures (RFC 2409 §5.1, auth method 3):
 *   HDR*, IDii, SIG_I  -->   <--  HDR*, IDir, SIG_R
 * SKEYID = prf(Ni_b | Nr_b, g^xy); SIG = PKCS#1 v1.5 block over HASH_I/R
 * without DigestInfo. Keys are raw RSA public keys in PEM files
 * (`pubkeys = file.pem` as swanctl, `private_key = file.pem` for ours),
 * generated per run into a 0700 temp folder.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, publicDecrypt, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { rsaSignV1, rsaVerifyV1 } from '../../src/crypto/sig-v1.js';
import { loadConfigText } from '../../src/config/load.js';
import { rsaAuth, rsaKeyDir, type RsaKeyFiles } from './rsa-keys.js';
import { V1Pair } from './v1-harness.js';

const keys = rsaKeyDir('kw-v1-rsa-');
after(() => keys.remove());
const keyPair = (name: string): RsaKeyFiles => keys.keyPair(name);

const west = keyPair('west');
const east = keyPair('east');
const other = keyPair('other');

const rsa = rsaAuth;

test('SIG encoding: PKCS#1 v1.5 type 1 block around the bare hash (no DigestInfo), verifiable, tamper-evident', () => {
  const hash = new Uint8Array(32).map((_, i) => i + 1);
  const sig = rsaSignV1(west.pkcs8, hash);
  assert.equal(sig.length, 256, 'one modulus long');
  // recover the encoded block with the public key and no padding removal
  const em = publicDecrypt({ key: createPublicKey({ key: Buffer.from(west.spki), format: 'der', type: 'spki' }), padding: constants.RSA_NO_PADDING }, sig);
  assert.equal(em[0], 0x00);
  assert.equal(em[1], 0x01);
  const sep = em.indexOf(0x00, 2);
  assert.ok(em.subarray(2, sep).every((b) => b === 0xff) && sep - 2 >= 8, 'at least 8 bytes of 0xFF padding');
  assert.deepEqual(new Uint8Array(em.subarray(sep + 1)), hash, 'the hash itself follows the separator');
  assert.equal(rsaVerifyV1(west.spki, hash, sig), true);
  assert.equal(rsaVerifyV1(east.spki, hash, sig), false, 'another key');
  const bad = sig.slice();
  bad[10] = (bad[10] ?? 0) ^ 1;
  assert.equal(rsaVerifyV1(west.spki, hash, bad), false, 'flipped bit');
  assert.equal(rsaVerifyV1(west.spki, hash, sig.subarray(1)), false, 'short signature');
  const other = hash.slice();
  other[0] = 0;
  assert.equal(rsaVerifyV1(west.spki, other, sig), false, 'another hash');
});

test('IKEv1 RSA signatures: Main Mode + Quick Mode, mirror-image SAs, auth shown as pubkey', async () => {
  const pair = new V1Pair({ westAuth: rsa(west, east), eastAuth: rsa(east, west), seed: 'rsa-ok' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, true, r.error);
  const [w] = await pair.west.engine.listSas();
  const [e] = await pair.east.engine.listSas();
  assert.ok(w && e);
  assert.equal(w.version, 1);
  assert.equal(w.mode, 'main');
  assert.equal(w.state, 'established');
  assert.equal(e.state, 'established');
  assert.equal(w.localAuth, 'pubkey');
  assert.equal(e.remoteAuth, 'pubkey');
  assert.equal(w.spiR, e.spiR);
  assert.equal(e.remote.id, 'west@example.org');
  const [wc] = w.children;
  const [ec] = e.children;
  assert.ok(wc && ec);
  assert.equal(wc.state, 'installed');
  assert.equal(wc.spiIn, ec.spiOut);
  assert.equal(wc.spiOut, ec.spiIn);
  const wOut = [...pair.west.dataplane.sas.values()].find((s) => s.direction === 'out');
  const eIn = [...pair.east.dataplane.sas.values()].find((s) => s.direction === 'in');
  assert.ok(wOut && eIn);
  assert.deepEqual(wOut.keys.encrKey, eIn.keys.encrKey, 'KEYMAT agrees (SKEYID for signatures on both sides)');
});

test('IKEv1 RSA: the responder trusts another key for the initiator -> SIG_I rejected, auth failure, no SA', async () => {
  const pair = new V1Pair({ westAuth: rsa(west, east), eastAuth: rsa(east, other), seed: 'rsa-bad' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.equal(pair.east.engine.counters().ikeSas, 0);
  const f = pair.east.engine.failures().find((x) => x.kind === 'auth');
  assert.ok(f, JSON.stringify(pair.east.engine.failures()));
  assert.match(f.message, /SIG_I from west@example\.org does not verify/);
  assert.equal(pair.west.engine.counters().ikeSas, 0, 'the initiator gives up (no MM6)');
});

test('IKEv1 RSA: the initiator trusts another key for the responder -> SIG_R rejected', async () => {
  const pair = new V1Pair({ westAuth: rsa(west, other), eastAuth: rsa(east, west), seed: 'rsa-bad-r' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const f = pair.west.engine.failures().find((x) => x.kind === 'auth');
  assert.ok(f, JSON.stringify(pair.west.engine.failures()));
  assert.match(f.message, /SIG_R from east@example\.org does not verify/);
  assert.equal(pair.west.engine.counters().ikeSas, 0);
});

test('IKEv1 RSA vs PSK: the auth method is part of the transform -> NO_PROPOSAL_CHOSEN', async () => {
  const pair = new V1Pair({ westAuth: rsa(west, east), seed: 'rsa-psk' });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.ok(pair.east.engine.failures().some((x) => x.kind === 'proposal'));
});

test('config: pubkeys / private_key load PEM files; bad paths, bad keys and a private_key in remote are errors', () => {
  const conf = (local: string, remote: string): string => `connections {
  c {
    version = 1
    remote_addrs = 192.0.2.2
    local {
      auth = pubkey
      ${local}
    }
    remote {
      auth = pubkey
      ${remote}
    }
  }
}
`;
  const ok = loadConfigText(conf(`private_key = ${west.key}`, `pubkeys = ${east.pub}, ${other.pub}`), join(keys.dir, 'k.conf'));
  assert.deepEqual(ok.errors.map((e) => e.message), []);
  const c = ok.config?.connections[0];
  assert.deepEqual(c?.local[0]?.privateKey?.der, west.pkcs8);
  assert.deepEqual(c?.remote[0]?.pubkeys?.map((k) => k.der), [east.spki, other.spki]);
  // relative paths are taken from the config file's folder
  const rel = loadConfigText(conf('private_key = west.key.pem', 'pubkeys = east.pub.pem'), join(keys.dir, 'k.conf'));
  assert.deepEqual(rel.errors.map((e) => e.message), []);
  const missing = loadConfigText(conf('private_key = /nonexistent/key.pem', ''), 'k.conf');
  assert.match(missing.errors[0]?.message ?? '', /cannot load the private key '\/nonexistent\/key\.pem'.*ENOENT/);
  const notKey = loadConfigText(conf(`private_key = ${west.pub}`, ''), 'k.conf');
  assert.match(notKey.errors[0]?.message ?? '', /cannot load the private key/);
  const inRemote = loadConfigText(conf('', `private_key = ${west.key}`), 'k.conf');
  assert.ok(inRemote.errors.some((e) => /belongs in a local section/.test(e.message)), inRemote.errors.map((e) => e.message).join('\n'));
});
