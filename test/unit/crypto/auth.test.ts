/** PSK AUTH (RFC 7296 §2.15), checked against the formula computed directly with node:crypto HMAC. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { PrfId } from '../../../src/iana/ikev2.js';
import { pskAuthData, signedOctets, verifyPskAuth } from '../../../src/crypto/auth.js';
import { createPrf } from '../../../src/crypto/prf.js';
import { hex, toHex } from './vectors.js';

const hmac = (k: Uint8Array | string, d: Uint8Array | string): Buffer => createHmac('sha256', k).update(d).digest();

describe('PSK AUTH (RFC 7296 §2.15)', () => {
  const prf = createPrf(PrfId.PRF_HMAC_SHA2_256);
  const msg = hex('0001020304050607'.repeat(10));
  const nonce = hex('aa'.repeat(32));
  const skP = hex('bb'.repeat(32));
  const idBody = new Uint8Array([2, 0, 0, 0, ...new TextEncoder().encode('west')]); // ID_FQDN "west"
  const psk = new TextEncoder().encode('a secret of some length');

  test('signed octets = RealMessage | Nonce | prf(SK_p, IDx\')', () => {
    const o = signedOctets(msg, nonce, prf, skP, idBody);
    assert.equal(toHex(o), toHex(msg) + toHex(nonce) + hmac(skP, idBody).toString('hex'));
  });
  test('AUTH = prf(prf(PSK, "Key Pad for IKEv2"), octets)', () => {
    const o = signedOctets(msg, nonce, prf, skP, idBody);
    const expect = hmac(hmac(psk, 'Key Pad for IKEv2'), o).toString('hex');
    assert.equal(toHex(pskAuthData(prf, psk, o)), expect);
  });
  test('verifyPskAuth accepts the right value and rejects others', () => {
    const o = signedOctets(msg, nonce, prf, skP, idBody);
    const a = pskAuthData(prf, psk, o);
    assert.equal(verifyPskAuth(prf, psk, o, a), true);
    const bad = Uint8Array.from(a);
    bad[0] = (bad[0] ?? 0) ^ 1;
    assert.equal(verifyPskAuth(prf, psk, o, bad), false);
    assert.equal(verifyPskAuth(prf, psk, o, a.subarray(0, 31)), false);
    assert.equal(verifyPskAuth(prf, new TextEncoder().encode('other'), o, a), false);
  });
});
