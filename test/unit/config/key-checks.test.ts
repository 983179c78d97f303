/**
 * Keys Keyway cannot use are refused when the config loads, at the line that
 * names them (not at the first signature): EC keys off P-256/384/521
 * (brainpool, secp256k1), Ed448, DSA, RSASSA-PSS-only RSA keys, key-agreement
 * keys; for `version = 1` connections also non-RSA keys in remote pubkeys
 * (IKEv1 verifies RSA signatures only, RFC 2409 §5.1). RSA keys shorter
 * than 2048 bits load with a warning (NIST SP 800-131A Rev. 2 §3).
 * Keys are generated per run into a 0700 temp folder.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { KeyPairKeyObjectResult } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText } from '../../../src/config/load.js';
import type { LoadResult } from '../../../src/config/load.js';
import { parsePrivateKey, parsePublicKey } from '../../../src/config/keys.js';
import type { KeyReader } from '../../../src/config/validate-common.js';

const dir = mkdtempSync(join(tmpdir(), 'kw-keychecks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CONF = join(dir, 'k.conf');

interface Files {
  readonly key: string;
  readonly pub: string;
}
function files(name: string, kp: KeyPairKeyObjectResult): Files {
  const key = `${name}.key.pem`;
  const pub = `${name}.pub.pem`;
  writeFileSync(join(dir, key), kp.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(join(dir, key), 0o600);
  writeFileSync(join(dir, pub), kp.publicKey.export({ type: 'spki', format: 'pem' }));
  return { key, pub };
}

const ours = files('ours', generateKeyPairSync('rsa', { modulusLength: 2048 }));
const peerRsa = files('peer-rsa', generateKeyPairSync('rsa', { modulusLength: 2048 }));
const peerEc = files('peer-ec', generateKeyPairSync('ec', { namedCurve: 'P-384' }));
const peerEd = files('peer-ed', generateKeyPairSync('ed25519'));
const short = files('short', generateKeyPairSync('rsa', { modulusLength: 1024 }));

/** Keys that neither IKE version can use, with what the message must say about them. */
const UNUSABLE: readonly { name: string; f: Files; says: RegExp }[] = [
  { name: 'EC brainpoolP256r1', f: files('bp', generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' })), says: /an EC key on curve brainpoolP256r1; Keyway signs and verifies with RSA, ECDSA P-256\/P-384\/P-521 and Ed25519 keys/ },
  { name: 'EC secp256k1', f: files('k1', generateKeyPairSync('ec', { namedCurve: 'secp256k1' })), says: /an EC key on curve secp256k1; Keyway signs and verifies with RSA, ECDSA P-256\/P-384\/P-521 and Ed25519/ },
  { name: 'Ed448', f: files('ed448', generateKeyPairSync('ed448')), says: /an Ed448 key; Keyway signs and verifies with RSA, ECDSA P-256\/P-384\/P-521 and Ed25519/ },
  { name: 'DSA', f: files('dsa', generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 })), says: /a DSA key; Keyway signs and verifies with RSA, ECDSA P-256\/P-384\/P-521 and Ed25519/ },
  { name: 'RSASSA-PSS-only RSA', f: files('pss', generateKeyPairSync('rsa-pss', { modulusLength: 2048 })), says: /an RSASSA-PSS-restricted RSA key \(id-RSASSA-PSS\), not a plain RSA \(rsaEncryption\) key; Keyway signs and verifies with RSA, ECDSA/ },
  { name: 'X25519', f: files('x25519', generateKeyPairSync('x25519')), says: /an X25519 key-agreement key, which cannot sign; Keyway signs and verifies with RSA/ },
];

