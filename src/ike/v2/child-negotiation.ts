/**
 * CHILD SA negotiation shared by IKE_AUTH (first CHILD SA, RFC 7296 §1.2) and
 * CREATE_CHILD_SA (§1.3.1): SA proposals with our inbound SPI, traffic
 * selectors (§2.9), transport mode (§1.3.1 USE_TRANSPORT_MODE), key
 * derivation (§2.17) and installation into the dataplane.
 */
import type { ChildConfig } from '../../config/model.js';
import { deriveChildSaKeys } from '../../crypto/keymat-v2.js';
import { encrDescriptor, integDescriptor } from '../../crypto/registry.js';
import { NotifyType, PayloadType, ProtocolId, nameOf } from '../../iana/ikev2.js';
import { proposalsToWire, selectProposal, validateResponseProposal, type SelectedAlgorithms } from '../../policy/proposals.js';
import { childCandidatesOf, selectChildConfig } from '../../policy/child-select.js';
import { formatTs, resolveTs, tsListFromWire, tsToWire, validateResponseTs, type TsRange } from '../../policy/ts.js';
import { jitterSeconds, scheduleChildLifetime } from '../lifecycle.js';
import { formatIp } from '../../policy/ip.js';
import { CryptoError, KeywayError } from '../../util/errors.js';
import type { KeResponse } from '../../crypto/ke/exchanger.js';
import type { Payload, Proposal } from '../../wire/ikev2/types.js';
import { ChildSa } from '../child-sa.js';
import type { PolicySpec, SaSpec, Selector } from '../dataplane.js';
import type { IkeSa } from '../ike-sa.js';
import { ikeAlgorithmInfo } from './ike-keys.js';
import { describeNotify } from './notify-text.js';
import { bytesToSpi, findNotify, findPayload, firstErrorNotify, notify, spiToBytes } from './payloads.js';

export interface ChildRequest {
  readonly child: ChildSa;
  readonly proposals: readonly Proposal[];
  readonly tsi: readonly TsRange[];
  readonly tsr: readonly TsRange[];
  /** [N(USE_TRANSPORT_MODE)], SA, TSi, TSr */
  readonly payloads: Payload[];
}

export type ChildOutcome = { readonly ok: true; readonly child: ChildSa } | { readonly ok: false; readonly reason: string };

/**
 * CREATE_CHILD_SA order (RFC 7296 §1.3.1): the Nonce and the optional KE go
 * right after the SA payload: [N...], SA, Ni/Nr, [KE], TSi, TSr.
 */
export function withNonceAndKe(payloads: readonly Payload[], nonce: Uint8Array, ke?: Payload): Payload[] {
  const out: Payload[] = [];
  for (const p of payloads) {
    out.push(p);
    if (p.type !== PayloadType.SA) continue;
    out.push({ type: PayloadType.NONCE, critical: false, data: nonce });
    if (ke !== undefined) out.push(ke);
  }
  return out;
}

/** Proposals for IKE_AUTH carry no KE: the first CHILD SA reuses the IKE SA's DH (§1.2). */
export function childProposalSpecs(cfg: ChildConfig, withKe: boolean): ChildConfig['espProposals'] {
  return withKe ? cfg.espProposals : cfg.espProposals.map((p) => ({ ...p, ke: [] }));
}

/** A rekey (§1.3.3) reuses the old CHILD SA's reqid and proposes its negotiated selectors (§2.9.2). */
export interface RekeyOf {
  readonly old: ChildSa;
}

/** Allocates our inbound SPI and builds the CHILD SA part of a request. */
export async function prepareChildRequest(sa: IkeSa, cfg: ChildConfig, withKe: boolean, rekey?: RekeyOf, reqid?: number): Promise<ChildRequest> {
  const child = new ChildSa(sa.ctx, sa, cfg, rekey?.old.reqid ?? reqid ?? (sa.conn ? sa.ctx.trapReqid(sa.conn, cfg) : undefined));
  child.exchangeInitiator = true;
  if (rekey !== undefined) child.generation = rekey.old.generation + 1;
  child.spiIn = await sa.ctx.dataplane.allocateSpi('esp', sa.remote.address, sa.local.address, child.reqid);
  const proposals = proposalsToWire(childProposalSpecs(cfg, withKe), 'esp', spiToBytes(child.spiIn));
  const tsi = rekey !== undefined && rekey.old.localRanges.length > 0 ? [...rekey.old.localRanges] : cfg.localTs.map((t) => resolveTs(t, sa.local.address));
  const tsr = rekey !== undefined && rekey.old.remoteRanges.length > 0 ? [...rekey.old.remoteRanges] : cfg.remoteTs.map((t) => resolveTs(t, sa.remote.address));
  const payloads: Payload[] = [];
  if (cfg.mode === 'transport') payloads.push(notify(NotifyType.USE_TRANSPORT_MODE));
  payloads.push(
    { type: PayloadType.SA, critical: false, proposals: [...proposals] },
    { type: PayloadType.TSi, critical: false, selectors: tsi.map(tsToWire) },
    { type: PayloadType.TSr, critical: false, selectors: tsr.map(tsToWire) },
  );
  return { child, proposals, tsi, tsr, payloads };
}

