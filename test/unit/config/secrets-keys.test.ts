/**
 * Private keys in the config: swanctl.conf(5) secrets rsa/ecdsa/pkcs8/private-<name>
 * { file secret }, the local round's `pubkeys` picking the private key it signs
 * with, Keyway's `private_key` shorthand, and the rules around them (positions,
 * hints, passphrases never shown, file modes). Keys are generated per run.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../../helpers/paths.js';
import { loadConfigFile, loadConfigText } from '../../../src/config/load.js';
import type { LoadResult } from '../../../src/config/load.js';
import type { KeyReader } from '../../../src/config/validate-common.js';

const dir = mkdtempSync(join(tmpdir(), 'kw-seckeys-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const CONF = join(dir, 'k.conf');
const PASS = 'Sw0rdfish-passphrase-7741';

function write(name: string, data: string | Buffer, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, data, { mode });
  chmodSync(p, mode);
  return p;
}
const der = (k: KeyObject, type: 'pkcs8' | 'spki'): Uint8Array => new Uint8Array(k.export({ type, format: 'der' }));

interface Pair {
  readonly key: string;
  readonly pub: string;
  readonly pkcs8: Uint8Array;
}
function pair(name: string, kind: 'rsa' | 'ec', passphrase?: string): Pair {
  const kp = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = passphrase === undefined
    ? kp.privateKey.export({ type: kind === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' })
    : kp.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase });
  write(`${name}.key.pem`, pem);
  write(`${name}.pub.pem`, kp.publicKey.export({ type: 'spki', format: 'pem' }), 0o644);
  return { key: `${name}.key.pem`, pub: `${name}.pub.pem`, pkcs8: der(kp.privateKey, 'pkcs8') };
}
const ours = pair('ours', 'rsa');
const other = pair('other', 'rsa');
const peer = pair('peer', 'rsa');
const sealed = pair('sealed', 'rsa', PASS);
const ecKey = pair('eckey', 'ec');

/** local { auth = pubkey <local> } at line 5, column 5; secrets after the connection. */
const conf = (local: string, secrets: string): string => `connections {
  c {
    version = 1
    remote_addrs = 192.0.2.2
    local {
      auth = pubkey
      ${local}
    }
    remote {
      auth = pubkey
      pubkeys = ${peer.pub}
    }
  }
}
secrets {
${secrets}
}
`;
const sec = (name: string, body: string): string => `  ${name} {\n    ${body.split('\n').join('\n    ')}\n  }`;

const load = (text: string): LoadResult => loadConfigText(text, CONF);
function loaded(text: string): NonNullable<LoadResult['config']> {
  const r = load(text);
  assert.deepEqual(r.errors.map((e) => e.message), []);
  assert.ok(r.config);
  return r.config;
}
function failed(text: string): LoadResult['errors'] {
  const r = load(text);
  assert.equal(r.config, undefined, 'no config when there are errors');
  assert.ok(r.errors.length > 0);
  return r.errors;
}

