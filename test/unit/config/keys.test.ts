/**
 * keys.ts: the key-file reader behind the validator's KeyReader port. Every
 * key form is generated per run with node:crypto into a 0700 temp folder
 * (private key files 0600), so no key material is checked in.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_KEY_FILE_BYTES, fileKeyReader } from '../../../src/config/keys.js';
import type { KeyReadResult } from '../../../src/config/validate-common.js';

const dir = mkdtempSync(join(tmpdir(), 'kw-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const reader = fileKeyReader(join(dir, 'keyway.conf'));
const PASS = 'c0rrect-h0rse-PASSPHRASE';
const WRONG = 'wr0ng-PASSPHRASE-guess';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function write(name: string, data: string | Buffer, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, data, { mode });
  chmodSync(p, mode); // the umask must not decide the test
  return p;
}
const der = (k: KeyObject, type: 'pkcs8' | 'spki'): Uint8Array => new Uint8Array(k.export({ type, format: 'der' }));

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const rsaPkcs8 = der(rsa.privateKey, 'pkcs8');
const rsaSpki = der(rsa.publicKey, 'spki');

function okKey<T>(r: KeyReadResult<T>): T {
  assert.ok(r.ok, r.ok ? '' : `${r.reason} (hint: ${r.hint})`);
  return r.key;
}
function failure<T>(r: KeyReadResult<T>): { reason: string; hint: string } {
  assert.equal(r.ok, false, 'expected a failure');
  return r.ok ? { reason: '', hint: '' } : r;
}

describe('keys.ts: private key files', () => {
  const forms: Array<[string, string | Buffer, Uint8Array, string]> = [
    ['rsa.pkcs8.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), rsaPkcs8, 'rsa'],
    ['rsa.pkcs8.der', rsa.privateKey.export({ type: 'pkcs8', format: 'der' }), rsaPkcs8, 'rsa'],
    ['rsa.pkcs1.pem', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }), rsaPkcs8, 'rsa'],
    ['rsa.pkcs1.der', rsa.privateKey.export({ type: 'pkcs1', format: 'der' }), rsaPkcs8, 'rsa'],
    ['ec.sec1.pem', ec.privateKey.export({ type: 'sec1', format: 'pem' }), der(ec.privateKey, 'pkcs8'), 'ec'],
    ['ec.sec1.der', ec.privateKey.export({ type: 'sec1', format: 'der' }), der(ec.privateKey, 'pkcs8'), 'ec'],
    ['ed.pkcs8.pem', ed.privateKey.export({ type: 'pkcs8', format: 'pem' }), der(ed.privateKey, 'pkcs8'), 'ed25519'],
    // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key
    ['ec.params.pem', `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${String(ec.privateKey.export({ type: 'sec1', format: 'pem' }))}`, der(ec.privateKey, 'pkcs8'), 'ec'],
  ];
  for (const [name, data, pkcs8, type] of forms) {
    test(`${name} loads as PKCS#8 DER with its SPKI`, () => {
      write(name, data);
      const k = okKey(reader.readPrivateKey(name, undefined));
      assert.deepEqual(k.der, pkcs8);
      assert.equal(k.keyType, type);
      assert.equal(k.file, join(dir, name), 'relative paths start from the config file folder');
      const pub = type === 'rsa' ? rsa.publicKey : type === 'ec' ? ec.publicKey : ed.publicKey;
      assert.deepEqual(k.publicDer, der(pub, 'spki'));
    });
  }

  test('an absolute path is used as is', () => {
    const p = write('abs.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    assert.deepEqual(okKey(fileKeyReader('/elsewhere/k.conf').readPrivateKey(p, undefined)).der, rsaPkcs8);
  });

  const encrypted: Array<[string, string | Buffer]> = [
    ['enc.pkcs8.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASS })],
    ['enc.pkcs8.der', rsa.privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: PASS })],
    ['enc.pkcs1.pem', rsa.privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: PASS })],
  ];
  for (const [name, data] of encrypted) {
    test(`${name}: right passphrase loads; wrong or none is a reasoned failure that never shows it`, () => {
      write(name, data);
      assert.deepEqual(okKey(reader.readPrivateKey(name, enc(PASS))).der, rsaPkcs8);
      const wrong = failure(reader.readPrivateKey(name, enc(WRONG)));
      assert.match(wrong.reason, /wrong passphrase/);
      const none = failure(reader.readPrivateKey(name, undefined));
      assert.match(none.reason, /encrypted and no passphrase/);
      assert.match(none.hint, /secrets \{ private-<name> \{ file = <path> {2}secret = /);
      for (const f of [wrong, none]) {
        const text = `${f.reason} ${f.hint}`;
        assert.ok(!text.includes(PASS) && !text.includes(WRONG), text);
      }
    });
  }

  test('a group- or world-readable private key file is refused with a chmod hint', () => {
    for (const mode of [0o644, 0o640, 0o604]) {
      const p = write(`loose-${mode.toString(8)}.pem`, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), mode);
      const f = failure(reader.readPrivateKey(p, undefined));
      assert.match(f.reason, /readable by group or others \(mode 0\d+\); secret files must not be/);
      assert.equal(f.hint, `chmod 600 ${p}`);
    }
    const p = write('tight.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o400);
    assert.ok(reader.readPrivateKey(p, undefined).ok, '0400 is fine');
  });

  test('missing file, directory, empty file, oversized file, FIFO: failures, never a hang or a throw', () => {
    const missing = failure(reader.readPrivateKey('nope.pem', undefined));
    assert.match(missing.reason, new RegExp(`no such file: ${join(dir, 'nope.pem')} \\(ENOENT\\)`));
    mkdirSync(join(dir, 'adir'), { mode: 0o700 });
    assert.match(failure(reader.readPrivateKey('adir', undefined)).reason, /not a regular file/);
    write('empty.pem', '');
    assert.match(failure(reader.readPrivateKey('empty.pem', undefined)).reason, /empty file/);
    write('big.pem', Buffer.alloc(MAX_KEY_FILE_BYTES + 1, 0x41));
    assert.match(failure(reader.readPrivateKey('big.pem', undefined)).reason, /larger than 64 KiB/);
    assert.match(failure(reader.readPublicKey('big.pem')).reason, /larger than 64 KiB/);
    const fifo = join(dir, 'fifo');
    if (spawnSync('mkfifo', ['-m', '600', fifo]).status === 0) {
      assert.match(failure(reader.readPrivateKey('fifo', undefined)).reason, /not a regular file/);
      assert.match(failure(reader.readPublicKey('fifo')).reason, /not a regular file/);
    }
  });

  test('a file that is no private key: text, a public key, a certificate, junk DER', () => {
    write('notes.txt', 'just some text\n');
    assert.match(failure(reader.readPrivateKey('notes.txt', undefined)).reason, /not a valid private key/);
    const pub = write('pub.pem', rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    const asPriv = failure(reader.readPrivateKey(pub, undefined));
    assert.match(asPriv.reason, /holds PEM 'PUBLIC KEY', not a private key/);
    assert.match(asPriv.hint, /public key goes in pubkeys/);
    write('pub.der', rsa.publicKey.export({ type: 'spki', format: 'der' }));
    assert.match(failure(reader.readPrivateKey('pub.der', undefined)).reason, /holds a public key, not a private key/);
    write('cert.pem', '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n');
    assert.match(failure(reader.readPrivateKey('cert.pem', undefined)).reason, /'CERTIFICATE', not a private key/);
    write('junk.der', Buffer.from([0x30, 0x82, 0xff, 0xff, 1, 2, 3]));
    assert.match(failure(reader.readPrivateKey('junk.der', undefined)).reason, /not a valid private key \(ERR_/);
    write('cut.pem', '-----BEGIN PRIVATE KEY-----\nMIIE\n');
    assert.match(failure(reader.readPrivateKey('cut.pem', undefined)).reason, /damaged PEM file/);
  });

  test('failure reasons never contain key bytes', () => {
    const pemBody = String(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })).split('\n')[1] ?? '';
    write('bad-inner.pem', `-----BEGIN PRIVATE KEY-----\n${pemBody}\n-----END PRIVATE KEY-----\n`);
    const f = failure(reader.readPrivateKey('bad-inner.pem', undefined));
    assert.ok(!f.reason.includes(pemBody.slice(0, 16)) && !f.hint.includes(pemBody.slice(0, 16)), f.reason);
  });
});

describe('keys.ts: public key files', () => {
  const forms: Array<[string, string | Buffer]> = [
    ['p.spki.pem', rsa.publicKey.export({ type: 'spki', format: 'pem' })],
    ['p.spki.der', rsa.publicKey.export({ type: 'spki', format: 'der' })],
    ['p.pkcs1.pem', rsa.publicKey.export({ type: 'pkcs1', format: 'pem' })],
    ['p.pkcs1.der', rsa.publicKey.export({ type: 'pkcs1', format: 'der' })],
  ];
  for (const [name, data] of forms) {
    test(`${name} loads as SPKI DER`, () => {
      write(name, data, 0o644); // public keys may be world-readable
      const k = okKey(reader.readPublicKey(name));
      assert.deepEqual(k.der, rsaSpki);
      assert.equal(k.keyType, 'rsa');
    });
  }

  test('EC public keys load too', () => {
    write('ec.pub.pem', ec.publicKey.export({ type: 'spki', format: 'pem' }), 0o644);
    assert.equal(okKey(reader.readPublicKey('ec.pub.pem')).keyType, 'ec');
  });

  test('a private key, a certificate or text is refused as a public key (not silently converted)', () => {
    write('priv-as-pub.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const p = failure(reader.readPublicKey('priv-as-pub.pem'));
    assert.match(p.reason, /holds a private key; pubkeys takes public keys/);
    assert.match(p.hint, /openssl pkey -in <key> -pubout/);
    write('c.pem', '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n', 0o644);
    assert.match(failure(reader.readPublicKey('c.pem')).reason, /certificates are not supported yet/);
    write('t.txt', 'hello\n', 0o644);
    assert.match(failure(reader.readPublicKey('t.txt')).reason, /is not a public key/);
    assert.match(failure(reader.readPublicKey('none.pem')).reason, /ENOENT/);
  });
});
