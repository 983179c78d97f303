import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncrId, IntegId, KeId, PrfId, TransformType } from '../../../src/iana/ikev2.js';
import { formatIp, parseIp, prefixLengthOf } from '../../../src/policy/ip.js';
import { transformName } from '../../../src/policy/names.js';
import { wildcardMatch } from '../../../src/policy/ids.js';

describe('ip helpers', () => {
  test('parse and format IPv4/IPv6 (RFC 5952 canonical text)', () => {
    assert.deepEqual(parseIp('10.1.2.3'), { family: 4, value: 0x0a010203n });
    assert.equal(parseIp('256.1.1.1'), undefined);
    assert.equal(parseIp('1.2.3'), undefined);
    assert.equal(parseIp('vpn.example.com'), undefined);
    assert.equal(parseIp('1::2::3'), undefined);
    const v6 = parseIp('2001:DB8:0:0:1:0:0:1');
    assert.ok(v6);
    assert.equal(formatIp(6, v6.value), '2001:db8::1:0:0:1');
    assert.equal(formatIp(6, parseIp('::ffff:192.0.2.1')?.value ?? 0n), '::ffff:c000:201');
    assert.equal(formatIp(6, 0n), '::');
  });
  test('prefix detection', () => {
    assert.equal(prefixLengthOf(4, 0x0a000000n, 0x0affffffn), 8);
    assert.equal(prefixLengthOf(4, 0x0a000001n, 0x0a000009n), undefined);
    assert.equal(prefixLengthOf(4, 5n, 5n), 32);
  });
});

describe('transformName', () => {
  test('strongSwan-like readable names', () => {
    assert.equal(transformName(TransformType.ENCR, EncrId.ENCR_AES_CBC, 256), 'AES_CBC_256');
    assert.equal(transformName(TransformType.ENCR, EncrId.ENCR_AES_GCM_16, 128), 'AES_GCM_16_128');
    assert.equal(transformName(TransformType.ENCR, EncrId.ENCR_CHACHA20_POLY1305), 'CHACHA20_POLY1305');
    assert.equal(transformName(TransformType.PRF, PrfId.PRF_HMAC_SHA2_256), 'PRF_HMAC_SHA2_256');
    assert.equal(transformName(TransformType.INTEG, IntegId.AUTH_HMAC_SHA2_256_128), 'HMAC_SHA2_256_128');
    assert.equal(transformName(TransformType.INTEG, IntegId.AUTH_AES_XCBC_96), 'AES_XCBC_96');
    assert.equal(transformName(TransformType.KE, KeId.MODP_2048), 'MODP_2048');
    assert.equal(transformName(TransformType.KE, KeId.ECP_384), 'ECP_384');
    assert.equal(transformName(TransformType.KE, KeId.CURVE25519), 'CURVE_25519');
    assert.equal(transformName(TransformType.ESN, 0), 'NO_ESN');
    assert.equal(transformName(TransformType.ESN, 1), 'ESN');
    assert.equal(transformName(TransformType.ENCR, 999), 'ENCR_999');
    assert.equal(transformName(9, 3), 'TYPE_9_3');
  });
});

describe('wildcardMatch', () => {
  const e = new TextEncoder();
  test('matches, misses, and no blow-up on hostile input', () => {
    assert.ok(wildcardMatch(e.encode('*.example.com'), e.encode('a.b.EXAMPLE.com')));
    assert.ok(!wildcardMatch(e.encode('*.example.com'), e.encode('example.com')));
    assert.ok(wildcardMatch(e.encode('a*b*c'), e.encode('axxbyyc')));
    const t0 = Date.now();
    assert.ok(!wildcardMatch(e.encode('*a*a*a*a*a*a*a*a*b'), new Uint8Array(4000).fill(0x61)));
    assert.ok(Date.now() - t0 < 1000);
  });
});
