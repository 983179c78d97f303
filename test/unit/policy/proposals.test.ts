import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncrId, EsnId, IntegId, KeId, PrfId, ProtocolId, TransformType } from '../../../src/iana/ikev2.js';
import { keGroupsOf, proposalsToWire, selectProposal, validateResponseProposal } from '../../../src/policy/proposals.js';
import type { Proposal } from '../../../src/wire/ikev2/types.js';
import { IKE_GCM_X25519, encr, esn, ikeAes256Sha1Modp1024, integ, ke, prf, prop, spec } from './fixtures.js';

const IKE = ProtocolId.IKE;
const ESP = ProtocolId.ESP;

/** aes128-sha256-modp2048 (IKE) */
const IKE_CBC = spec({
  text: 'aes128-sha256-modp2048',
  encr: [{ id: EncrId.ENCR_AES_CBC, keyBits: 128 }],
  prf: [PrfId.PRF_HMAC_SHA2_256],
  integ: [IntegId.AUTH_HMAC_SHA2_256_128],
  ke: [KeId.MODP_2048],
});

/** aes256-sha256-modp2048-ecp256 */
const IKE_MULTI = spec({
  text: 'aes256-aes128-sha256-sha1-ecp256-modp2048',
  encr: [{ id: EncrId.ENCR_AES_CBC, keyBits: 256 }, { id: EncrId.ENCR_AES_CBC, keyBits: 128 }],
  prf: [PrfId.PRF_HMAC_SHA2_256, PrfId.PRF_HMAC_SHA1],
  integ: [IntegId.AUTH_HMAC_SHA2_256_128, IntegId.AUTH_HMAC_SHA1_96],
  ke: [KeId.ECP_256, KeId.MODP_2048],
});

const ESP_GCM = spec({ text: 'aes128gcm16', encr: [{ id: EncrId.ENCR_AES_GCM_16, keyBits: 128 }] });
const ESP_GCM_PFS = spec({ text: 'aes128gcm16-x25519', encr: [{ id: EncrId.ENCR_AES_GCM_16, keyBits: 128 }], ke: [KeId.CURVE25519] });

function peerIke(): Proposal[] {
  // peer order: CBC-128 first, then GCM
  return [
    prop(1, IKE, [encr(EncrId.ENCR_AES_CBC, 128), prf(PrfId.PRF_HMAC_SHA2_256), integ(IntegId.AUTH_HMAC_SHA2_256_128), ke(KeId.MODP_2048)]),
    prop(2, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(PrfId.PRF_HMAC_SHA2_256), ke(KeId.CURVE25519)]),
  ];
}

