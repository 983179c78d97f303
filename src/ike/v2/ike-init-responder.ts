/**
 * IKE_SA_INIT, responder side (RFC 7296 §1.2, §2.6, §2.7, §2.23).
 *
 * Everything before the IKE SA object is created is stateless: COOKIE
 * challenges, NO_PROPOSAL_CHOSEN and INVALID_KE_PAYLOAD answers cost the
 * responder nothing but a hash and a packet.
 */
import type { ConnectionConfig } from '../../config/model.js';
import type { KeResponse } from '../../crypto/ke/exchanger.js';
import { ExchangeType, KeId, NotifyType, PayloadType, nameOf } from '../../iana/ikev2.js';
import { candidateConnectionsForInit } from '../../policy/peers.js';
import { selectProposal, type ProposalDiagnostic, type SelectedAlgorithms } from '../../policy/proposals.js';
import { bytesEqual } from '../../util/bytes.js';
import { CryptoError } from '../../util/errors.js';
import { encodeMessage } from '../../wire/ikev2/message.js';
import type { IkeHeader, Payload, Proposal } from '../../wire/ikev2/types.js';
import type { EngineContext } from '../context.js';
import { IkeSa } from '../ike-sa.js';
import type { Datagram } from '../ports.js';
import { SaTable } from '../sa-table.js';
import type { CookieJar } from './cookie.js';
import { establishIkeKeys } from './ike-keys.js';
import { forceEncap, natdHash } from './natd.js';
import { findNotify, findPayload, notifies, notify } from './payloads.js';
import { sigHashResponse } from './sig-hash-notify.js';

const NONCE_LENGTH = 32;

/** Sends a response without creating any state (SPIr zero, §2.6). */
function statelessReply(ctx: EngineContext, d: Datagram, h: IkeHeader, payloads: Payload[]): void {
  const bytes = encodeMessage(
    {
      spiI: h.spiI,
      spiR: new Uint8Array(8),
      majorVersion: 2,
      minorVersion: 0,
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: false,
      response: true,
      version: false,
      messageId: 0,
    },
    payloads,
  );
  ctx.transport.send({ local: d.local, remote: d.remote, bytes });
  ctx.counters.inc('msg.tx.response');
}

/**
 * candidateConnectionsForInit parses every connection's address strings;
 * the answer depends only on the config and the two addresses, so it is
 * remembered per loaded config (a new config is a new array). Bounded: a
 * flood from many (spoofed) sources only refills it.
 */
const candidateCache = new WeakMap<readonly ConnectionConfig[], Map<string, readonly ConnectionConfig[]>>();
const CANDIDATE_CACHE_MAX = 4096;

function candidatesFor(conns: readonly ConnectionConfig[], local: string, remote: string): readonly ConnectionConfig[] {
  let m = candidateCache.get(conns);
  if (m === undefined) {
    m = new Map();
    candidateCache.set(conns, m);
  }
  const key = `${local}|${remote}`;
  let c = m.get(key);
  if (c === undefined) {
    c = candidateConnectionsForInit(conns, local, remote, 2);
    if (m.size >= CANDIDATE_CACHE_MAX) m.clear();
    m.set(key, c);
  }
  return c;
}

function peerText(d: Datagram): string {
  return `${d.remote.address}[${d.remote.port}]`;
}

