/**
 * The inbound path for IKEv2 datagrams (ARCHITECTURE B3):
 *
 *   header check -> IKE_SA_INIT request? -> stateless admission (ike-init-responder)
 *                -> SA lookup by our SPI -> mailbox -> message-ID window (§2.1, §2.2)
 *                -> open SK (integrity first) -> rules table (§2.5) -> exchange handler
 *
 * Anything that fails to decode or authenticate is counted and dropped; the
 * daemon keeps serving every other peer.
 */
import { ExchangeType, NotifyType, PayloadType } from '../iana/ikev2.js';
import { findSk, openMessage } from '../message/protect-v2.js';
import { CryptoError, WireError } from '../util/errors.js';
import { bytesEqual } from '../util/bytes.js';
import { decodeHeader } from '../wire/ikev2/header.js';
import { decodeMessage } from '../wire/ikev2/message.js';
import { checkRules } from '../wire/ikev2/rules.js';
import type { IkeHeader, Payload } from '../wire/ikev2/types.js';
import type { EngineContext } from './context.js';
import type { IkeSa } from './ike-sa.js';
import type { Datagram } from './ports.js';
import type { CookieJar } from './v2/cookie.js';
import { handleCreateChildRequest } from './v2/create-child.js';
import { handleAuthRequest } from './v2/ike-auth.js';
import { handleInitRequest } from './v2/ike-init-responder.js';
import { handleInformationalRequest } from './v2/informational.js';
import { notify } from './v2/payloads.js';

export function receiveDatagram(ctx: EngineContext, cookies: CookieJar, d: Datagram): void {
  ctx.counters.inc('msg.rx');
  // RFC 2408 §3.1 / RFC 7296 §3.1: the major version (high nibble of byte 17) picks the engine.
  if (d.bytes.length >= 28 && (d.bytes[17] ?? 0) >> 4 === 1) {
    if (ctx.v1 === undefined) {
      ctx.counters.inc('msg.rx.drop.ikev1');
      return;
    }
    ctx.v1.receive(d);
    return;
  }
  let h: IkeHeader;
  try {
    h = decodeHeader(d.bytes);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    ctx.counters.inc(e.code === 'IKE_ERR_VERSION' ? 'msg.rx.drop.version' : 'msg.rx.drop.header');
    return;
  }
  if (h.exchangeType === ExchangeType.IKE_SA_INIT && !h.response) {
    // §2.2: the first message has message ID 0 and SPIr zero.
    if (!h.initiator || h.messageId !== 0 || h.spiR.some((b) => b !== 0)) {
      ctx.counters.inc('msg.rx.drop.init.header');
      return;
    }
    const msg = decodeMessage(d.bytes);
    const v = checkRules(h.exchangeType, false, msg.payloads, null);
    if (v !== null) {
      ctx.counters.inc('msg.rx.drop.rules');
      ctx.log('debug', 'msg.rx.rules', { peer: d.remote.address, code: v.code, message: v.message });
      return;
    }
    handleInitRequest(ctx, cookies, d, h, msg.payloads);
    return;
  }
  // The sender's I flag tells which SPI is ours (§3.1).
  const ourSpi = h.initiator ? h.spiR : h.spiI;
  const sa = ctx.table.get(ourSpi);
  if (sa === undefined) {
    // §2.21.4: MAY answer INVALID_IKE_SPI; we count and drop to avoid reflection.
    ctx.counters.inc('msg.rx.drop.unknown_spi');
    return;
  }
  if (h.initiator === sa.isOriginalInitiator) {
    ctx.counters.inc('msg.rx.drop.flags');
    return;
  }
  void sa.run('receive', () => processMessage(sa, d, h));
}