function childFail(sa: IkeSa, cfg: ChildConfig, exchange: string, kind: 'proposal' | 'ts' | 'peer-notify' | 'internal', message: string, detail: Record<string, unknown>): void {
  sa.ctx.counters.inc(`child.failed.${kind}`);
  sa.ctx.fail({
    connection: sa.connectionName,
    ikeSaId: sa.uniqueId,
    peer: `${sa.remote.address}[${sa.remote.port}]`,
    kind,
    exchange,
    message: `CHILD SA ${cfg.name}: ${message}`,
    detail,
  });
}

/** Initiator: processes the CHILD SA part of the response and installs it. */
export async function completeChildAsInitiator(
  sa: IkeSa,
  req: ChildRequest,
  payloads: readonly Payload[],
  exchange: string,
  nonces: { ni: Uint8Array; nr: Uint8Array; shared?: Uint8Array },
  /** install without the outbound SA (a rekey collision we already know we lose, §2.8.1) */
  deferOutbound = false,
): Promise<ChildOutcome> {
  const cfg = req.child.cfg;
  const fail = (kind: 'proposal' | 'ts' | 'peer-notify' | 'internal', message: string, detail: Record<string, unknown> = {}): ChildOutcome => {
    childFail(sa, cfg, exchange, kind, message, detail);
    req.child.remove(message);
    return { ok: false, reason: message };
  };
  const err = firstErrorNotify(payloads);
  if (err !== undefined) {
    const kind = err.notifyType === NotifyType.TS_UNACCEPTABLE ? 'ts' : err.notifyType === NotifyType.NO_PROPOSAL_CHOSEN ? 'proposal' : 'peer-notify';
    return fail(kind, `peer refused: ${describeNotify(err.notifyType)}`, {
      notify: nameOf(NotifyType, err.notifyType),
      offered: cfg.espProposals.map((p) => p.text),
      localTs: req.tsi.map(formatTs),
      remoteTs: req.tsr.map(formatTs),
    });
  }
  const saP = findPayload(payloads, PayloadType.SA);
  const tsiP = findPayload(payloads, PayloadType.TSi);
  const tsrP = findPayload(payloads, PayloadType.TSr);
  if (saP === undefined || tsiP === undefined || tsrP === undefined) return fail('internal', 'response lacks SA, TSi or TSr');
  const proposal = saP.proposals[0];
  if (proposal === undefined || saP.proposals.length !== 1) return fail('proposal', 'responder must choose exactly one proposal');
  const sel = validateResponseProposal(req.proposals, proposal);
  if ('error' in sel) return fail('proposal', `responder chose an invalid proposal: ${sel.error}`);
  const spiOut = bytesToSpi(proposal.spi);
  if (spiOut === undefined || spiOut === 0) return fail('proposal', 'responder sent an invalid ESP SPI');
  const tsi = tsListFromWire(tsiP.selectors);
  const tsr = tsListFromWire(tsrP.selectors);
  const tsCheck = validateResponseTs(req.tsi, tsi).ok && validateResponseTs(req.tsr, tsr).ok;
  if (!tsCheck) {
    return fail('ts', 'responder returned traffic selectors outside of what we proposed', {
      proposedTsi: req.tsi.map(formatTs),
      proposedTsr: req.tsr.map(formatTs),
      receivedTsi: tsi.map(formatTs),
      receivedTsr: tsr.map(formatTs),
    });
  }
  const transport = findNotify(payloads, NotifyType.USE_TRANSPORT_MODE) !== undefined;
  if (cfg.mode === 'transport' && !transport) return fail('proposal', 'we require transport mode but the responder chose tunnel mode');
  const child = req.child;
  child.spiOut = spiOut;
  child.mode = transport ? 'transport' : 'tunnel';
  child.nonces = { ni: nonces.ni, nr: nonces.nr };
  try {
    await installChild(sa, child, sel, tsi, tsr, nonces, deferOutbound);
  } catch (e) {
    // Environment failure (kernel refused the SA): the CHILD SA fails, the IKE SA stays (B5.3).
    const message = e instanceof Error ? e.message : String(e);
    childFail(sa, cfg, exchange, 'internal', `dataplane refused the CHILD SA: ${message}`, {});
    child.remove(message);
    return { ok: false, reason: `dataplane refused the CHILD SA: ${message}` };
  }
  return { ok: true, child };
}

