import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncrId, IntegId, KeId, PrfId } from '../../../src/iana/ikev2.js';
import { encrDescriptor, integDescriptor, keDescriptor, prfDescriptor, supportedKeGroups } from '../../../src/crypto/registry.js';

describe('crypto registry', () => {
  test('AES needs KEY_LENGTH; fixed-key ciphers default', () => {
    assert.equal(encrDescriptor(EncrId.ENCR_AES_CBC), undefined);
    assert.equal(encrDescriptor(EncrId.ENCR_AES_CBC, 100), undefined);
    const cbc = encrDescriptor(EncrId.ENCR_AES_CBC, 256);
    assert.equal(cbc?.keyLength, 32);
    assert.equal(cbc?.ivLength, 16);
    assert.equal(cbc?.name, 'AES_CBC');
    const cc = encrDescriptor(EncrId.ENCR_CHACHA20_POLY1305);
    assert.equal(cc?.keyLength, 36); // RFC 7634 §2: 256-bit key + 32-bit salt
    assert.equal(cc?.defaultKeyBits, 256);
    assert.equal(encrDescriptor(EncrId.ENCR_CHACHA20_POLY1305, 128), undefined);
    assert.equal(encrDescriptor(EncrId.ENCR_3DES)?.keyLength, 24);
    assert.equal(encrDescriptor(EncrId.ENCR_NULL)?.ikeAllowed, false);
  });
  test('salted modes add 4 bytes of key material (RFC 5930, RFC 5282)', () => {
    assert.equal(encrDescriptor(EncrId.ENCR_AES_CTR, 128)?.keyLength, 20);
    const gcm = encrDescriptor(EncrId.ENCR_AES_GCM_16, 256);
    assert.deepEqual([gcm?.keyLength, gcm?.ivLength, gcm?.icvLength, gcm?.aead, gcm?.name], [36, 8, 16, true, 'AES_GCM_16']);
    assert.equal(encrDescriptor(EncrId.ENCR_AES_GCM_8, 128)?.icvLength, 8);
    assert.equal(encrDescriptor(EncrId.ENCR_AES_GCM_12, 192)?.keyLength, 28);
  });
  test('PRF and integrity sizes', () => {
    assert.deepEqual([prfDescriptor(PrfId.PRF_HMAC_SHA2_384)?.outputLength, prfDescriptor(PrfId.PRF_HMAC_SHA2_384)?.name], [48, 'PRF_HMAC_SHA2_384']);
    assert.equal(prfDescriptor(PrfId.PRF_AES128_XCBC)?.preferredKeyLength, 16);
    assert.equal(prfDescriptor(PrfId.PRF_HMAC_MD5), undefined);
    const i = integDescriptor(IntegId.AUTH_HMAC_SHA2_512_256);
    assert.deepEqual([i?.keyLength, i?.icvLength, i?.name], [64, 32, 'HMAC_SHA2_512_256']);
    assert.equal(integDescriptor(IntegId.AUTH_AES_XCBC_96)?.name, 'AES_XCBC_96');
    assert.equal(integDescriptor(IntegId.AUTH_HMAC_SHA1_96)?.icvLength, 12);
  });
  test('KE groups', () => {
    assert.equal(keDescriptor(KeId.MODP_2048)?.publicLength, 256);
    assert.equal(keDescriptor(KeId.MODP_2048)?.name, 'MODP_2048');
    assert.equal(keDescriptor(KeId.ECP_521)?.publicLength, 132);
    assert.equal(keDescriptor(KeId.ECP_384)?.name, 'ECP_384');
    assert.equal(keDescriptor(KeId.CURVE25519)?.name, 'CURVE_25519');
    assert.equal(keDescriptor(KeId.CURVE448)?.publicLength, 56);
    assert.equal(keDescriptor(KeId.BRAINPOOL_P512R1)?.publicLength, 128);
    assert.equal(keDescriptor(KeId.MODP_1024), undefined);
    assert.deepEqual([...supportedKeGroups].sort((a, b) => a - b), [14, 15, 16, 17, 18, 19, 20, 21, 28, 29, 30, 31, 32]);
  });
});