export function handleInitRequest(
  ctx: EngineContext,
  cookies: CookieJar,
  d: Datagram,
  h: IkeHeader,
  payloads: readonly Payload[],
): void {
  // §2.1: a retransmitted IKE_SA_INIT request gets the cached response.
  const initKey = SaTable.initKey(h.spiI, d.remote.address, d.remote.port);
  const existing = ctx.table.getInit(initKey);
  if (existing !== undefined) {
    if (existing.lastResponse?.messageId === 0 && bytesEqual(existing.initRequest, d.bytes)) {
      existing.resendLastResponse();
    } else if (existing.lastResponse === undefined && bytesEqual(existing.initRequest, d.bytes)) {
      // Its Diffie-Hellman is still being computed: the response is on its way.
      ctx.counters.inc('msg.rx.drop.init.pending');
    } else {
      ctx.counters.inc('msg.rx.drop.init.duplicate');
    }
    return;
  }
  const saP = findPayload(payloads, PayloadType.SA);
  const keP = findPayload(payloads, PayloadType.KE);
  const nonce = findPayload(payloads, PayloadType.NONCE);
  if (saP === undefined || keP === undefined || nonce === undefined) {
    ctx.counters.inc('msg.rx.drop.init.missing');
    statelessReply(ctx, d, h, [notify(NotifyType.INVALID_SYNTAX)]);
    return;
  }
  // §2.10: nonces are at least 128 bits and at most 2048 bits.
  if (nonce.data.length < 16 || nonce.data.length > 256) {
    ctx.counters.inc('msg.rx.drop.init.nonce');
    statelessReply(ctx, d, h, [notify(NotifyType.INVALID_SYNTAX)]);
    return;
  }
  const daemon = ctx.config.daemon;
  const halfOpen = ctx.table.halfOpenCount();
  if (halfOpen >= daemon.halfOpenLimit) {
    ctx.counters.inc('msg.rx.drop.init.halfopen_limit');
    return;
  }
  if (halfOpen >= daemon.cookieThreshold) {
    const echoed = findNotify(payloads, NotifyType.COOKIE);
    const now = ctx.clock.nowMs();
    if (echoed === undefined || !cookies.verify(now, echoed.data, nonce.data, d.remote.address, h.spiI)) {
      ctx.counters.inc(echoed === undefined ? 'ike.init.cookie.sent' : 'ike.init.cookie.invalid');
      statelessReply(ctx, d, h, [notify(NotifyType.COOKIE, cookies.make(now, nonce.data, d.remote.address, h.spiI))]);
      return;
    }
    ctx.counters.inc('ike.init.cookie.accepted');
  }

  const candidates = candidatesFor(ctx.config.connections, d.local.address, d.remote.address);
  if (candidates.length === 0) {
    ctx.counters.inc('ike.init.no_config');
    ctx.fail({
      connection: null,
      ikeSaId: null,
      peer: peerText(d),
      kind: 'config',
      exchange: 'IKE_SA_INIT',
      message: `no connection matches ${d.local.address} <-> ${d.remote.address} (check local_addrs/remote_addrs)`,
      detail: {
        local: d.local.address,
        remote: d.remote.address,
        connections: ctx.config.connections.map((c) => ({ name: c.name, localAddrs: c.localAddrs, remoteAddrs: c.remoteAddrs, version: c.version })),
      },
    });
    statelessReply(ctx, d, h, [notify(NotifyType.NO_PROPOSAL_CHOSEN)]);
    return;
  }

  let chosen: { conn: ConnectionConfig; proposal: Proposal; sel: SelectedAlgorithms } | undefined;
  let diagnostic: ProposalDiagnostic | undefined;
  for (const conn of candidates) {
    const r = selectProposal(saP.proposals, conn.proposals, 'ike');
    if (r.ok) {
      chosen = { conn, proposal: r.chosen, sel: r.selected };
      break;
    }
    diagnostic ??= r.diagnostic;
  }
  if (chosen === undefined) {
    ctx.counters.inc('ike.init.no_proposal');
    ctx.fail({
      connection: candidates[0]?.name ?? null,
      ikeSaId: null,
      peer: peerText(d),
      kind: 'proposal',
      exchange: 'IKE_SA_INIT',
      message: `no acceptable IKE proposal: ${diagnostic?.reason ?? 'no match'}`,
      detail: diagnostic === undefined ? {} : { ...diagnostic },
    });
    statelessReply(ctx, d, h, [notify(NotifyType.NO_PROPOSAL_CHOSEN)]);
    return;
  }
  const group = chosen.sel.keId ?? 0;
  if (keP.group !== group) {
    // §1.2: tell the initiator which group we want; no state is kept.
    ctx.counters.inc('ike.init.invalid_ke.sent');
    ctx.log('info', 'ike.init.invalid_ke', { peer: peerText(d), received: nameOf(KeId, keP.group), wanted: nameOf(KeId, group) });
    statelessReply(ctx, d, h, [notify(NotifyType.INVALID_KE_PAYLOAD, new Uint8Array([(group >> 8) & 0xff, group & 0xff]))]);
    return;
  }

  let spiR = ctx.rng.bytes(8);
  while (spiR.every((b) => b === 0) || ctx.table.get(spiR) !== undefined) spiR = ctx.rng.bytes(8);
  const sa = new IkeSa(ctx, { initiator: false, spiI: h.spiI, spiR, local: d.local, remote: d.remote });
  sa.candidates = candidates;
  sa.conn = chosen.conn;
  sa.ni = nonce.data;
  sa.initRequest = d.bytes;
  // The SA is indexed before the Diffie-Hellman runs (possibly in a worker):
  // a retransmitted request finds it and is not computed twice (§2.1), it
  // counts as half-open for the COOKIE threshold and the half-open limit
  // (§2.6), the half-open timer bounds it, and anything else addressed to it
  // waits in its mailbox until the response is out.
  ctx.table.add(sa);
  ctx.table.addInit(initKey, sa);
  sa.armHalfOpenTimer();
  const init: PendingInit = { d, h, payloads, chosen, group, peerKe: keP.data };
  void sa.run('IKE_SA_INIT', () => completeInit(sa, init));
}