/**
 * Responder: selects a child config (§2.9), proposal (§2.7), allocates our
 * SPI, installs, and returns the response payloads. On failure returns the
 * error notify to send (the IKE SA stays up, §1.2 / §1.3).
 */
export async function respondChild(
  sa: IkeSa,
  payloads: readonly Payload[],
  exchange: string,
  opts: { ni: Uint8Array; nr: Uint8Array; inAuth: boolean; ke?: { group: number; data: Uint8Array }; rekey?: RekeyOf },
): Promise<{ readonly payloads: Payload[]; readonly child?: ChildSa; readonly keResponse?: Payload }> {
  // Use the current definition of the SA's connection, so children added by a reload are found.
  const conn = sa.ctx.config.connections.find((c) => c.name === sa.conn?.name) ?? sa.conn;
  const saP = findPayload(payloads, PayloadType.SA);
  const tsiP = findPayload(payloads, PayloadType.TSi);
  const tsrP = findPayload(payloads, PayloadType.TSr);
  if (conn === undefined || saP === undefined || tsiP === undefined || tsrP === undefined) {
    return { payloads: [notify(NotifyType.INVALID_SYNTAX)] };
  }
  // §3.13.1: selectors of types we do not know are skipped, not fatal.
  const tsi = tsListFromWire(tsiP.selectors);
  const tsr = tsListFromWire(tsrP.selectors);
  // A rekey keeps the old CHILD SA's config (§1.3.3); otherwise pick by selectors (§2.9).
  const candidates = opts.rekey !== undefined ? [{ connection: conn.name, child: opts.rekey.old.cfg }] : childCandidatesOf([conn]);
  const pick = selectChildConfig(candidates, tsi, tsr, { local: sa.local.address, remote: sa.remote.address });
  if (!pick.ok) {
    sa.ctx.counters.inc('child.failed.ts');
    sa.ctx.fail({
      connection: conn.name,
      ikeSaId: sa.uniqueId,
      peer: `${sa.remote.address}[${sa.remote.port}]`,
      kind: 'ts',
      exchange,
      message: `no child config of ${conn.name} accepts the proposed traffic selectors: ${pick.diagnostic.reason}: ${pick.diagnostic.candidates.map((c) => `${c.child}: ${c.why}`).join('; ')}`,
      detail: { ...pick.diagnostic },
    });
    return { payloads: [notify(NotifyType.TS_UNACCEPTABLE)] };
  }
  const cfg = pick.candidate.child;
  const sel = selectProposal(saP.proposals, childProposalSpecs(cfg, !opts.inAuth), 'esp');
  if (!sel.ok) {
    childFail(sa, cfg, exchange, 'proposal', `no acceptable ESP proposal: ${sel.diagnostic.reason}`, { ...sel.diagnostic });
    return { payloads: [notify(NotifyType.NO_PROPOSAL_CHOSEN)] };
  }
  // §1.3.1: with PFS the KEi group must be the one of the chosen proposal, else INVALID_KE_PAYLOAD.
  let shared: Uint8Array | undefined;
  let keResponse: Payload | undefined;
  const keId = sel.selected.keId ?? 0;
  if (keId !== 0) {
    if (opts.ke === undefined || opts.ke.group !== keId) {
      sa.ctx.counters.inc('child.invalid_ke.sent');
      return { payloads: [notify(NotifyType.INVALID_KE_PAYLOAD, new Uint8Array([(keId >> 8) & 0xff, keId & 0xff]))] };
    }
    let ke: KeResponse;
    try {
      ke = await sa.ctx.ke.respond(keId, opts.ke.data, { modpExponent: sa.ctx.config.daemon.modpExponent });
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      childFail(sa, cfg, exchange, 'internal', `invalid KE value: ${e.message}`, {});
      return { payloads: [notify(NotifyType.INVALID_SYNTAX)] };
    }
    shared = ke.sharedSecret;
    keResponse = { type: PayloadType.KE, critical: false, group: keId, data: ke.publicValue };
  }
  const spiOut = bytesToSpi(sel.chosen.spi);
  if (spiOut === undefined || spiOut === 0 || sel.chosen.protocolId !== ProtocolId.ESP) {
    return { payloads: [notify(NotifyType.INVALID_SYNTAX)] };
  }
  const child = new ChildSa(sa.ctx, sa, cfg, opts.rekey?.old.reqid ?? sa.ctx.trapReqid(conn, cfg));
  if (opts.rekey !== undefined) child.generation = opts.rekey.old.generation + 1;
  child.nonces = { ni: opts.ni, nr: opts.nr };
  child.spiIn = await sa.ctx.dataplane.allocateSpi('esp', sa.remote.address, sa.local.address, child.reqid);
  child.spiOut = spiOut;
  const wantsTransport = findNotify(payloads, NotifyType.USE_TRANSPORT_MODE) !== undefined;
  child.mode = wantsTransport && cfg.mode === 'transport' ? 'transport' : 'tunnel';
  try {
    // Responder of a rekey, or of a reauthentication's fresh CHILD SA: keep sending on the
    // old SA until the peer deletes it (§2.8), so we never send on an SA it has not installed.
    const predecessor = opts.rekey === undefined ? findPredecessor(sa, cfg) : undefined;
    if (predecessor !== undefined) predecessor.successor = child;
    const defer = opts.rekey !== undefined || predecessor !== undefined;
    await installChild(sa, child, sel.selected, pick.tsi, pick.tsr, { ni: opts.ni, nr: opts.nr, ...(shared ? { shared } : {}) }, defer);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    childFail(sa, cfg, exchange, 'internal', `dataplane refused the CHILD SA: ${message}`, {});
    child.remove(message);
    return { payloads: [notify(NotifyType.NO_PROPOSAL_CHOSEN)] };
  }
  const out: Payload[] = [];
  if (child.mode === 'transport') out.push(notify(NotifyType.USE_TRANSPORT_MODE));
  out.push(
    { type: PayloadType.SA, critical: false, proposals: [{ ...sel.chosen, spi: spiToBytes(child.spiIn) }] },
    { type: PayloadType.TSi, critical: false, selectors: pick.tsi.map(tsToWire) },
    { type: PayloadType.TSr, critical: false, selectors: pick.tsr.map(tsToWire) },
  );
  return { payloads: out, child, ...(keResponse ? { keResponse } : {}) };
}