describe('secrets: private keys selected by the local round\'s pubkeys', () => {
  test('pubkeys names our public key; the secrets key with the same public key signs', () => {
    const c = loaded(conf(`pubkeys = ${ours.pub}`, [sec('rsa-other', `file = ${other.key}`), sec('rsa-ours', `file = ${ours.key}`)].join('\n')));
    const local = c.connections[0]?.local[0];
    assert.deepEqual(local?.privateKey, { file: join(dir, ours.key), der: ours.pkcs8 });
    assert.deepEqual(local?.pubkeys?.map((p) => p.file), [join(dir, ours.pub)]);
    assert.deepEqual(c.privateKeys.map((k) => [k.name, k.keyType, k.hasPassphrase, k.line]), [['rsa-other', 'rsa', false, 16], ['rsa-ours', 'rsa', false, 19]]);
    assert.deepEqual(c.privateKeys[1]?.der, ours.pkcs8);
  });

  test('the secrets section may come before the connections', () => {
    const text = conf(`pubkeys = ${ours.pub}`, sec('pkcs8-x', `file = ${ours.key}`));
    const i = text.indexOf('secrets {');
    const c = loaded(text.slice(i) + text.slice(0, i));
    assert.deepEqual(c.connections[0]?.local[0]?.privateKey?.der, ours.pkcs8);
  });

  test('an encrypted key with its passphrase (private-<name>): loads, counts as a secret', () => {
    const c = loaded(conf(`pubkeys = ${sealed.pub}`, sec('private-sealed', `file = ${sealed.key}\nsecret = "${PASS}"`)));
    assert.deepEqual(c.connections[0]?.local[0]?.privateKey?.der, sealed.pkcs8);
    assert.equal(c.privateKeys[0]?.hasPassphrase, true);
    assert.ok(!JSON.stringify(c.privateKeys).includes(PASS), 'the passphrase is not kept');
  });

  test('wrong or missing passphrase: error at the file value, passphrase never in any message', () => {
    const wrong = failed(conf(`pubkeys = ${sealed.pub}`, sec('private-sealed', `file = ${sealed.key}\nsecret = ${PASS}x`)));
    assert.equal(wrong.length, 1, wrong.map((e) => e.message).join('\n'));
    assert.deepEqual([wrong[0]?.line, wrong[0]?.column], [17, 12]);
    assert.match(wrong[0]?.message ?? '', /cannot load the private key 'sealed\.key\.pem' for 'secrets\.private-sealed\.file': wrong passphrase/);
    const none = failed(conf(`pubkeys = ${sealed.pub}`, sec('private-sealed', `file = ${sealed.key}`)));
    assert.match(none[0]?.message ?? '', /encrypted and no passphrase is configured/);
    const short = failed(conf(`private_key = ${sealed.key}`, ''));
    assert.match(short[0]?.message ?? '', /'connections\.c\.local\.private_key': the key is encrypted/);
    assert.match(short[0]?.hint ?? '', /private-<name>/);
    for (const e of [...wrong, ...none, ...short]) assert.ok(!e.message.includes(PASS), e.message);
  });

  test('no secrets key matches the pubkeys: error at the local section, hint shows both ways', () => {
    const errs = failed(conf(`pubkeys = ${ours.pub}`, sec('rsa-other', `file = ${other.key}`)));
    assert.equal(errs.length, 1);
    const e = errs[0];
    assert.deepEqual([e?.file, e?.line, e?.column], [CONF, 5, 5]);
    assert.match(e?.message ?? '', /'connections\.c\.local' uses auth = pubkey, but no private key in secrets matches its pubkeys \(.*ours\.pub\.pem\)/);
    assert.match(e?.hint ?? '', /pubkeys = ours\.pub\.pem .*secrets \{ rsa-ours \{ file = ours\.key\.pem \} \}.*private_key = ours\.key\.pem/);
  });

  test('auth = pubkey with neither pubkeys nor private_key: error at the local section', () => {
    const errs = failed(conf('id = @me', ''));
    assert.deepEqual([errs[0]?.line, errs[0]?.column], [5, 5]);
    assert.match(errs[0]?.message ?? '', /uses auth = pubkey but names no key to sign with/);
    assert.match(errs[0]?.hint ?? '', /pubkeys = .*or write private_key = /);
  });

  test('private_key shorthand: works alone; with pubkeys it must match one of them', () => {
    const c = loaded(conf(`private_key = ${ours.key}`, ''));
    assert.deepEqual(c.connections[0]?.local[0]?.privateKey, { file: join(dir, ours.key), der: ours.pkcs8 });
    loaded(conf(`private_key = ${ours.key}\n      pubkeys = ${other.pub}, ${ours.pub}`, ''));
    const errs = failed(conf(`private_key = ${ours.key}\n      pubkeys = ${other.pub}`, ''));
    assert.match(errs[0]?.message ?? '', /'connections\.c\.local\.private_key' does not belong to any key in 'connections\.c\.local\.pubkeys'/);
    assert.equal(errs[0]?.line, 7);
  });

  test('a local round that would sign with a non-RSA key is an error (IKEv1 signs with RSA only)', () => {
    const viaSecrets = failed(conf(`pubkeys = ${ecKey.pub}`, sec('ecdsa-mine', `file = ${ecKey.key}`)));
    assert.match(viaSecrets[0]?.message ?? '', /would sign with a ec key .*RSA keys only for now \(IKEv1 RSA signatures/);
    assert.equal(viaSecrets[0]?.line, 5);
    const viaShorthand = failed(conf(`private_key = ${ecKey.key}`, ''));
    assert.match(viaShorthand[0]?.message ?? '', /RSA keys only/);
    // loaded but unused: fine
    loaded(conf(`pubkeys = ${ours.pub}`, [sec('rsa-ours', `file = ${ours.key}`), sec('ecdsa-spare', `file = ${ecKey.key}`)].join('\n')));
  });

  test('the section type must fit the key: rsa- takes RSA, ecdsa- takes EC', () => {
    const a = failed(conf(`pubkeys = ${ours.pub}`, [sec('rsa-ours', `file = ${ours.key}`), sec('rsa-ec', `file = ${ecKey.key}`)].join('\n')));
    assert.equal(a.length, 1, 'the mismatch only, no follow-up error');
    assert.match(a[0]?.message ?? '', /'secrets\.rsa-ec\.file' holds a ec key, but a rsa<suffix> section takes rsa keys/);
    assert.match(a[0]?.hint ?? '', /private-ec/);
    const b = failed(conf(`pubkeys = ${ours.pub}`, sec('ecdsa-x', `file = ${ours.key}`)));
    assert.match(b[0]?.message ?? '', /holds a rsa key, but a ecdsa<suffix> section takes ec keys/);
  });

  test('pkcs12 is "not supported yet"; file is required; unknown keys hide their names', () => {
    const p12 = failed(conf(`private_key = ${ours.key}`, sec('pkcs12-x', 'file = x.p12')));
    assert.match(p12[0]?.message ?? '', /secret type 'pkcs12' is not supported yet/);
    assert.match(p12[0]?.hint ?? '', /openssl pkcs12 .*pkcs8-<name>/);
    const noFile = failed(conf(`private_key = ${ours.key}`, sec('rsa-x', `secret = ${PASS}`)));
    assert.match(noFile[0]?.message ?? '', /'secrets\.rsa-x\.file' is missing/);
    assert.deepEqual([noFile[0]?.line, noFile[0]?.column], [16, 3]);
    const stray = failed(conf(`private_key = ${ours.key}`, sec('rsa-x', `file = ${ours.key}\n${PASS}x = 1`)));
    assert.match(stray[0]?.message ?? '', /unknown key 'secrets\.rsa-x\.\(name not shown inside secrets\)'/);
    for (const e of [...noFile, ...stray]) assert.ok(!e.message.includes(PASS), e.message);
  });

  test('key file problems are errors at the value that names the file', () => {
    write('loose.key.pem', readFileSync(join(dir, ours.key)), 0o644);
    const loose = failed(conf('pubkeys = ours.pub.pem', sec('rsa-loose', 'file = loose.key.pem')));
    assert.deepEqual([loose[0]?.line, loose[0]?.column], [17, 12]);
    assert.match(loose[0]?.message ?? '', /readable by group or others/);
    assert.equal(loose[0]?.hint, `chmod 600 ${join(dir, 'loose.key.pem')}`);
    const missing = failed(conf(`pubkeys = ${ours.pub}, gone.pub.pem`, sec('rsa-ours', `file = ${ours.key}`)));
    assert.deepEqual([missing[0]?.line, missing[0]?.column], [7, 17 + ours.pub.length + 2]);
    assert.match(missing[0]?.message ?? '', /cannot load the public key 'gone\.pub\.pem' for 'connections\.c\.local\.pubkeys': no such file: .*gone\.pub\.pem \(ENOENT\)/);
    const notKey = failed(conf(`pubkeys = ${ours.pub}`, sec('private-x', `file = ${ours.pub}`)));
    assert.match(notKey[0]?.message ?? '', /holds PEM 'PUBLIC KEY', not a private key/);
  });

  test('a config file with a key passphrase must not be world-readable; without one it may be', () => {
    const p = join(dir, 'pass.conf');
    writeFileSync(p, conf(`pubkeys = ${sealed.pub}`, sec('private-sealed', `file = ${sealed.key}\nsecret = "${PASS}"`)));
    chmodSync(p, 0o644);
    const r = loadConfigFile(p);
    assert.equal(r.config, undefined);
    assert.match(r.errors[0]?.message ?? '', /contains secrets but is world-readable/);
    assert.equal(r.errors[0]?.line, 16);
    assert.equal(r.errors[0]?.hint, `chmod 600 ${p}`);
    chmodSync(p, 0o600);
    assert.deepEqual(loadConfigFile(p).errors, []);
    const q = join(dir, 'nopass.conf');
    writeFileSync(q, conf(`pubkeys = ${ours.pub}`, sec('rsa-ours', `file = ${ours.key}`)));
    chmodSync(q, 0o644);
    assert.deepEqual(loadConfigFile(q).errors, [], 'the key file is private; the config names it only');
  });
});

describe('the validator reads keys only through the KeyReader port', () => {
  test('a fake reader gets the paths as written and the passphrase; nothing touches the disk', () => {
    const calls: string[] = [];
    const spki = new Uint8Array([1, 2, 3]);
    const fake: KeyReader = {
      readPrivateKey(file, passphrase) {
        calls.push(`private ${file} ${passphrase === undefined ? '-' : new TextDecoder().decode(passphrase)}`);
        return { ok: true, key: { file: `/fake/${file}`, der: new Uint8Array([9]), publicDer: spki, keyType: 'rsa' } };
      },
      readPublicKey(file) {
        calls.push(`public ${file}`);
        return file === 'missing.pem' ? { ok: false, reason: 'nope', hint: 'h' } : { ok: true, key: { file: `/fake/${file}`, der: spki, keyType: 'rsa' } };
      },
    };
    const text = conf('pubkeys = mine.pub', sec('private-m', 'file = nowhere/m.key\nsecret = "p w"')).replace(peer.pub, 'theirs.pub');
    const r = loadConfigText(text, '/does/not/exist.conf', { keys: fake });
    assert.deepEqual(r.errors.map((e) => e.message), []);
    assert.deepEqual(calls, ['private nowhere/m.key p w', 'public mine.pub', 'public theirs.pub']);
    assert.deepEqual(r.config?.connections[0]?.local[0]?.privateKey, { file: '/fake/nowhere/m.key', der: new Uint8Array([9]) });
    const bad = loadConfigText(text.replace('theirs.pub', 'missing.pem'), 'x.conf', { keys: fake });
    assert.match(bad.errors[0]?.message ?? '', /cannot load the public key 'missing\.pem' for 'connections\.c\.remote\.pubkeys': nope \(hint: h\)/);
  });

  test('validate*.ts (and every config module but load.ts and keys.ts) import neither node:fs nor node:crypto', () => {
    const src = repoPath('src/config');
    const files = readdirSync(src).filter((f) => f.endsWith('.ts'));
    assert.ok(files.filter((f) => f.startsWith('validate')).length >= 4);
    for (const f of files) {
      const text = readFileSync(join(src, f), 'utf8');
      const touches = /from '(node:)?(fs|fs\/promises|crypto|child_process)'|require\(/.test(text);
      assert.equal(touches, f === 'load.ts' || f === 'keys.ts', `${f}`);
      if (f.startsWith('validate')) {
        assert.ok(!/from '(node:)?path'/.test(text), `${f}: paths are the reader's business`);
        assert.ok(!/^import \{[^}]*\} from '\.\/(keys|load)\.js'/m.test(text), `${f}: no runtime import of keys.ts/load.ts`);
      }
    }
  });
});

describe('docs/config.md', () => {
  test('the private key example loads with keys generated for it', () => {
    const md = readFileSync(repoPath('docs/config.md'), 'utf8');
    const example = [...md.matchAll(/```conf\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((t) => t.includes('private-'));
    assert.ok(example, 'a ```conf block with a private-<name> secret');
    const d = mkdtempSync(join(dir, 'doc-'));
    const passphrase = /secret = "([^"]*)"/.exec(example)?.[1] ?? '';
    const own = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const theirs = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(d, 'a.key.pem'), own.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }), { mode: 0o600 });
    writeFileSync(join(d, 'a.pub.pem'), own.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(d, 'b.pub.pem'), theirs.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(d, 'keyway.conf'), example, { mode: 0o600 });
    const r = loadConfigFile(join(d, 'keyway.conf'));
    assert.deepEqual(r.errors.map((e) => e.message), []);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.config?.connections[0]?.local[0]?.privateKey?.der, der(own.privateKey, 'pkcs8'));
  });
});
