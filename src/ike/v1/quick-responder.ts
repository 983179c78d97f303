/**
 * Quick Mode responder (RFC 2409 §5.5): QM1 -> QM2. Picks the child config
 * by the client IDs (traffic selectors) and an ESP transform, answers with
 * our SPI, nonce, optional PFS KE and RESPONDER-LIFETIME (RFC 2407
 * §4.6.3.1) when our lifetime is shorter. QM3 is handled in quick-mode.ts.
 */
import { createKeyExchange, type KeyExchange } from '../../crypto/ke/index.js';
import { quickHash2 } from '../../crypto/keymat-v1.js';
import { Doi, LifeType, P2Attr, V1Notify, V1Payload, V1Protocol } from '../../iana/ikev1.js';
import { childCandidatesOf, selectChildConfig } from '../../policy/child-select.js';
import { resolveTs, type TsRange } from '../../policy/ts-range.js';
import { idToTs } from '../../policy/v1-ids.js';
import { selectPhase2 } from '../../policy/v1-proposals.js';
import { encodeAttributes, numberAttribute } from '../../wire/ikev1/attributes.js';
import { allV1, findV1 } from '../../wire/ikev1/chain.js';
import type { IsakmpPayload, PayloadEntry } from '../../wire/ikev1/types.js';
import { CryptoError } from '../../util/errors.js';
import { spiBytes, spiNumber } from './child-install.js';
import { sendInformational, v1Fail } from './report.js';
import { V1Child } from './v1-child.js';
import type { V1Sa } from './v1-sa.js';
import { failQuick, sealWithHash, type QuickState } from './quick-common.js';

/** Responder: QM1 -> QM2. */
export async function answerQuickMode(sa: V1Sa, mid: number, entries: readonly PayloadEntry[]): Promise<void> {
  const ctx = sa.ctx;
  const h = sa.hash;
  const keys = sa.keys;
  const conn = sa.conn;
  const offered = findV1(entries, V1Payload.SA);
  const ni = findV1(entries, V1Payload.NONCE);
  if (h === undefined || keys === undefined || conn === undefined || offered === undefined || ni === undefined) {
    ctx.counters.inc('v1.rx.drop.qm1');
    return;
  }
  const ids = allV1(entries, V1Payload.ID);
  const host = (addr: string): TsRange => resolveTs({ text: 'dynamic', dynamic: true, family: 4, start: new Uint8Array(0), end: new Uint8Array(0), protocol: 0, startPort: 0, endPort: 65535 }, addr);
  const tsi = ids[0] === undefined ? host(sa.remote.address) : idToTs(ids[0]);
  const tsr = ids[1] === undefined ? host(sa.local.address) : idToTs(ids[1]);
  const report = (kind: 'proposal' | 'ts', message: string, detail: Record<string, unknown>): void => {
    v1Fail(sa, kind, 'Quick Mode', message, detail);
    sendInformational(sa, { type: V1Payload.N, doi: Doi.IPSEC, protocolId: V1Protocol.IPSEC_ESP, notifyType: kind === 'ts' ? V1Notify.INVALID_ID_INFORMATION : V1Notify.NO_PROPOSAL_CHOSEN, spi: offered.proposals[0]?.spi ?? new Uint8Array(0), data: new Uint8Array(0) });
  };
  if (tsi === undefined || tsr === undefined) {
    report('ts', 'unsupported client identity in Quick Mode', {});
    return;
  }
  const sel = selectChildConfig(childCandidatesOf([conn]), [tsi], [tsr], { local: sa.local.address, remote: sa.remote.address });
  if (!sel.ok) {
    report('ts', sel.diagnostic.reason, { diagnostic: sel.diagnostic });
    return;
  }
  const cfg = sel.candidate.child;
  const peerKe = findV1(entries, V1Payload.KE);
  const p2 = selectPhase2(offered.proposals, cfg, peerKe !== undefined);
  if (!p2.ok) {
    report('proposal', `${p2.reason} (NO_PROPOSAL_CHOSEN)`, { pfs: peerKe !== undefined });
    return;
  }
  let ke: KeyExchange | undefined;
  let gxy: Uint8Array | undefined;
  if (peerKe !== undefined) {
    try {
      ke = createKeyExchange(p2.choice.group, ctx.rng, { modpExponent: ctx.config.daemon.modpExponent });
      gxy = ke.computeSharedSecret(peerKe.data);
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      v1Fail(sa, 'ke', 'Quick Mode', `invalid KE: ${e.message}`, {});
      return;
    }
  }
  // IKEv1 has no REKEY_SA: a Quick Mode for a config that already has a live SA on this
  // ISAKMP SA is its rekey; share that SA's reqid and policies (make-before-break).
  const predecessor = [...sa.children.values()].find((c) => c.cfg.name === cfg.name && c.state === 'installed');
  const child = new V1Child(sa, cfg, predecessor?.reqid);
  if (predecessor !== undefined) child.generation = predecessor.generation + 1;
  child.mode = cfg.mode;
  child.spiIn = await ctx.dataplane.allocateSpi('esp', sa.remote.address, sa.local.address, child.reqid);
  child.spiOut = spiNumber(p2.proposal.spi);
  const nr = ctx.rng.bytes(32);
  const ours = cfg.lifeTime;
  const life = p2.choice.lifeSeconds > 0 && ours > 0 ? Math.min(p2.choice.lifeSeconds, ours) : p2.choice.lifeSeconds || ours;
  const rest: IsakmpPayload[] = [
    { type: V1Payload.SA, doi: offered.doi, situation: offered.situation, proposals: [{ ...p2.proposal, spi: spiBytes(child.spiIn) }] },
    { type: V1Payload.NONCE, data: nr },
  ];
  if (ke !== undefined) rest.push({ type: V1Payload.KE, data: ke.publicValue });
  rest.push(...ids.slice(0, 2));
  if (p2.choice.lifeSeconds > 0 && life < p2.choice.lifeSeconds) {
    // RFC 2407 §4.6.3.1: tell the initiator the shorter lifetime we will use
    const data = encodeAttributes([numberAttribute(P2Attr.SA_LIFE_TYPE, LifeType.SECONDS), numberAttribute(P2Attr.SA_LIFE_DURATION, life)]).finish();
    rest.push({ type: V1Payload.N, doi: Doi.IPSEC, protocolId: V1Protocol.IPSEC_ESP, notifyType: V1Notify.RESPONDER_LIFETIME, spi: spiBytes(child.spiIn), data });
  }
  const q: QuickState = {
    state: 'qm2-sent', child, niB: ni.data.slice(), nrB: nr, ke, choices: [], chosen: { ...p2.choice, lifeSeconds: life }, gxy,
    localTs: sel.tsr[0] ?? tsr, remoteTs: sel.tsi[0] ?? tsi, done: () => undefined,
  };
  sa.quick.set(mid, q);
  const bytes = sealWithHash(sa, mid, rest, (r) => quickHash2(h, keys.skeyidA, mid, q.niB, r));
  sa.sendBytes(mid, bytes, true, (reason) => failQuick(sa, mid, q, 'timeout', `Quick Mode for ${cfg.name}: ${reason}`));
}