/**
 * A live CHILD SA of the same config and peer identity on another IKE SA:
 * the peer is reauthenticating (make-before-break) and will delete it.
 */
function findPredecessor(sa: IkeSa, cfg: ChildConfig): ChildSa | undefined {
  const rid = sa.remoteId;
  if (rid === undefined) return undefined;
  // Newest first: the SA a reauthentication replaces is the latest one with this peer.
  const others = sa.ctx.peers.sasOf(rid);
  for (let i = others.length - 1; i >= 0; i--) {
    const other = others[i];
    if (other === undefined || other === sa || other.conn?.name !== sa.conn?.name || other.state !== 'established') continue;
    for (const c of other.children.values()) if (c.cfg.name === cfg.name && c.isLive && c.successor === undefined) return c;
  }
  return undefined;
}

function selector(r: TsRange): Selector {
  return {
    family: r.family,
    startAddress: formatIp(r.family, r.start),
    endAddress: formatIp(r.family, r.end),
    protocol: r.protocol,
    startPort: r.startPort,
    endPort: r.endPort,
  };
}

/**
 *   KEYMAT = prf+(SK_d, Ni | Nr)            (§2.17, no PFS)
 *   KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr)  (with PFS)
 * Initiator-to-responder keys first: encr_i | integ_i | encr_r | integ_r.
 */
