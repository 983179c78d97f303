import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { identityMatches, identityToString, parseIdentity } from '../../../src/config/identity.js';
import { ConfigError } from '../../../src/util/errors.js';

// ID types are the RFC 7296 §3.5 values written as literals:
// 1 IPV4_ADDR, 2 FQDN, 3 RFC822_ADDR, 5 IPV6_ADDR, 11 KEY_ID.
const W = { file: 'i.conf', line: 3, column: 10 };
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

describe('parseIdentity', () => {
  const cases: [string, number, Uint8Array][] = [
    ['192.0.2.1', 1, hex('c0000201')],
    ['2001:db8::1', 5, hex('20010db8000000000000000000000001')],
    ['::ffff:192.0.2.1', 5, hex('00000000000000000000ffffc0000201')],
    ['@vpn.example.com', 2, ascii('vpn.example.com')],
    ['vpn.example.com', 2, ascii('vpn.example.com')],
    ['@192.0.2.1', 2, ascii('192.0.2.1')],
    ['user@example.com', 3, ascii('user@example.com')],
    ['@#0a0B0c', 11, hex('0a0b0c')],
    ['keyid:#0a0b', 11, hex('0a0b')],
    ['keyid:my key', 11, ascii('my key')],
    ['fqdn:host', 2, ascii('host')],
    ['email:a@b', 3, ascii('a@b')],
    ['rfc822:a@b', 3, ascii('a@b')],
    ['ipv4:10.0.0.1', 1, hex('0a000001')],
    ['ipv6:::1', 5, hex('00000000000000000000000000000001')],
    ['*.example.com', 2, ascii('*.example.com')],
  ];
  for (const [text, type, data] of cases) {
    test(`${text} -> type ${type}`, () => {
      const id = parseIdentity(text, W);
      assert.equal(id.any, false);
      assert.equal(id.type, type);
      assert.deepEqual(id.data, data);
      assert.equal(id.text, text);
    });
  }

  test('%any', () => {
    const id = parseIdentity('%any', W);
    assert.equal(id.any, true);
    assert.equal(id.type, 0);
    assert.equal(id.data.length, 0);
  });

  const bad: [string, RegExp][] = [
    ['', /empty identity/],
    ['@#0a0', /not valid hex/],
    ['keyid:#zz', /not valid hex/],
    ['ipv4:300.1.1.1', /not a valid ipv4 address/],
    ['C=CH, O=strongSwan, CN=moon', /distinguished-name identity .* not supported yet/],
    ['asn1dn:#3000', /not supported yet/],
    ['2001:db8:::1', /neither an IPv6 address/],
    ['@', /has no data/],
  ];
  for (const [text, re] of bad) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseIdentity(text, W),
        (e: unknown) => e instanceof ConfigError && re.test(e.message) && e.line === 3 && e.column === 10,
      );
    });
  }
});

describe('identityToString', () => {
  test('each type', () => {
    assert.equal(identityToString(1, hex('c0000201')), '192.0.2.1');
    assert.equal(identityToString(5, hex('20010db8000000000000000000000001')), '2001:db8::1');
    assert.equal(identityToString(2, ascii('vpn.example.com')), '@vpn.example.com');
    assert.equal(identityToString(3, ascii('u@example.com')), 'u@example.com');
    assert.equal(identityToString(11, hex('0a0b')), 'keyid:#0a0b');
    assert.equal(identityToString(0, new Uint8Array(0)), '%any');
    assert.equal(identityToString(200, hex('ff')), 'id200:#ff');
  });

  test('hostile bytes are shown as hex, never raw', () => {
    assert.equal(identityToString(2, ascii('evil\n[fake log line]')), 'fqdn:#6576696c0a5b66616b65206c6f67206c696e655d');
    assert.equal(identityToString(3, hex('41e280ae42')), 'rfc822:#41e280ae42');
    assert.equal(identityToString(1, hex('c00002')), 'ipv4:#c00002');
    assert.equal(identityToString(5, hex('00')), 'ipv6:#00');
    const long = identityToString(2, new Uint8Array(5000).fill(0x41));
    assert.ok(long.length < 300, `length ${long.length}`);
    assert.match(long, /\(5000 bytes\)$/);
    for (let b = 0; b < 256; b++) {
      const s = identityToString(2, new Uint8Array([0x61, b]));
      // eslint-disable-next-line no-control-regex
      assert.ok(!/[\u0000-\u001f\u007f-\uffff]/.test(s), `byte ${b}: ${s}`);
    }
  });

  test('printed forms parse back to the same identity', () => {
    for (const text of ['192.0.2.1', '2001:db8::1', '@vpn.example.com', 'u@example.com', 'keyid:#0a0b']) {
      const id = parseIdentity(text, W);
      const back = parseIdentity(identityToString(id.type, id.data), W);
      assert.equal(back.type, id.type);
      assert.deepEqual(back.data, id.data);
    }
  });
});

describe('identityMatches', () => {
  const fqdn = parseIdentity('@vpn.example.com', W);
  test('exact, case-insensitive for FQDN, type must match', () => {
    assert.equal(identityMatches(fqdn, 2, ascii('vpn.example.com')), true);
    assert.equal(identityMatches(fqdn, 2, ascii('VPN.Example.COM')), true);
    assert.equal(identityMatches(fqdn, 3, ascii('vpn.example.com')), false);
    assert.equal(identityMatches(fqdn, 2, ascii('vpn.example.co')), false);
    const ip = parseIdentity('192.0.2.1', W);
    assert.equal(identityMatches(ip, 1, hex('c0000201')), true);
    assert.equal(identityMatches(ip, 1, hex('c0000202')), false);
  });
  test('%any matches everything', () => {
    const any = parseIdentity('%any', W);
    assert.equal(identityMatches(any, 11, hex('00')), true);
    assert.equal(identityMatches(any, 1, hex('c0000201')), true);
  });
  test('wildcards', () => {
    const dom = parseIdentity('*.example.com', W);
    assert.equal(identityMatches(dom, 2, ascii('a.example.com')), true);
    assert.equal(identityMatches(dom, 2, ascii('a.b.example.com')), true);
    assert.equal(identityMatches(dom, 2, ascii('.example.com')), false);
    assert.equal(identityMatches(dom, 2, ascii('aexample.com')), false);
    const mail = parseIdentity('*@example.com', W);
    assert.equal(mail.type, 3);
    assert.equal(identityMatches(mail, 3, ascii('joe@example.com')), true);
    assert.equal(identityMatches(mail, 3, ascii('joe@example.org')), false);
  });
});