describe('proposalsToWire (RFC 7296 §3.3)', () => {
  test('IKE: numbered from 1, KEY_LENGTH as TV attribute, no INTEG for AEAD', () => {
    const w = proposalsToWire([IKE_CBC, IKE_GCM_X25519], 'ike', new Uint8Array(0));
    assert.equal(w.length, 2);
    assert.deepEqual(w.map((p) => p.number), [1, 2]);
    assert.equal(w[0]?.protocolId, IKE);
    assert.deepEqual(w[0]?.transforms.map((t) => [t.type, t.id]), [
      [TransformType.ENCR, EncrId.ENCR_AES_CBC],
      [TransformType.PRF, PrfId.PRF_HMAC_SHA2_256],
      [TransformType.INTEG, IntegId.AUTH_HMAC_SHA2_256_128],
      [TransformType.KE, KeId.MODP_2048],
    ]);
    const attr = w[0]?.transforms[0]?.attributes[0];
    assert.deepEqual(attr && { type: attr.type, tv: attr.tv, value: attr.value }, { type: 14, tv: true, value: 128 });
    assert.ok(!w[1]?.transforms.some((t) => t.type === TransformType.INTEG));
  });
  test('ESP: no PRF, default NO_ESN, KE only with PFS, SPI kept', () => {
    const spi = Uint8Array.from([1, 2, 3, 4]);
    const [a, b] = proposalsToWire([ESP_GCM, spec({ ...ESP_GCM_PFS, esn: [EsnId.ESN, EsnId.NO_ESN] })], 'esp', spi);
    assert.deepEqual(a?.transforms.map((t) => t.type), [TransformType.ENCR, TransformType.ESN]);
    assert.equal(a?.transforms[1]?.id, EsnId.NO_ESN);
    assert.deepEqual(b?.transforms.map((t) => [t.type, t.id]), [
      [TransformType.ENCR, EncrId.ENCR_AES_GCM_16],
      [TransformType.KE, KeId.CURVE25519],
      [TransformType.ESN, EsnId.ESN],
      [TransformType.ESN, EsnId.NO_ESN],
    ]);
    assert.equal(a?.spi, spi);
    assert.equal(a?.protocolId, ESP);
  });
  test('rejects a wrong SPI size', () => {
    assert.throws(() => proposalsToWire([ESP_GCM], 'esp', new Uint8Array(8)), { code: 'POLICY_BAD_SPI' });
  });
  test('round trip: what we send is selectable by a peer with the same config', () => {
    const w = proposalsToWire([IKE_MULTI], 'ike', new Uint8Array(0));
    const r = selectProposal(w, [IKE_MULTI], 'ike');
    assert.ok(r.ok);
    assert.deepEqual(r.selected, { encrId: EncrId.ENCR_AES_CBC, encrKeyBits: 256, prfId: PrfId.PRF_HMAC_SHA2_256, integId: IntegId.AUTH_HMAC_SHA2_256_128, keId: KeId.ECP_256 });
  });
});

