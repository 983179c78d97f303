import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRules, rulesFor, sortForSending } from '../../../src/wire/ikev2/rules.js';
import { ExchangeType, NotifyType } from '../../../src/iana/ikev2.js';
import type { Payload } from '../../../src/wire/ikev2/types.js';
import { samplePayloads, sampleSk, sampleSkf } from './samples.js';

const byType = (t: number): Payload => {
  const p = samplePayloads.find((x) => x.type === t);
  assert.ok(p !== undefined);
  return p;
};
const SA = byType(33), KE = byType(34), IDI = byType(35), IDR = byType(36), CERT = byType(37), CERTREQ = byType(38);
const AUTH = byType(39), NONCE = byType(40), NOTIFY = byType(41), DEL = byType(42), VID = byType(43), TSI = byType(44), TSR = byType(45);
const COOKIE: Payload = { type: 41, critical: false, protocolId: 0, spi: new Uint8Array(0), notifyType: NotifyType.COOKIE, data: new Uint8Array(8) };
const unknown = (critical: boolean): Payload => ({ type: 'unknown', rawType: 200, critical, data: new Uint8Array(0) });
const { IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL } = ExchangeType;

describe('checkRules (ARCHITECTURE B1.3; RFC 7296 §1, §2.5, §3.14)', () => {
  test('valid exchanges pass', () => {
    assert.equal(checkRules(IKE_SA_INIT, false, [SA, KE, NONCE, NOTIFY, VID], null), null);
    assert.equal(checkRules(IKE_SA_INIT, true, [NOTIFY], null), null, 'error responses carry only a notify');
    assert.equal(checkRules(IKE_SA_INIT, true, [SA, KE, NONCE, CERTREQ], null), null);
    assert.equal(checkRules(IKE_AUTH, false, [sampleSk], [IDI, CERT, NOTIFY, CERTREQ, IDR, AUTH, SA, TSI, TSR]), null);
    assert.equal(checkRules(IKE_AUTH, true, [sampleSk], [IDR, CERT, AUTH, SA, TSI, TSR]), null);
    assert.equal(checkRules(CREATE_CHILD_SA, false, [sampleSk], [NOTIFY, SA, NONCE, KE, TSI, TSR]), null);
    assert.equal(checkRules(INFORMATIONAL, false, [sampleSkf], [DEL, NOTIFY]), null);
    assert.equal(checkRules(INFORMATIONAL, true, [sampleSk], []), null);
    assert.equal(checkRules(IKE_AUTH, false, [sampleSk], null), null, 'outer-only check before decryption');
  });
  test('payload that must be encrypted in the clear', () => {
    const v = checkRules(IKE_AUTH, false, [IDI, sampleSk], []);
    assert.equal(v?.code, 'IKE_ERR_RULE_NOT_ENCRYPTED');
    assert.equal(v?.payloadType, 35);
    assert.equal(v?.notify, NotifyType.INVALID_SYNTAX);
  });
  test('SK required outside IKE_SA_INIT, forbidden in it', () => {
    assert.equal(checkRules(INFORMATIONAL, false, [], null)?.code, 'IKE_ERR_RULE_SK_MISSING');
    assert.equal(checkRules(IKE_AUTH, false, [sampleSk, sampleSkf], null)?.code, 'IKE_ERR_RULE_TOO_MANY');
    assert.equal(checkRules(IKE_SA_INIT, false, [SA, sampleSk], null)?.code, 'IKE_ERR_RULE_NOT_ALLOWED');
    assert.equal(checkRules(IKE_SA_INIT, false, [SA], [])?.code, 'IKE_ERR_RULE_NOT_ALLOWED');
  });
  test('not allowed and too many', () => {
    assert.equal(checkRules(IKE_SA_INIT, false, [SA, DEL], null)?.payloadType, 42);
    assert.equal(checkRules(IKE_SA_INIT, false, [SA, SA], null)?.code, 'IKE_ERR_RULE_TOO_MANY');
    assert.equal(checkRules(IKE_AUTH, true, [sampleSk], [IDR, AUTH, AUTH])?.code, 'IKE_ERR_RULE_TOO_MANY');
    assert.equal(checkRules(INFORMATIONAL, false, [sampleSk], [SA])?.code, 'IKE_ERR_RULE_NOT_ALLOWED');
    assert.equal(checkRules(IKE_AUTH, false, [sampleSk], [sampleSk])?.code, 'IKE_ERR_RULE_NOT_ALLOWED');
  });
  test('too many notifies (cap 64)', () => {
    const ns = Array.from({ length: 65 }, () => NOTIFY);
    assert.equal(checkRules(IKE_SA_INIT, false, ns, null)?.code, 'IKE_ERR_RULE_TOO_MANY');
    assert.equal(checkRules(INFORMATIONAL, false, [sampleSk], ns)?.payloadType, 41);
    assert.equal(checkRules(INFORMATIONAL, false, [sampleSk], ns.slice(1)), null);
  });
  test('unknown critical payload => UNSUPPORTED_CRITICAL_PAYLOAD (§2.5); non-critical is skipped', () => {
    const v = checkRules(IKE_SA_INIT, false, [SA, unknown(true)], null);
    assert.equal(v?.notify, NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD);
    assert.equal(v?.payloadType, 200);
    assert.equal(checkRules(IKE_AUTH, false, [sampleSk], [IDI, unknown(true)])?.notify, NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD);
    assert.equal(checkRules(IKE_SA_INIT, false, [SA, unknown(false)], null), null);
  });
  test('unknown exchange type is a violation', () => {
    const v = checkRules(99, false, [], null);
    assert.equal(v?.code, 'IKE_ERR_RULE_UNKNOWN_EXCHANGE');
    assert.equal(rulesFor(99, false), undefined);
  });
});

describe('sortForSending', () => {
  test('IKE_SA_INIT: COOKIE first (§2.6), then SA, KE, Ni, notifies, VIDs', () => {
    const out = sortForSending(IKE_SA_INIT, false, [VID, NOTIFY, NONCE, KE, SA, COOKIE]);
    assert.deepEqual(out, [COOKIE, SA, KE, NONCE, NOTIFY, VID]);
  });
  test('SK goes last; order within a type is kept', () => {
    const n2: Payload = { ...COOKIE, notifyType: 16384 };
    const out = sortForSending(IKE_AUTH, false, [sampleSk, TSR, n2, TSI, NOTIFY, SA, AUTH, IDI]);
    assert.deepEqual(out, [IDI, n2, NOTIFY, AUTH, SA, TSI, TSR, sampleSk]);
  });
});
