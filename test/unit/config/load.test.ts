import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { repoPath } from '../../helpers/paths.js';
import { loadConfigFile, loadConfigText } from '../../../src/config/load.js';
import { parseConfigText } from '../../../src/config/parser.js';
import { parseProposals } from '../../../src/config/proposals.js';
import { parseIdentity, identityToString } from '../../../src/config/identity.js';
import { parseTs } from '../../../src/config/ts.js';
import { ConfigError } from '../../../src/util/errors.js';

describe('loadConfigFile', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyway-config-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('a private file with secrets loads', () => {
    const p = join(dir, 'a.conf');
    copyFileSync(repoPath('test/fixtures/config/site-a.conf'), p);
    chmodSync(p, 0o600);
    const r = loadConfigFile(p);
    assert.deepEqual(r.errors, []);
    assert.equal(r.config?.connections[0]?.name, 'site-b');
    assert.equal(r.config?.file, p);
  });

  test('a world-readable file with secrets is refused with a chmod hint', () => {
    const p = join(dir, 'b.conf');
    copyFileSync(repoPath('test/fixtures/config/site-a.conf'), p);
    chmodSync(p, 0o644);
    const r = loadConfigFile(p);
    assert.equal(r.config, undefined);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]?.message ?? '', /contains secrets but is world-readable/);
    assert.equal(r.errors[0]?.hint, `chmod 600 ${p}`);
  });

  test('a world-readable file without secrets is fine', () => {
    const p = join(dir, 'c.conf');
    writeFileSync(p, 'daemon {\n  port = 1500\n}\n', { mode: 0o644 });
    chmodSync(p, 0o644);
    assert.equal(loadConfigFile(p).config?.daemon.port, 1500);
  });

  test('a missing file is a ConfigError, not an exception', () => {
    const r = loadConfigFile(join(dir, 'nope.conf'));
    assert.match(r.errors[0]?.message ?? '', /cannot read file \(ENOENT\)/);
  });

  test('a syntax error stops before validation and yields no config', () => {
    const r = loadConfigText('connections {\n', 'x.conf');
    assert.equal(r.config, undefined);
    assert.equal(r.errors.length, 1);
    assert.ok(r.errors[0] instanceof ConfigError);
  });
});

/** Only ConfigError may escape; anything else (TypeError, RangeError) is a bug. */
function onlyConfigError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
  }
}

describe('hostile input (property tests, time-boxed)', () => {
  const W = { file: 'r', line: 1, column: 1 };
  // strings biased towards the syntax's special characters, so the parser gets deep
  const tokenish = fc
    .array(
      fc.oneof(
        fc.constantFrom('{', '}', '=', '"', '\\', '#', '\n', ' ', ',', '-', '/', '[', ']', ':', '@', '%any', 'dynamic'),
        fc.constantFrom('connections', 'children', 'local', 'remote', 'secrets', 'ike-x', 'daemon', 'secret', 'id', 'auth', 'psk'),
        fc.constantFrom('proposals', 'esp_proposals', 'local_ts', 'remote_ts', 'rekey_time', 'start_action', 'start', 'include'),
        fc.constantFrom('aes128', 'sha256', 'x25519', 'aes128gcm16', 'prfsha256', '10.0.0.0/8', '::1', '0x', '0s', '4h', '1G'),
        fc.string({ maxLength: 6 }),
      ),
      { maxLength: 120 },
    )
    .map((parts) => parts.join(''));
  // a real config with random splices: reaches deep into validation, not just the lexer
  const sample = readFileSync(repoPath('test/fixtures/config/site-a.conf'), 'utf8');
  const mutated = fc
    .array(fc.tuple(fc.nat({ max: sample.length }), fc.nat({ max: 8 }), fc.oneof(tokenish, fc.string({ maxLength: 4 }))), {
      minLength: 1,
      maxLength: 4,
    })
    .map((edits) => edits.reduce((t, [at, del, ins]) => t.slice(0, at) + ins + t.slice(at + del), sample));
  const anyText = fc.oneof(fc.string({ maxLength: 300, unit: 'binary' }), tokenish, mutated);

  test('loadConfigText never throws and never half-applies', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const r = loadConfigText(text, 'r.conf');
        assert.ok(r.config === undefined || r.errors.length === 0);
        // while the secrets section is intact, the sample's secret must never leak into a message
        if (text.includes('\nsecrets {\n')) {
          const all = [...r.errors.map((e) => e.message), ...r.warnings].join('\n');
          assert.ok(!all.includes('l0ng'), all);
        }
        assert.ok(r.errors.every((e) => e instanceof ConfigError));
      }),
      { numRuns: 1_000_000, interruptAfterTimeLimit: 1500 },
    );
  });

  test('parser, proposals, identities and selectors throw only ConfigError', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        onlyConfigError(() => parseConfigText(text, 'r'));
        onlyConfigError(() => parseProposals(text, 'ike', W));
        onlyConfigError(() => parseProposals(text, 'esp', W));
        onlyConfigError(() => parseIdentity(text, W));
        onlyConfigError(() => parseTs(text, W));
      }),
      { numRuns: 1_000_000, interruptAfterTimeLimit: 1000 },
    );
  });

  test('identityToString is total and printable on random bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 300 }), fc.uint8Array({ maxLength: 600 }), (type, data) => {
        const s = identityToString(type, data);
        // eslint-disable-next-line no-control-regex
        assert.ok(!/[\u0000-\u001f\u007f-\uffff]/.test(s));
      }),
      { numRuns: 1_000_000, interruptAfterTimeLimit: 500 },
    );
  });

  test('a large adversarial file parses in bounded time', () => {
    const start = Date.now();
    const big = 'a {\n' + 'k'.repeat(200) + ' = ' + '"x'.repeat(1) + '\n';
    onlyConfigError(() => parseConfigText(big.repeat(20000), 'big'));
    const many = 'a { \n' + Array.from({ length: 50000 }, (_, i) => `k${i} = v\n`).join('') + '}\n';
    const ast = parseConfigText(many, 'many');
    assert.equal(ast.entries.length, 1);
    assert.ok(Date.now() - start < 5000, `took ${Date.now() - start} ms`);
  });
});
