/**
 * The phase 1 SA payload in both modes (RFC 2409 §5, RFC 2408 §4.2): the
 * initiator offers transforms, the responder returns exactly one of them
 * unchanged, or NO_PROPOSAL_CHOSEN. Lifetimes are negotiated (RFC 2409 §4.5):
 * the responder applies the shorter of the offered one and its own.
 */
import { Doi, Situation, V1Notify, V1Payload, V1Protocol } from '../../iana/ikev1.js';
import { p1Transform, parseP1Transform, phase1Choices, selectPhase1, type P1Choice } from '../../policy/v1-proposals.js';
import { findV1 } from '../../wire/ikev1/chain.js';
import { encodeV1PayloadBody } from '../../wire/ikev1/payloads.js';
import type { PayloadEntry, SaPayload } from '../../wire/ikev1/types.js';
import { lifetimeOf, modeName } from './phase1-common.js';
import { adoptChoice } from './phase1-keys.js';
import { sendPhase1Notify, v1Fail } from './report.js';
import type { V1Sa } from './v1-sa.js';

/** Initiator: the SA payload offering `offered` (remembered, with SAi_b for HASH_I/R). */
export function offerSa(sa: V1Sa, offered: readonly P1Choice[]): SaPayload {
  sa.p1.offered = offered;
  const payload: SaPayload = {
    type: V1Payload.SA, doi: Doi.IPSEC, situation: new Uint8Array([0, 0, 0, Situation.SIT_IDENTITY_ONLY]),
    proposals: [{ number: 1, protocolId: V1Protocol.ISAKMP, spi: new Uint8Array(0), transforms: offered.map((c, i) => p1Transform(c, i + 1)) }],
  };
  sa.material.saiB = encodeV1PayloadBody(payload);
  return payload;
}

/**
 * Responder: picks one of the offered transforms for `sa.conn` and returns
 * the answering SA payload, or reports, sends NO_PROPOSAL_CHOSEN and
 * returns undefined. `offeredBody` is SAi_b.
 */
export function answerSa(sa: V1Sa, offered: SaPayload, offeredBody: Uint8Array): SaPayload | undefined {
  const conn = sa.conn;
  if (conn === undefined) return undefined;
  const ours = phase1Choices(conn, lifetimeOf(sa));
  const sel = selectPhase1(offered.proposals, ours);
  if (!sel.ok) {
    v1Fail(sa, 'proposal', modeName(sa), 'no acceptable phase 1 transform (NO_PROPOSAL_CHOSEN)', { offered: sel.offered, configured: sel.configured });
    sendPhase1Notify(sa, V1Notify.NO_PROPOSAL_CHOSEN);
    return undefined;
  }
  const mine = lifetimeOf(sa);
  const life = sel.choice.lifeSeconds > 0 && mine > 0 ? Math.min(sel.choice.lifeSeconds, mine) : Math.max(sel.choice.lifeSeconds, mine);
  sa.p1.choice = { ...sel.choice, lifeSeconds: life };
  adoptChoice(sa, sa.p1.choice);
  sa.material.saiB = offeredBody.slice();
  const proposal = offered.proposals.find((p) => p.transforms.includes(sel.transform)) ?? offered.proposals[0];
  if (proposal === undefined) return undefined;
  return { ...offered, proposals: [{ ...proposal, transforms: [sel.transform] }] };
}

/** Initiator (MM2 / AM2): exactly one transform, which must be one we offered (RFC 2408 §5.5). */
export function takeAnswer(sa: V1Sa, entries: readonly PayloadEntry[]): P1Choice | undefined {
  const s = findV1(entries, V1Payload.SA);
  const t = s?.proposals.length === 1 && s.proposals[0]?.transforms.length === 1 ? s.proposals[0].transforms[0] : undefined;
  const c = t === undefined ? undefined : parseP1Transform(t);
  const ours = c === undefined ? undefined : sa.p1.offered.find((o) => o.encrId === c.encrId && o.keyBits === c.keyBits && o.hash === c.hash && o.group === c.group && o.auth === c.auth);
  if (c === undefined || ours === undefined) {
    v1Fail(sa, 'proposal', modeName(sa), 'responder chose a transform we did not offer', {});
    sa.destroy(`bad ${sa.mode === 'aggressive' ? 'AM2' : 'MM2'}`);
    return undefined;
  }
  sa.p1.choice = { ...ours, lifeSeconds: c.lifeSeconds || ours.lifeSeconds };
  adoptChoice(sa, sa.p1.choice);
  return sa.p1.choice;
}
