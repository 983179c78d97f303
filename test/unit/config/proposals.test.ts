import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultEspProposals,
  defaultIkeProposals,
  formatProposal,
  parseProposals,
} from '../../../src/config/proposals.js';
import { ConfigError } from '../../../src/util/errors.js';

// Expected IDs are the IANA IKEv2 registry values (RFC 7296 §3.3.2, RFC 4106,
// RFC 7634, RFC 8031), written as literals on purpose: they must not be derived
// from the code under test.
const W = { file: 'p.conf', line: 7, column: 17 };

function err(text: string, kind: 'ike' | 'esp'): ConfigError {
  try {
    parseProposals(text, kind, W);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e;
  }
  assert.fail(`expected ConfigError for ${text}`);
}

describe('IKE proposals', () => {
  test('CBC + HMAC: PRFs derived from integrity (strongSwan semantics)', () => {
    const [p, ...rest] = parseProposals('aes128-aes256-sha256-sha384-aesxcbc-x25519-ecp256-modp3072', 'ike', W);
    assert.equal(rest.length, 0);
    assert.ok(p);
    assert.deepEqual(p.encr, [{ id: 12, keyBits: 128 }, { id: 12, keyBits: 256 }]);
    assert.deepEqual(p.integ, [12, 13, 5]);
    assert.deepEqual(p.prf, [5, 6, 4]);
    assert.deepEqual(p.ke, [31, 19, 15]);
    assert.deepEqual(p.esn, []);
    assert.equal(p.text, 'aes128-aes256-sha256-sha384-aesxcbc-x25519-ecp256-modp3072');
  });

  test('explicit prf is not overridden by integrity', () => {
    const [p] = parseProposals('aes192ctr-sha512-prfsha1-modp2048', 'ike', W);
    assert.ok(p);
    assert.deepEqual(p.encr, [{ id: 13, keyBits: 192 }]);
    assert.deepEqual(p.integ, [14]);
    assert.deepEqual(p.prf, [2]);
    assert.deepEqual(p.ke, [14]);
  });

  test('AEAD with explicit prf, GCM ICV aliases', () => {
    const [p] = parseProposals('aes128gcm16-aes256gcm128-aes128gcm-aes192gcm12-aes256gcm96-aes128gcm8-aes256gcm64-chacha20poly1305-prfsha384-curve25519-x448-ecp384bp', 'ike', W);
    assert.ok(p);
    assert.deepEqual(p.encr, [
      { id: 20, keyBits: 128 },
      { id: 20, keyBits: 256 },
      { id: 19, keyBits: 192 },
      { id: 19, keyBits: 256 },
      { id: 18, keyBits: 128 },
      { id: 18, keyBits: 256 },
      { id: 28 },
    ]);
    assert.deepEqual(p.integ, []);
    assert.deepEqual(p.prf, [6]);
    assert.deepEqual(p.ke, [31, 32, 29]);
  });

  test('several proposals and default expansion', () => {
    const ps = parseProposals('aes256-sha256-ecp521, default', 'ike', W);
    assert.equal(ps.length, 1 + defaultIkeProposals().length);
    assert.deepEqual(ps[0]?.ke, [21]);
  });

  test('3des, sha1, modp groups, brainpool', () => {
    const [p] = parseProposals('3des-sha1-modp4096-modp6144-modp8192-ecp256bp-ecp512bp', 'ike', W);
    assert.ok(p);
    assert.deepEqual(p.encr, [{ id: 3 }]);
    assert.deepEqual(p.prf, [2]);
    assert.deepEqual(p.ke, [16, 17, 18, 28, 30]);
  });

  test('AEAD without prf is an error with a hint', () => {
    const e = err('aes128gcm16-x25519', 'ike');
    assert.match(e.message, /AEAD proposal needs a prf keyword, e\.g\. prfsha256/);
  });
  test('mixing AEAD and non-AEAD is an error', () => {
    assert.match(err('aes128gcm16-aes128-sha256-prfsha256-x25519', 'ike').message, /mixes AEAD/);
  });
  test('AEAD with integrity is an error', () => {
    assert.match(err('aes128gcm16-sha256-prfsha256-x25519', 'ike').message, /'sha256' cannot be combined with AEAD/);
  });
  test('IKE without KE, without integrity, with null, with esn', () => {
    assert.match(err('aes128-sha256', 'ike').message, /at least one key exchange/);
    assert.match(err('aes128-x25519', 'ike').message, /needs an integrity algorithm/);
    assert.match(err('null-sha256-x25519', 'ike').message, /only allowed in ESP/);
    assert.match(err('aes128-sha256-x25519-esn', 'ike').message, /only allowed in ESP/);
    assert.match(err('sha256-x25519', 'ike').message, /no encryption algorithm/);
  });
  test('unknown keyword: named, with column and the valid list', () => {
    const e = err('aes128-sha256-x25519, aes256-sha257-ecp256', 'ike');
    assert.match(e.message, /unknown IKE proposal keyword 'sha257'/);
    assert.equal(e.line, 7);
    assert.equal(e.column, 17 + 'aes128-sha256-x25519, aes256-'.length);
    assert.match(e.hint ?? '', /sha256/);
    assert.match(e.hint ?? '', /prfsha256/);
    assert.match(e.hint ?? '', /x25519/);
  });
  test('empty proposal in list', () => {
    assert.match(err('aes128-sha256-x25519,,', 'ike').message, /empty proposal/);
  });
});