describe('selectProposal (RFC 7296 §2.7)', () => {
  test("default follows the initiator's proposal order", () => {
    const r = selectProposal(peerIke(), [IKE_GCM_X25519, IKE_CBC], 'ike');
    assert.ok(r.ok);
    assert.equal(r.chosen.number, 1);
    assert.equal(r.selected.encrId, EncrId.ENCR_AES_CBC);
    assert.equal(r.selected.keId, KeId.MODP_2048);
  });
  test('preferConfigured follows our order', () => {
    const r = selectProposal(peerIke(), [IKE_GCM_X25519, IKE_CBC], 'ike', { preferConfigured: true });
    assert.ok(r.ok);
    assert.equal(r.chosen.number, 2, 'the chosen proposal keeps the offered number (§3.3.1)');
    assert.deepEqual(r.selected, { encrId: EncrId.ENCR_AES_GCM_16, encrKeyBits: 128, prfId: PrfId.PRF_HMAC_SHA2_256, keId: KeId.CURVE25519 });
    assert.ok(!r.chosen.transforms.some((t) => t.type === TransformType.INTEG));
  });
  test('within a proposal: first offered transform we support, or ours with preferConfigured', () => {
    const offered = [
      prop(7, IKE, [
        encr(EncrId.ENCR_AES_CBC, 128), encr(EncrId.ENCR_AES_CBC, 256),
        prf(PrfId.PRF_HMAC_SHA1), prf(PrfId.PRF_HMAC_SHA2_256),
        integ(IntegId.AUTH_HMAC_SHA1_96), integ(IntegId.AUTH_HMAC_SHA2_256_128),
        ke(KeId.MODP_2048), ke(KeId.ECP_256),
      ]),
    ];
    const a = selectProposal(offered, [IKE_MULTI], 'ike');
    assert.ok(a.ok);
    assert.deepEqual(a.selected, { encrId: EncrId.ENCR_AES_CBC, encrKeyBits: 128, prfId: PrfId.PRF_HMAC_SHA1, integId: IntegId.AUTH_HMAC_SHA1_96, keId: KeId.MODP_2048 });
    assert.equal(a.chosen.transforms.length, 4, 'single transform per type');
    assert.equal(a.chosen.number, 7);
    const b = selectProposal(offered, [IKE_MULTI], 'ike', { preferConfigured: true });
    assert.ok(b.ok);
    assert.deepEqual(b.selected, { encrId: EncrId.ENCR_AES_CBC, encrKeyBits: 256, prfId: PrfId.PRF_HMAC_SHA2_256, integId: IntegId.AUTH_HMAC_SHA2_256_128, keId: KeId.ECP_256 });
  });
  test('key length must match', () => {
    const offered = [prop(1, IKE, [encr(EncrId.ENCR_AES_CBC, 192), prf(PrfId.PRF_HMAC_SHA2_256), integ(IntegId.AUTH_HMAC_SHA2_256_128), ke(KeId.MODP_2048)])];
    const r = selectProposal(offered, [IKE_CBC], 'ike');
    assert.ok(!r.ok);
    assert.match(r.diagnostic.reason, /no common encryption algorithm: peer offered AES_CBC_192, we allow AES_CBC_128/);
  });
  test('a transform with an unknown attribute is unacceptable, others in the proposal still count (§3.3.6)', () => {
    const odd = { type: TransformType.ENCR, id: EncrId.ENCR_AES_CBC, attributes: [
      { type: 14, tv: true, value: 128, data: new Uint8Array(0) },
      { type: 99, tv: true, value: 1, data: new Uint8Array(0) },
    ] };
    const base = [prf(PrfId.PRF_HMAC_SHA2_256), integ(IntegId.AUTH_HMAC_SHA2_256_128), ke(KeId.MODP_2048)];
    const r1 = selectProposal([prop(1, IKE, [odd, ...base])], [IKE_CBC], 'ike');
    assert.ok(!r1.ok);
    assert.match(r1.diagnostic.reason, /unknown transform attribute 99/);
    const r2 = selectProposal([prop(1, IKE, [odd, encr(EncrId.ENCR_AES_CBC, 128), ...base])], [IKE_CBC], 'ike');
    assert.ok(r2.ok);
    assert.deepEqual(r2.chosen.transforms[0]?.attributes.map((a) => a.type), [14]);
  });
  test('KEY_LENGTH in TLV form is not understood', () => {
    const tlv = { type: TransformType.ENCR, id: EncrId.ENCR_AES_CBC, attributes: [{ type: 14, tv: false, value: 0, data: Uint8Array.from([0, 128]) }] };
    const r = selectProposal([prop(1, IKE, [tlv, prf(PrfId.PRF_HMAC_SHA2_256), integ(IntegId.AUTH_HMAC_SHA2_256_128), ke(KeId.MODP_2048)])], [IKE_CBC], 'ike');
    assert.ok(!r.ok);
  });
  test('an unknown transform type makes the whole proposal unacceptable (§3.3.6)', () => {
    const weird = { type: 6, id: 1, attributes: [] };
    const offered = [prop(1, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(PrfId.PRF_HMAC_SHA2_256), ke(KeId.CURVE25519), weird])];
    const r = selectProposal(offered, [IKE_GCM_X25519], 'ike');
    assert.ok(!r.ok);
    assert.match(r.diagnostic.reason, /unsupported transform type\(s\) 6/);
    const ok = selectProposal([...offered, prop(2, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(PrfId.PRF_HMAC_SHA2_256), ke(KeId.CURVE25519)])], [IKE_GCM_X25519], 'ike');
    assert.ok(ok.ok);
    assert.equal(ok.chosen.number, 2);
  });
  test('AEAD cipher with a real INTEG transform is invalid; INTEG NONE is fine', () => {
    const bad = prop(1, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(PrfId.PRF_HMAC_SHA2_256), integ(IntegId.AUTH_HMAC_SHA2_256_128), ke(KeId.CURVE25519)]);
    const r = selectProposal([bad], [IKE_GCM_X25519], 'ike');
    assert.ok(!r.ok);
    assert.match(r.diagnostic.reason, /AEAD cipher AES_GCM_16_128 offered together with integrity algorithm HMAC_SHA2_256_128/);
    const none = prop(1, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(PrfId.PRF_HMAC_SHA2_256), integ(IntegId.NONE), ke(KeId.CURVE25519)]);
    const r2 = selectProposal([none], [IKE_GCM_X25519], 'ike');
    assert.ok(r2.ok);
    assert.equal(r2.selected.integId, undefined);
  });
  test('IKE: KE NONE and missing PRF are not acceptable', () => {
    const noKe = prop(1, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(PrfId.PRF_HMAC_SHA2_256), ke(KeId.NONE)]);
    const r = selectProposal([noKe], [spec({ ...IKE_GCM_X25519, ke: [KeId.CURVE25519, KeId.NONE] })], 'ike');
    assert.ok(!r.ok);
    const noPrf = prop(1, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), ke(KeId.CURVE25519)]);
    const r2 = selectProposal([noPrf], [IKE_GCM_X25519], 'ike');
    assert.ok(!r2.ok);
    assert.match(r2.diagnostic.reason, /no common PRF/);
  });
  test('proposals of another protocol are ignored', () => {
    const r = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), esn(0)])], [IKE_GCM_X25519], 'ike');
    assert.ok(!r.ok);
    assert.match(r.diagnostic.reason, /peer offered no IKE proposal/);
  });
});