/** local at line 5, remote pubkeys at line 11 (value at column 17), secrets' first `file` at line 17 (value at column 12). */
const conf = (version: number, local: string, remote: string, secrets = ''): string => `connections {
  c {
    version = ${version}
    remote_addrs = 192.0.2.2
    local {
      auth = pubkey
      ${local}
    }
    remote {
      auth = pubkey
      pubkeys = ${remote}
    }
  }
}
secrets {
  private-x {
    file = ${secrets === '' ? ours.key : secrets}
  }
}
`;
const load = (text: string): LoadResult => loadConfigText(text, CONF);
function loaded(text: string): LoadResult {
  const r = load(text);
  assert.deepEqual(r.errors.map((e) => e.message), []);
  assert.ok(r.config);
  return r;
}
function failed(text: string): LoadResult['errors'] {
  const r = load(text);
  assert.equal(r.config, undefined, 'no config when there are errors');
  assert.ok(r.errors.length > 0);
  return r.errors;
}

describe('unusable key types are config errors at the line of the key', () => {
  for (const { name, f, says } of UNUSABLE) {
    test(`${name}: in remote pubkeys, as a secrets private key, as private_key`, () => {
      for (const version of [0, 1, 2]) {
        const [e, ...more] = failed(conf(version, `pubkeys = ${ours.pub}`, f.pub));
        assert.equal(more.length, 0, more.map((x) => x.message).join('\n'));
        assert.deepEqual([e?.file, e?.line, e?.column], [CONF, 11, 17]);
        assert.match(e?.message ?? '', new RegExp(`cannot load the public key '${f.pub.replace('.', '\\.')}' for 'connections\\.c\\.remote\\.pubkeys': `));
        assert.match(e?.message ?? '', says);
        assert.ok((e?.hint ?? '').length > 0, 'a fix hint');
      }
      const [s, ...sMore] = failed(conf(2, `pubkeys = ${ours.pub}`, peerRsa.pub, f.key));
      assert.deepEqual([s?.line, s?.column], [17, 12], [s, ...sMore].map((x) => x?.message).join('\n'));
      assert.match(s?.message ?? '', /cannot load the private key '.*' for 'secrets\.private-x\.file': /);
      assert.match(s?.message ?? '', says);
      const [p] = failed(conf(2, `private_key = ${f.key}`, peerRsa.pub));
      assert.deepEqual([p?.line, p?.column], [7, 21]);
      assert.match(p?.message ?? '', says);
    });
  }

  test('hints say how to make a key Keyway can use', () => {
    const hint = (f: Files): string => failed(conf(2, `pubkeys = ${ours.pub}`, f.pub))[0]?.hint ?? '';
    const [bp, , ed448, dsa, pss] = UNUSABLE.map((u) => u.f);
    assert.ok(bp && ed448 && dsa && pss);
    assert.match(hint(bp), /openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256/);
    assert.match(hint(ed448), /openssl genpkey -algorithm ED25519/);
    assert.match(hint(dsa), /openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072/);
    assert.match(hint(pss), /openssl genpkey -algorithm RSA /);
  });

  test('the reader itself refuses them (parsePublicKey / parsePrivateKey), and never shows key bytes', () => {
    const kp = generateKeyPairSync('ec', { namedCurve: 'brainpoolP384r1' });
    const spki = kp.publicKey.export({ type: 'spki', format: 'der' });
    const pub = parsePublicKey('/k/bp.pub', spki);
    assert.equal(pub.ok, false);
    assert.match(pub.ok ? '' : pub.reason, /^\/k\/bp\.pub holds an EC key on curve brainpoolP384r1;/);
    const pkcs8 = kp.privateKey.export({ type: 'pkcs8', format: 'der' });
    const priv = parsePrivateKey('/k/bp.key', pkcs8, undefined);
    assert.equal(priv.ok, false);
    const text = priv.ok ? '' : `${priv.reason} ${priv.hint}`;
    assert.match(text, /brainpoolP384r1/);
    assert.ok(!text.includes(pkcs8.toString('base64').slice(20, 40)));
    for (const c of ['P-256', 'P-384', 'P-521'] as const) {
      assert.equal(parsePublicKey('/k/ok', generateKeyPairSync('ec', { namedCurve: c }).publicKey.export({ type: 'spki', format: 'der' })).ok, true, c);
    }
  });
});

