/**
 * Quick Mode (RFC 2409 §5.5), both roles, protected by the ISAKMP SA:
 *
 *   Initiator                                   Responder
 *   HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] -->
 *                   <-- HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, N(RESPONDER-LIFETIME)]
 *   HDR*, HASH(3)                               -->
 *
 *   HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ])
 *   HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ])
 *   HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 *
 * Per-exchange state is an explicit enum: 'qm1-sent' (initiator) and
 * 'qm2-sent' (responder); the exchange ends with the SAs installed.
 */
import type { ChildConfig } from '../../config/model.js';
import { createKeyExchange } from '../../crypto/ke/index.js';
import { hashEqual, quickHash1, quickHash2, quickHash3 } from '../../crypto/keymat-v1.js';
import { Doi, LifeType, P2Attr, V1Notify, V1Payload } from '../../iana/ikev1.js';
import { resolveTs } from '../../policy/ts-range.js';
import { tsToId } from '../../policy/v1-ids.js';
import { encapKind, espProposal, initiatorPfsGroup, parseP2Transform, phase2Choices } from '../../policy/v1-proposals.js';
import { attributeNumber, decodeAttributes } from '../../wire/ikev1/attributes.js';
import { allV1, encodeV1Chain, findV1 } from '../../wire/ikev1/chain.js';
import type { DataAttribute, IsakmpPayload, PayloadEntry, SaPayload } from '../../wire/ikev1/types.js';
import { CryptoError, WireError } from '../../util/errors.js';
import { installChild, spiBytes, spiNumber } from './child-install.js';
import { deleteIsakmpSa } from './informational.js';
import { newMessageId } from './report.js';
import { V1Child } from './v1-child.js';
import type { V1Sa } from './v1-sa.js';
import { afterHash, failQuick, QM, sealWithHash, type QuickResult, type QuickState } from './quick-common.js';
import { answerQuickMode } from './quick-responder.js';

export type { QuickResult } from './quick-common.js';

/**
 * A Quick Mode that times out on an established ISAKMP SA means the peer
 * lost (or never had) that SA: like common implementations, start over with
 * a new phase 1 for this child and the live ones (their IPsec SAs go with
 * the old ISAKMP SA). Only once: an SA that is itself such a re-negotiation
 * does not start another.
 */
function renegotiatePhase1(sa: V1Sa, cfg: ChildConfig): void {
  const conn = sa.conn;
  if (!sa.initiator || !sa.renegotiateOnQmTimeout || sa.state !== 'established' || conn === undefined) return;
  const cfgs = [...new Set([...[...sa.children.values()].map((c) => c.cfg), cfg])];
  sa.ctx.counters.inc('v1.qm.timeout.renegotiate');
  deleteIsakmpSa(sa, 'Quick Mode timed out: re-negotiating phase 1');
  sa.hooks.reinitiate(conn, cfgs, `Quick Mode timed out on ISAKMP SA #${sa.uniqueId}`);
}

/** A peer's error notification about one of our Quick Modes (its SPI is the one we offered): fail it now. */
export function quickRefused(sa: V1Sa, spi: Uint8Array, what: string): boolean {
  for (const [mid, q] of sa.quick) {
    if (q.state !== 'qm1-sent') continue;
    const ours = spi.length === 4 ? spiNumber(spi) === q.child.spiIn : sa.quick.size === 1;
    if (!ours) continue;
    sa.replied(mid);
    sa.quick.delete(mid);
    q.child.remove(what);
    q.done({ ok: false, reason: `Quick Mode for ${q.child.cfg.name}: ${what}` });
    return true;
  }
  return false;
}

/** Initiator: QM1. */
export async function startQuickMode(sa: V1Sa, cfg: ChildConfig, done: (r: QuickResult) => void, rekeyOf?: V1Child): Promise<void> {
  const ctx = sa.ctx;
  const h = sa.hash;
  const keys = sa.keys;
  if (h === undefined || keys === undefined) {
    done({ ok: false, reason: 'ISAKMP SA not established' });
    return;
  }
  // A rekey keeps the reqid, so old and new share the policies (make-before-break).
  const child = new V1Child(sa, cfg, rekeyOf?.reqid);
  child.initiatedByUs = true;
  if (rekeyOf !== undefined) child.generation = rekeyOf.generation + 1;
  child.mode = cfg.mode;
  child.spiIn = await ctx.dataplane.allocateSpi('esp', sa.remote.address, sa.local.address, child.reqid);
  const udp = sa.natLocal || sa.natRemote;
  const group = initiatorPfsGroup(cfg);
  const choices = phase2Choices(cfg, udp, group);
  const localTsSpec = cfg.localTs[0];
  const remoteTsSpec = cfg.remoteTs[0];
  if (choices.length === 0 || localTsSpec === undefined || remoteTsSpec === undefined) {
    child.remove('no usable ESP proposal');
    done({ ok: false, reason: `child ${cfg.name} has no ESP proposal usable with IKEv1` });
    return;
  }
  const localTs = resolveTs(localTsSpec, sa.local.address);
  const remoteTs = resolveTs(remoteTsSpec, sa.remote.address);
  const ke = group === 0 ? undefined : createKeyExchange(group, ctx.rng, { modpExponent: ctx.config.daemon.modpExponent });
  const ni = ctx.rng.bytes(32);
  const mid = newMessageId(sa);
  const saPayload: SaPayload = { type: V1Payload.SA, doi: Doi.IPSEC, situation: new Uint8Array([0, 0, 0, 1]), proposals: [espProposal(choices, spiBytes(child.spiIn))] };
  const rest: IsakmpPayload[] = [saPayload, { type: V1Payload.NONCE, data: ni }];
  if (ke !== undefined) rest.push({ type: V1Payload.KE, data: ke.publicValue });
  rest.push(tsToId(localTs), tsToId(remoteTs));
  const q: QuickState = { state: 'qm1-sent', child, niB: ni, nrB: new Uint8Array(0), ke, choices, chosen: undefined, gxy: undefined, localTs, remoteTs, done };
  sa.quick.set(mid, q);
  const bytes = sealWithHash(sa, mid, rest, (r) => quickHash1(h, keys.skeyidA, mid, r));
  sa.sendBytes(mid, bytes, true, (reason) => {
    failQuick(sa, mid, q, 'timeout', `Quick Mode for ${cfg.name}: ${reason}`);
    renegotiatePhase1(sa, cfg);
  });
  ctx.log('debug', 'v1.qm.sent', { ...child.logFields, mid: mid.toString(16), pfs: group });
}