describe('selectProposal for ESP: PFS and ESN', () => {
  const spi = Uint8Array.from([9, 9, 9, 9]);
  test('without PFS: accepts no KE transform, echoes SPI and number', () => {
    const r = selectProposal([prop(3, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), esn(EsnId.NO_ESN)], spi)], [ESP_GCM], 'esp');
    assert.ok(r.ok);
    assert.deepEqual(r.selected, { encrId: EncrId.ENCR_AES_GCM_16, encrKeyBits: 128, esn: false });
    assert.equal(r.chosen.spi, spi);
    assert.equal(r.chosen.number, 3);
  });
  test('without PFS: KE NONE offered alongside groups is accepted', () => {
    const r = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), ke(KeId.CURVE25519), ke(KeId.NONE), esn(0)], spi)], [ESP_GCM], 'esp');
    assert.ok(r.ok);
    assert.equal(r.selected.keId, undefined);
  });
  test('without PFS configured, a peer demanding PFS fails', () => {
    const r = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), ke(KeId.MODP_2048), esn(0)], spi)], [ESP_GCM], 'esp');
    assert.ok(!r.ok);
    assert.match(r.diagnostic.reason, /peer requires PFS \(offered MODP_2048\) but no KE method is configured/);
  });
  test('with PFS configured: group must match, absence fails', () => {
    const ok = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), ke(KeId.MODP_2048), ke(KeId.CURVE25519), esn(0)], spi)], [ESP_GCM_PFS], 'esp');
    assert.ok(ok.ok);
    assert.equal(ok.selected.keId, KeId.CURVE25519);
    const none = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), esn(0)], spi)], [ESP_GCM_PFS], 'esp');
    assert.ok(!none.ok);
    assert.match(none.diagnostic.reason, /PFS required: we allow CURVE_25519, peer offered no KE method/);
    const other = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), ke(KeId.ECP_256), esn(0)], spi)], [ESP_GCM_PFS], 'esp');
    assert.ok(!other.ok);
    assert.match(other.diagnostic.reason, /no common KE method: peer offered ECP_256, we allow CURVE_25519/);
  });
  test('ESN: negotiated when both allow it; NO_ESN-only peer against ESN-only config fails', () => {
    const esnSpec = spec({ ...ESP_GCM, esn: [EsnId.ESN, EsnId.NO_ESN] });
    const r = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), esn(EsnId.ESN), esn(EsnId.NO_ESN)], spi)], [esnSpec], 'esp');
    assert.ok(r.ok);
    assert.equal(r.selected.esn, true);
    const onlyEsn = spec({ ...ESP_GCM, esn: [EsnId.ESN] });
    const r2 = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), esn(EsnId.NO_ESN)], spi)], [onlyEsn], 'esp');
    assert.ok(!r2.ok);
    assert.match(r2.diagnostic.reason, /no common ESN mode: peer offered NO_ESN, we allow ESN/);
    // a missing ESN transform counts as NO_ESN
    const r3 = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128)], spi)], [ESP_GCM], 'esp');
    assert.ok(r3.ok);
    assert.equal(r3.selected.esn, false);
  });
  test('ESP with CBC needs INTEG; PRF in an ESP proposal makes it unacceptable', () => {
    const cbc = spec({ encr: [{ id: EncrId.ENCR_AES_CBC, keyBits: 128 }], integ: [IntegId.AUTH_HMAC_SHA2_256_128] });
    const r = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_CBC, 128), esn(0)], spi)], [cbc], 'esp');
    assert.ok(!r.ok);
    assert.match(r.diagnostic.reason, /integrity algorithm/);
    const r2 = selectProposal([prop(1, ESP, [encr(EncrId.ENCR_AES_CBC, 128), prf(5), integ(IntegId.AUTH_HMAC_SHA2_256_128), esn(0)], spi)], [cbc], 'esp');
    assert.ok(!r2.ok);
  });
});