describe('version = 1: remote pubkeys must be RSA (IKEv1 verifies RSA signatures only)', () => {
  for (const [name, f, type] of [['EC P-384', peerEc, 'ec'], ['Ed25519', peerEd, 'ed25519']] as const) {
    test(`${name} public key in remote pubkeys: error at the key for version = 1, fine for 2 and 0`, () => {
      const errs = failed(conf(1, `pubkeys = ${ours.pub}`, `${peerRsa.pub}, ${f.pub}`));
      assert.equal(errs.length, 1, errs.map((x) => x.message).join('\n'));
      const [e] = errs;
      assert.deepEqual([e?.line, e?.column], [11, 17 + peerRsa.pub.length + 2]);
      assert.match(e?.message ?? '', new RegExp(`'connections\\.c\\.remote\\.pubkeys' names an? ${type === 'ec' ? 'EC' : 'Ed25519'} key \\('${f.pub.replace('.', '\\.')}'\\); connections with version = 1 verify RSA signatures only \\(IKEv1, RFC 2409 §5\\.1\\)`));
      assert.match(e?.hint ?? '', /RSA public key.*or set version = 2/);
      loaded(conf(2, `pubkeys = ${ours.pub}`, `${peerRsa.pub}, ${f.pub}`));
      loaded(conf(0, `pubkeys = ${ours.pub}`, f.pub));
    });
  }

  test('a local round of a version = 1 connection may name other public keys; it signs with the RSA one', () => {
    loaded(conf(1, `pubkeys = ${peerEc.pub}, ${ours.pub}`, peerRsa.pub));
  });
});

describe('RSA keys shorter than 2048 bits: a warning, not an error', () => {
  test('in remote pubkeys and as our private key: one warning each, at the line of the key', () => {
    const r = loaded(conf(2, `private_key = ${short.key}`, short.pub));
    assert.deepEqual(r.warnings.length, 2, r.warnings.join('\n'));
    const [priv, pub] = [r.warnings.find((w) => w.includes(short.key)), r.warnings.find((w) => w.includes(short.pub))];
    assert.match(priv ?? '', new RegExp(`^${CONF.replace(/[.]/g, '\\.')}:7: warning: 'connections\\.c\\.local\\.private_key' is a 1024-bit RSA key \\(.*short\\.key\\.pem\\); NIST SP 800-131A allows RSA signatures from 2048 bits`));
    assert.match(pub ?? '', /:11: warning: 'connections\.c\.remote\.pubkeys' is a 1024-bit RSA key \(.*short\.pub\.pem\)/);
    const s = loaded(conf(1, `pubkeys = ${short.pub}`, peerRsa.pub, short.key));
    assert.equal(s.warnings.length, 1, s.warnings.join('\n'));
    assert.match(s.warnings[0] ?? '', /:17: warning: 'secrets\.private-x\.file' is a 1024-bit RSA key/);
  });

  test('2048 bits and up, EC and Ed25519: no warning', () => {
    assert.deepEqual(loaded(conf(2, `pubkeys = ${ours.pub}`, `${peerRsa.pub}, ${peerEc.pub}, ${peerEd.pub}`)).warnings, []);
  });

  test('a key reader that returns DER the validator cannot parse gets no warning and no crash', () => {
    // a length that overruns, and a SEQUENCE that is not an SPKI
    for (const bad of [new Uint8Array([0x30, 0x82, 0xff, 0x01]), new Uint8Array([0x30, 0x03, 0x30, 0x01, 0x00])]) {
      const fake: KeyReader = {
        readPrivateKey: (file) => ({ ok: true, key: { file, der: new Uint8Array([9]), publicDer: bad, keyType: 'rsa' } }),
        readPublicKey: (file) => ({ ok: true, key: { file, der: bad, keyType: 'rsa' } }),
      };
      const r = loadConfigText(conf(2, 'pubkeys = a.pub', 'b.pub', 'a.key'), CONF, { keys: fake });
      assert.deepEqual(r.errors.map((e) => e.message), []);
      assert.deepEqual(r.warnings, []);
    }
  });
});