async function installChild(
  sa: IkeSa,
  child: ChildSa,
  sel: SelectedAlgorithms,
  tsi: readonly TsRange[],
  tsr: readonly TsRange[],
  nonces: { ni: Uint8Array; nr: Uint8Array; shared?: Uint8Array },
  deferOutbound: boolean,
): Promise<void> {
  const prf = sa.prf;
  const keys = sa.keys;
  if (prf === undefined || keys === undefined) throw new KeywayError('IKE_NO_KEYS', 'IKE SA has no keys');
  const encr = encrDescriptor(sel.encrId, sel.encrKeyBits);
  if (encr === undefined) throw new KeywayError('IKE_BAD_ENCR', `unsupported ESP encryption ${sel.encrId}`);
  const integ = sel.integId !== undefined && sel.integId !== 0 ? integDescriptor(sel.integId) : undefined;
  const km = deriveChildSaKeys({
    prf,
    skD: keys.skD,
    ...(nonces.shared !== undefined ? { sharedSecret: nonces.shared } : {}),
    ni: nonces.ni,
    nr: nonces.nr,
    encrKeyLength: encr.keyLength,
    integKeyLength: integ?.keyLength ?? 0,
  });
  // The exchange initiator of this CHILD SA uses the "i" keys outbound (§2.17).
  const weInitiated = child.exchangeInitiator;
  const outKeys = weInitiated ? { e: km.encrI, a: km.integI } : { e: km.encrR, a: km.integR };
  const inKeys = weInitiated ? { e: km.encrR, a: km.integR } : { e: km.encrI, a: km.integI };
  // Our TS are TSi when we initiated this exchange, else TSr.
  const localTs = weInitiated ? tsi : tsr;
  const remoteTs = weInitiated ? tsr : tsi;
  child.localTs = localTs.map(formatTs);
  child.remoteTs = remoteTs.map(formatTs);
  child.localRanges = localTs;
  child.remoteRanges = remoteTs;
  child.encap = sa.natLocal || sa.natRemote;
  child.algorithms = ikeAlgorithmInfo({ ...sel, esn: sel.esn ?? false });
  const cfg = child.cfg;
  const local = sa.local.address;
  const remote = sa.remote.address;
  const encap = child.encap ? { srcPort: sa.local.port, dstPort: sa.remote.port } : undefined;
  // each selector is formatted once and shared by the SAs and all policies (read-only for the dataplane)
  const localSel = localTs.map(selector);
  const remoteSel = remoteTs.map(selector);
  const lifetime = {
    // soft limits jittered like strongSwan's rand_bytes / rand_packets, so both peers do not rekey at once
    ...(cfg.rekeyBytes > 0 ? { softBytes: Math.max(1, Math.round(cfg.rekeyBytes - jitterSeconds(sa, cfg.randBytes))) } : {}),
    ...(cfg.lifeBytes > 0 ? { hardBytes: cfg.lifeBytes } : {}),
    ...(cfg.rekeyPackets > 0 ? { softPackets: Math.max(1, Math.round(cfg.rekeyPackets - jitterSeconds(sa, cfg.randPackets))) } : {}),
    ...(cfg.lifePackets > 0 ? { hardPackets: cfg.lifePackets } : {}),
    ...(cfg.lifeTime > 0 ? { hardSeconds: cfg.lifeTime } : {}),
  };
  // one literal per SA (no spread of a shared object: that was the largest self-time entry of
  // the protocol code in the responder's profile); `encap` is set only when ESP-in-UDP is used
  const saSpec = (direction: 'in' | 'out', spi: number, src: string, dst: string, k: { e: Uint8Array; a: Uint8Array }, udp: SaSpec['encap']): SaSpec => {
    const spec: SaSpec = {
      protocol: 'esp', spi, direction, src, dst, mode: child.mode, esn: sel.esn ?? false, replayWindow: cfg.replayWindow,
      localTs: localSel, remoteTs: remoteSel, lifetime, reqid: child.reqid,
      keys: { encrId: sel.encrId, encrKeyBits: encr.keyBits, encrKey: k.e, integId: sel.integId ?? 0, integKey: k.a },
    };
    return udp === undefined ? spec : { ...spec, encap: udp };
  };
  const sas: SaSpec[] = [
    saSpec('in', child.spiIn, remote, local, inKeys, encap === undefined ? undefined : { srcPort: encap.dstPort, dstPort: encap.srcPort }),
    saSpec('out', child.spiOut, local, remote, outKeys, encap),
  ];
  const policies: PolicySpec[] = [];
  // plain literals rather than spreads of a shared base: this ran on every CHILD SA and was the
  // largest self-time entry of the protocol code in the responder's profile
  const policy = (direction: PolicySpec['direction'], l: Selector, r: Selector, tunnelSrc: string, tunnelDst: string): PolicySpec => ({
    direction, local: l, remote: r, mode: child.mode, tunnelSrc, tunnelDst, reqid: child.reqid, protocol: 'esp', priority: 0,
  });
  for (const l of localSel) {
    for (const r of remoteSel) {
      if (l.family !== r.family) continue;
      policies.push(policy('out', l, r, local, remote), policy('in', l, r, remote, local));
      if (child.mode === 'tunnel') policies.push(policy('fwd', l, r, remote, local));
    }
  }
  for (const s of sas) {
    sa.ctx.keyLog?.childSaKeys({
      spi: s.spi, src: s.src, dst: s.dst, encrId: sel.encrId, encrKeyBits: encr.keyBits,
      encrKey: s.keys.encrKey, integId: s.keys.integId, integKey: s.keys.integKey,
    });
  }
  await child.install(sas, policies, deferOutbound);
  scheduleChildLifetime(child);
}