describe('ProposalDiagnostic', () => {
  test('realistic mismatch: peer aes256-sha1-modp1024 vs our aes128gcm16-prfsha256-x25519', () => {
    const r = selectProposal([ikeAes256Sha1Modp1024()], [IKE_GCM_X25519], 'ike');
    assert.ok(!r.ok);
    const d = r.diagnostic;
    assert.equal(d.protocol, 'ike');
    assert.deepEqual(d.offered, [{ number: 1, encr: ['AES_CBC_256'], prf: ['PRF_HMAC_SHA1'], integ: ['HMAC_SHA1_96'], ke: ['MODP_1024'], esn: [] }]);
    assert.deepEqual(d.configured, [{ number: 1, encr: ['AES_GCM_16_128'], prf: ['PRF_HMAC_SHA2_256'], integ: [], ke: ['CURVE_25519'], esn: [] }]);
    assert.deepEqual(d.perTransformType.map((t) => t.type), ['ENCR', 'PRF', 'INTEG', 'KE']);
    const keRow = d.perTransformType.find((t) => t.type === 'KE');
    assert.deepEqual(keRow, { type: 'KE', offered: ['MODP_1024'], configured: ['CURVE_25519'], common: [] });
    assert.match(d.reason, /no common encryption algorithm: peer offered AES_CBC_256, we allow AES_GCM_16_128/);
    assert.match(d.reason, /no common KE method: peer offered MODP_1024, we allow CURVE_25519/);
    assert.ok(!d.reason.includes('\n'));
  });
  test('only KE differs: reason names the KE methods on both sides', () => {
    const ours = spec({ ...IKE_GCM_X25519, ke: [KeId.CURVE25519, KeId.ECP_256] });
    const offered = [prop(1, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(PrfId.PRF_HMAC_SHA2_256), ke(KeId.MODP_1024)])];
    const r = selectProposal(offered, [ours], 'ike');
    assert.ok(!r.ok);
    assert.equal(r.diagnostic.reason, 'no common KE method: peer offered MODP_1024, we allow CURVE_25519, ECP_256');
    assert.deepEqual(r.diagnostic.perTransformType.find((t) => t.type === 'ENCR')?.common, ['AES_GCM_16_128']);
  });
  test('every type has something in common, but never in one proposal', () => {
    const offered = [
      prop(1, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(PrfId.PRF_HMAC_SHA2_256), ke(KeId.MODP_2048)]),
      prop(2, IKE, [encr(EncrId.ENCR_AES_CBC, 256), prf(PrfId.PRF_HMAC_SHA1), integ(IntegId.AUTH_HMAC_SHA1_96), ke(KeId.CURVE25519)]),
    ];
    const r = selectProposal(offered, [IKE_GCM_X25519], 'ike');
    assert.ok(!r.ok);
    assert.match(r.diagnostic.reason, /no single proposal matches/);
    assert.match(r.diagnostic.reason, /#1: no common KE method/);
    assert.match(r.diagnostic.reason, /#2: no common encryption algorithm/);
  });
});