/** A Quick Mode message (decrypted). */
export async function handleQuickMode(sa: V1Sa, mid: number, entries: readonly PayloadEntry[], plain: Uint8Array): Promise<void> {
  const ctx = sa.ctx;
  const h = sa.hash;
  const keys = sa.keys;
  const parts = afterHash(entries, plain);
  if (h === undefined || keys === undefined || parts === undefined) {
    ctx.counters.inc('v1.rx.drop.qm');
    return;
  }
  const q = sa.quick.get(mid);
  if (q === undefined) {
    if (!hashEqual(quickHash1(h, keys.skeyidA, mid, parts.rest), parts.hash)) {
      ctx.counters.inc('v1.rx.drop.hash');
      return;
    }
    await answerQuickMode(sa, mid, entries);
    return;
  }
  switch (q.state) {
    case 'qm1-sent': {
      if (!hashEqual(quickHash2(h, keys.skeyidA, mid, q.niB, parts.rest), parts.hash)) {
        ctx.counters.inc('v1.rx.drop.hash');
        return;
      }
      sa.replied(mid);
      const s = findV1(entries, V1Payload.SA);
      const nr = findV1(entries, V1Payload.NONCE);
      const p = s?.proposals.length === 1 ? s.proposals[0] : undefined;
      const t = p?.transforms.length === 1 ? p.transforms[0] : undefined;
      const c = t === undefined ? undefined : parseP2Transform(t);
      const ours = c === undefined ? undefined : q.choices.find((o) => o.encrId === c.encrId && o.keyBits === c.keyBits && o.integId === c.integId && o.group === c.group);
      if (p === undefined || c === undefined || ours === undefined || nr === undefined || p.spi.length !== 4) {
        failQuick(sa, mid, q, 'proposal', 'responder chose an ESP transform we did not offer');
        return;
      }
      let gxy: Uint8Array | undefined;
      if (q.ke !== undefined) {
        const ke = findV1(entries, V1Payload.KE);
        try {
          gxy = ke === undefined ? undefined : q.ke.computeSharedSecret(ke.data);
        } catch (e) {
          if (!(e instanceof CryptoError)) throw e;
        }
        if (gxy === undefined) {
          failQuick(sa, mid, q, 'ke', 'missing or invalid KE in Quick Mode with PFS');
          return;
        }
      }
      const life = responderLifetime(entries) ?? c.lifeSeconds;
      const chosen = { ...ours, lifeSeconds: life > 0 && ours.lifeSeconds > 0 ? Math.min(life, ours.lifeSeconds) : life || ours.lifeSeconds };
      q.child.spiOut = spiNumber(p.spi);
      sa.quick.delete(mid);
      // HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
      const h3 = encodeV1Chain([{ type: V1Payload.HASH, data: quickHash3(h, keys.skeyidA, mid, q.niB, nr.data) }]);
      sa.sendBytes(mid, sa.seal(QM, mid, V1Payload.HASH, h3.bytes), false);
      await installChild(q.child, chosen, { niB: q.niB, nrB: nr.data, ...(gxy === undefined ? {} : { gxy }) }, q.localTs, q.remoteTs, encapKind(chosen.encapMode)?.udp ?? false);
      gxy?.fill(0);
      q.done({ ok: true, child: q.child });
      return;
    }
    case 'qm2-sent': {
      if (!hashEqual(quickHash3(h, keys.skeyidA, mid, q.niB, q.nrB), parts.hash) || q.chosen === undefined) {
        ctx.counters.inc('v1.rx.drop.hash');
        return;
      }
      sa.replied(mid);
      sa.quick.delete(mid);
      await installChild(q.child, q.chosen, { niB: q.niB, nrB: q.nrB, ...(q.gxy === undefined ? {} : { gxy: q.gxy }) }, q.localTs, q.remoteTs, encapKind(q.chosen.encapMode)?.udp ?? false);
      q.gxy?.fill(0);
      q.done({ ok: true, child: q.child });
    }
  }
}

/** RFC 2407 §4.6.3.1 RESPONDER-LIFETIME: the seconds the responder will use. */
function responderLifetime(entries: readonly PayloadEntry[]): number | undefined {
  const n = allV1(entries, V1Payload.N).find((x) => x.notifyType === V1Notify.RESPONDER_LIFETIME);
  if (n === undefined) return undefined;
  let attrs: DataAttribute[];
  try {
    attrs = decodeAttributes(n.data);
  } catch (e) {
    if (e instanceof WireError) return undefined;
    throw e;
  }
  let type = 0;
  for (const a of attrs) {
    if (a.type === P2Attr.SA_LIFE_TYPE) type = attributeNumber(a) ?? 0;
    else if (a.type === P2Attr.SA_LIFE_DURATION && type === LifeType.SECONDS) return attributeNumber(a);
  }
  return undefined;
}