describe('ESP proposals', () => {
  test('AEAD, no PFS, noesn default', () => {
    const [p] = parseProposals('aes256gcm16', 'esp', W);
    assert.ok(p);
    assert.deepEqual(p.encr, [{ id: 20, keyBits: 256 }]);
    assert.deepEqual(p.integ, []);
    assert.deepEqual(p.prf, []);
    assert.deepEqual(p.ke, []);
    assert.deepEqual(p.esn, [0]);
  });
  test('CBC + integrity + PFS + esn', () => {
    const [p] = parseProposals('aes128-sha256-sha2_384-aescmac-ecp256-esn-noesn', 'esp', W);
    assert.ok(p);
    assert.deepEqual(p.integ, [12, 13, 8]);
    assert.deepEqual(p.ke, [19]);
    assert.deepEqual(p.esn, [1, 0]);
  });
  test('null encryption is allowed with integrity', () => {
    const [p] = parseProposals('null-sha256', 'esp', W);
    assert.deepEqual(p?.encr, [{ id: 11 }]);
  });
  test('errors: missing integrity, prf in ESP', () => {
    assert.match(err('aes128', 'esp').message, /needs an integrity algorithm/);
    assert.match(err('aes128gcm16-prfsha256', 'esp').message, /not allowed in ESP/);
  });
});

describe('defaults and formatting', () => {
  test('defaults avoid 3DES, SHA-1 and small groups', () => {
    for (const p of [...defaultIkeProposals(), ...defaultEspProposals()]) {
      assert.ok(!p.encr.some((e) => e.id === 3), p.text);
      assert.ok(!p.integ.includes(2) && !p.prf.includes(2), p.text);
      assert.ok(p.ke.every((k) => k >= 15), p.text);
    }
    assert.deepEqual(defaultIkeProposals()[0]?.prf, [5, 6]);
    assert.deepEqual(defaultIkeProposals()[1]?.prf, [5, 6]);
    assert.deepEqual(defaultEspProposals()[1]?.integ, [12, 13]);
  });

  test('formatProposal is canonical and parses back to the same spec', () => {
    const cases: [string, 'ike' | 'esp', string][] = [
      ['aes128gcm-prfsha256-curve25519', 'ike', 'aes128gcm16-prfsha256-x25519'],
      ['aes256-sha2_256-modp3072', 'ike', 'aes256-sha256-prfsha256-modp3072'],
      ['aes128gcm64-ecp256', 'esp', 'aes128gcm8-ecp256'],
      ['aes128-sha1-esn', 'esp', 'aes128-sha1-esn'],
      ['aes128-sha256-noesn', 'esp', 'aes128-sha256'],
    ];
    for (const [input, kind, canon] of cases) {
      const [p] = parseProposals(input, kind, W);
      assert.ok(p);
      assert.equal(formatProposal(p), canon);
      const [q] = parseProposals(canon, kind, W);
      assert.ok(q);
      assert.deepEqual({ ...q, text: '' }, { ...p, text: '' });
    }
  });
});
