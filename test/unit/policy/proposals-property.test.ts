/**
 * Properties of proposal selection on arbitrary (hostile) offers: it never
 * throws, and whatever it chooses is a single-suite subset of the offer that
 * the initiator-side check (validateResponseProposal) accepts with the same
 * algorithms (RFC 7296 §2.7, §3.3.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EncrId, IntegId, KeId, PrfId } from '../../../src/iana/ikev2.js';
import { selectProposal, validateResponseProposal } from '../../../src/policy/proposals.js';
import type { Proposal, Transform } from '../../../src/wire/ikev2/types.js';
import { spec } from './fixtures.js';

const CONFIG = [
  spec({ encr: [{ id: EncrId.ENCR_AES_GCM_16, keyBits: 128 }, { id: EncrId.ENCR_AES_GCM_16, keyBits: 256 }], prf: [PrfId.PRF_HMAC_SHA2_256], ke: [KeId.CURVE25519, KeId.ECP_256] }),
  spec({ encr: [{ id: EncrId.ENCR_AES_CBC, keyBits: 128 }], prf: [PrfId.PRF_HMAC_SHA1, PrfId.PRF_HMAC_SHA2_256], integ: [IntegId.AUTH_HMAC_SHA1_96, IntegId.AUTH_HMAC_SHA2_256_128], ke: [KeId.MODP_2048], esn: [0, 1] }),
];

const kl = (v: number, tv = true) => [{ type: 14, tv, value: tv ? v : 0, data: tv ? new Uint8Array(0) : Uint8Array.from([v >> 8, v & 255]) }];
/** Plausible transforms plus hostile ones (unknown type, unknown attribute, TLV key length). */
const POOL: Transform[] = [
  { type: 1, id: EncrId.ENCR_AES_GCM_16, attributes: kl(128) },
  { type: 1, id: EncrId.ENCR_AES_GCM_16, attributes: kl(256) },
  { type: 1, id: EncrId.ENCR_AES_CBC, attributes: kl(128) },
  { type: 1, id: EncrId.ENCR_AES_CBC, attributes: kl(256) },
  { type: 1, id: EncrId.ENCR_AES_CBC, attributes: kl(128, false) },
  { type: 1, id: EncrId.ENCR_AES_GCM_16, attributes: [...kl(128), { type: 15, tv: true, value: 1, data: new Uint8Array(0) }] },
  { type: 2, id: PrfId.PRF_HMAC_SHA2_256, attributes: [] },
  { type: 2, id: PrfId.PRF_HMAC_SHA1, attributes: kl(128) },
  { type: 2, id: PrfId.PRF_HMAC_SHA1, attributes: [] },
  { type: 3, id: IntegId.AUTH_HMAC_SHA2_256_128, attributes: [] },
  { type: 3, id: IntegId.AUTH_HMAC_SHA1_96, attributes: [] },
  { type: 3, id: IntegId.NONE, attributes: [] },
  { type: 4, id: KeId.CURVE25519, attributes: [] },
  { type: 4, id: KeId.MODP_2048, attributes: [] },
  { type: 4, id: KeId.NONE, attributes: [] },
  { type: 4, id: 999, attributes: [] },
  { type: 5, id: 0, attributes: [] },
  { type: 5, id: 1, attributes: [] },
  { type: 6, id: 1, attributes: [] },
];

const GROUPS = [1, 2, 3, 4, 5, 6].map((type) => POOL.filter((t) => t.type === type));

const arbProposal: fc.Arbitrary<Proposal> = fc.record({
  number: fc.integer({ min: 0, max: 255 }),
  protocolId: fc.constantFrom(1, 1, 3, 3, 2),
  spi: fc.constantFrom(new Uint8Array(0), new Uint8Array(4)),
  // per type a random subset in random order; the unknown type 6 only rarely
  transforms: fc
    .tuple(...GROUPS.map((g, i) => (i === 5 ? fc.oneof({ weight: 9, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.constant(g) }) : fc.shuffledSubarray(g))))
    .map((parts) => parts.flat()),
});

test('selection on random offers never throws and round-trips through validateResponseProposal', () => {
  let accepted = 0;
  fc.assert(
    fc.property(
      // RFC 7296 §3.3.1: proposals are numbered 1, 2, 3 ... (with duplicate numbers "the proposal the responder chose" is ambiguous)
      fc.array(arbProposal, { minLength: 1, maxLength: 4 }).map((ps) => ps.map((p, i) => ({ ...p, number: i + 1 }))),
      fc.constantFrom<'ike' | 'esp'>('ike', 'esp'), fc.boolean(), (offered, protocol, prefer) => {
      const r = selectProposal(offered, CONFIG, protocol, { preferConfigured: prefer });
      if (r.ok) accepted++;
      if (!r.ok) {
        assert.equal(typeof r.diagnostic.reason, 'string');
        assert.ok(r.diagnostic.reason.length > 0);
        return;
      }
      const source = offered.find((p) => p.number === r.chosen.number && p.protocolId === r.chosen.protocolId);
      assert.ok(source);
      for (const t of r.chosen.transforms) assert.ok(source.transforms.includes(t), 'chosen transforms come from the offer');
      const types = r.chosen.transforms.map((t) => t.type);
      assert.equal(new Set(types).size, types.length, 'one transform per type');
      // the initiator (which sent exactly this offer) must accept our choice
      const check = validateResponseProposal([source], r.chosen);
      assert.deepEqual(check, r.selected);
    }),
    { numRuns: 2000 },
  );
  assert.ok(accepted > 30, `the generator must reach the success path often enough (got ${accepted})`);
});