describe('validateResponseProposal (initiator, §2.7)', () => {
  const sent = proposalsToWire([IKE_MULTI, IKE_GCM_X25519], 'ike', new Uint8Array(0));
  test('accepts a single-suite subset of one sent proposal', () => {
    const recv = prop(2, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(PrfId.PRF_HMAC_SHA2_256), ke(KeId.CURVE25519)]);
    assert.deepEqual(validateResponseProposal(sent, recv), { encrId: EncrId.ENCR_AES_GCM_16, encrKeyBits: 128, prfId: PrfId.PRF_HMAC_SHA2_256, keId: KeId.CURVE25519 });
  });
  test('rejects wrong number, foreign transform, several per type, missing types', () => {
    const a = validateResponseProposal(sent, prop(3, IKE, [encr(EncrId.ENCR_AES_GCM_16, 128), prf(5), ke(31)]));
    assert.ok('error' in a && /did not offer/.test(a.error));
    const b = validateResponseProposal(sent, prop(2, IKE, [encr(EncrId.ENCR_AES_GCM_16, 256), prf(5), ke(31)]));
    assert.ok('error' in b && /AES_GCM_16_256/.test(b.error));
    const c = validateResponseProposal(sent, prop(1, IKE, [encr(EncrId.ENCR_AES_CBC, 256), prf(5), prf(2), integ(12), ke(19)]));
    assert.ok('error' in c && /2 PRF transforms/.test(c.error));
    const d = validateResponseProposal(sent, prop(1, IKE, [encr(EncrId.ENCR_AES_CBC, 256), prf(5), ke(19)]));
    assert.ok('error' in d && /INTEG/.test(d.error));
    const e = validateResponseProposal(sent, prop(1, IKE, [encr(EncrId.ENCR_AES_CBC, 256), prf(5), integ(12)]));
    assert.ok('error' in e && /KE/.test(e.error));
  });
  test('ESP: absent KE is fine without PFS, required with PFS', () => {
    const spi = Uint8Array.from([1, 1, 1, 1]);
    const sentNoPfs = proposalsToWire([ESP_GCM], 'esp', spi);
    const r = validateResponseProposal(sentNoPfs, prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), esn(0)], Uint8Array.from([2, 2, 2, 2])));
    assert.deepEqual(r, { encrId: EncrId.ENCR_AES_GCM_16, encrKeyBits: 128, esn: false });
    const sentPfs = proposalsToWire([ESP_GCM_PFS], 'esp', spi);
    const r2 = validateResponseProposal(sentPfs, prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), esn(0)]));
    assert.ok('error' in r2);
    const r3 = validateResponseProposal(sentPfs, prop(1, ESP, [encr(EncrId.ENCR_AES_GCM_16, 128), ke(31), esn(0)]));
    assert.deepEqual(r3, { encrId: EncrId.ENCR_AES_GCM_16, encrKeyBits: 128, keId: 31, esn: false });
  });
});

describe('keGroupsOf', () => {
  test('preferred is the first configured group; acceptable is the ordered union', () => {
    const g = keGroupsOf([IKE_GCM_X25519, IKE_MULTI, IKE_CBC]);
    assert.equal(g.preferred, KeId.CURVE25519);
    assert.deepEqual(g.acceptable, [KeId.CURVE25519, KeId.ECP_256, KeId.MODP_2048]);
    assert.deepEqual(keGroupsOf([ESP_GCM]), { preferred: undefined, acceptable: [] });
  });
});