interface PendingInit {
  readonly d: Datagram;
  readonly h: IkeHeader;
  readonly payloads: readonly Payload[];
  readonly chosen: { readonly conn: ConnectionConfig; readonly proposal: Proposal; readonly sel: SelectedAlgorithms };
  readonly group: number;
  readonly peerKe: Uint8Array;
}

/** Second half of the responder's IKE_SA_INIT, in the SA's mailbox: DH, response, keys (§1.2, §2.14). */
async function completeInit(sa: IkeSa, p: PendingInit): Promise<void> {
  const ctx = sa.ctx;
  const { d, h, payloads, chosen, group } = p;
  let ke: KeResponse;
  try {
    ke = await ctx.ke.respond(group, p.peerKe, { modpExponent: ctx.config.daemon.modpExponent });
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    ctx.counters.inc('ike.init.invalid_ke_value');
    ctx.fail({
      connection: chosen.conn.name,
      ikeSaId: null,
      peer: peerText(d),
      kind: 'ke',
      exchange: 'IKE_SA_INIT',
      message: `invalid ${nameOf(KeId, group)} public value from initiator: ${e.message}`,
      detail: { group: nameOf(KeId, group), length: p.peerKe.length },
    });
    statelessReply(ctx, d, h, [notify(NotifyType.INVALID_SYNTAX)]);
    sa.destroy('invalid KE value from initiator');
    return;
  }
  if (sa.state === 'destroyed') return;
  sa.nr = ctx.rng.bytes(NONCE_LENGTH);
  const src = notifies(payloads, NotifyType.NAT_DETECTION_SOURCE_IP);
  const dst = notifies(payloads, NotifyType.NAT_DETECTION_DESTINATION_IP);
  const zero = new Uint8Array(8);
  if (src.length > 0 && dst.length > 0) {
    // In the request SPIr was zero (§2.23).
    sa.natRemote = !src.some((n) => bytesEqual(n.data, natdHash(h.spiI, zero, d.remote)));
    sa.natLocal = forceEncap(ctx, chosen.conn) || !dst.some((n) => bytesEqual(n.data, natdHash(h.spiI, zero, d.local)));
  }
  const response: Payload[] = [
    { type: PayloadType.SA, critical: false, proposals: [chosen.proposal] },
    { type: PayloadType.KE, critical: false, group, data: ke.publicValue },
    { type: PayloadType.NONCE, critical: false, data: sa.nr },
  ];
  if (src.length > 0) {
    const ourSrc = forceEncap(ctx, chosen.conn) ? ctx.rng.bytes(20) : natdHash(h.spiI, sa.spiR, d.local);
    response.push(
      notify(NotifyType.NAT_DETECTION_SOURCE_IP, ourSrc),
      notify(NotifyType.NAT_DETECTION_DESTINATION_IP, natdHash(h.spiI, sa.spiR, d.remote)),
    );
  }
  // RFC 7427 §4: answer N(SIGNATURE_HASH_ALGORITHMS) with ours
  response.push(...sigHashResponse(sa, payloads));
  sa.transition('connecting');
  sa.sendResponse(ExchangeType.IKE_SA_INIT, 0, response, true);
  sa.initResponse = sa.lastResponse?.bytes ?? new Uint8Array(0);
  sa.expectedPeerRequestId = 1;
  establishIkeKeys(sa, chosen.sel, ke.sharedSecret);
  sa.transition('authenticating');
  ctx.counters.inc('ike.init.responded');
  if (ctx.logs('info')) ctx.log('info', 'ike.init.responded', { ...sa.logFields, alg: sa.algorithms, natLocal: sa.natLocal, natRemote: sa.natRemote });
}