async function processMessage(sa: IkeSa, d: Datagram, h: IkeHeader): Promise<void> {
  const ctx = sa.ctx;
  if (h.response) {
    if (sa.activeMessageId !== h.messageId || sa.activeExchangeType !== h.exchangeType) {
      ctx.counters.inc('msg.rx.drop.unexpected_response');
      return;
    }
  } else {
    // §2.1: a retransmitted request gets our cached response, unprocessed.
    if (sa.lastResponse !== undefined && h.messageId === sa.lastResponse.messageId) {
      // Only an identical copy of the request is a retransmission: anything else with
      // this message ID is unauthenticated garbage we must not answer (no reflection).
      const req = sa.lastResponse.request;
      if (req === undefined || bytesEqual(req, d.bytes)) sa.resendLastResponse();
      else ctx.counters.inc('msg.rx.drop.retransmit_mismatch');
      return;
    }
    if (h.messageId !== sa.expectedPeerRequestId) {
      ctx.counters.inc('msg.rx.drop.message_id');
      return;
    }
  }
  let outer: readonly Payload[];
  try {
    outer = decodeMessage(d.bytes).payloads;
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    ctx.counters.inc('msg.rx.drop.decode');
    return;
  }
  if (h.exchangeType === ExchangeType.IKE_SA_INIT) {
    if (checkRules(h.exchangeType, true, outer, null) !== null) {
      ctx.counters.inc('msg.rx.drop.rules');
      return;
    }
    await sa.handleResponse(outer, d.bytes);
    return;
  }
  const sk = findSk({ header: h, payloads: outer });
  const cipher = sa.inCipher;
  if (sk === undefined || cipher === undefined) {
    ctx.counters.inc('msg.rx.drop.unprotected');
    return;
  }
  let inner: Payload[];
  try {
    inner = openMessage(d.bytes, { header: h, payloads: outer }, sk, cipher);
  } catch (e) {
    if (e instanceof CryptoError) {
      // §2.21.2 / §3.14: a message failing its integrity check is silently discarded.
      ctx.counters.inc('msg.rx.drop.integrity');
      return;
    }
    if (e instanceof WireError) {
      ctx.counters.inc('msg.rx.drop.decode_inner');
      return;
    }
    throw e;
  }
  // Authenticated: §2.23 lets the peer's address/port change behind a NAT, and the port float to 4500.
  followPeer(sa, d);
  sa.lastInboundMs = ctx.clock.nowMs();
  const violation = checkRules(h.exchangeType, h.response, outer, inner);
  if (!h.response) {
    sa.expectedPeerRequestId = h.messageId + 1;
    sa.currentRequest = d.bytes;
  }
  if (violation !== null) {
    ctx.counters.inc('msg.rx.drop.rules');
    ctx.log('info', 'msg.rx.rules', { ...sa.logFields, code: violation.code, message: violation.message });
    if (!h.response) {
      const data =
        violation.notify === NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD ? new Uint8Array([violation.payloadType & 0xff]) : new Uint8Array(0);
      sa.sendResponse(h.exchangeType, h.messageId, [notify(violation.notify, data)]);
    }
    return;
  }
  if (h.response) {
    await sa.handleResponse(inner, d.bytes);
    return;
  }
  switch (h.exchangeType) {
    case ExchangeType.IKE_AUTH:
      if (sa.isOriginalInitiator || sa.state !== 'authenticating') {
        sa.sendResponse(h.exchangeType, h.messageId, [notify(NotifyType.INVALID_SYNTAX)]);
        return;
      }
      await handleAuthRequest(sa, inner, h.messageId);
      return;
    case ExchangeType.CREATE_CHILD_SA:
      await handleCreateChildRequest(sa, inner, h.messageId);
      return;
    case ExchangeType.INFORMATIONAL:
      handleInformationalRequest(sa, inner, h.messageId);
      return;
    default:
      ctx.counters.inc('msg.rx.drop.exchange');
      sa.sendResponse(h.exchangeType, h.messageId, [notify(NotifyType.INVALID_SYNTAX)]);
  }
}

function followPeer(sa: IkeSa, d: Datagram): void {
  const sameRemote = d.remote.address === sa.remote.address && d.remote.port === sa.remote.port;
  const sameLocal = d.local.address === sa.local.address && d.local.port === sa.local.port;
  if (sameRemote && sameLocal) return;
  const portFloat = d.remote.address === sa.remote.address;
  if (!portFloat && !sa.natRemote) {
    sa.ctx.counters.inc('ike.address_change.ignored');
    return;
  }
  // §2.23: the float to port 4500 after NAT detection is routine (debug); a new address is news (info).
  const level = portFloat ? 'debug' : 'info';
  if (sa.ctx.logs(level)) sa.ctx.log(level, 'ike.peer.moved', { ...sa.logFields, to: `${d.remote.address}[${d.remote.port}]` });
  sa.remote = d.remote;
  sa.local = d.local;
  for (const child of sa.children.values()) {
    child.updateEndpoints().catch((e: unknown) => {
      sa.ctx.counters.inc('kernel.error.update');
      sa.ctx.log('warn', 'child.update.error', { ...child.logFields, error: e instanceof Error ? e.message : String(e) });
    });
  }
}
