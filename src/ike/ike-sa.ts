/**
 * One IKEv2 SA: identity, keys, message-ID windows, retransmission and the
 * per-SA mailbox.
 *
 * States (RFC 7296 §1.2, §1.4):
 *
 *   created --INIT sent/recv--> connecting --INIT done--> authenticating
 *   authenticating --AUTH ok--> established --delete--> deleting --> destroyed
 *   any --------------------fatal error/timeout------------------> destroyed
 *
 * Window size 1 (§2.3): at most one request of ours is outstanding; further
 * exchanges wait in `queue`. As responder we answer a retransmitted request
 * from `lastResponse` (§2.1) without processing it again.
 */
import type { ConnectionConfig } from '../config/model.js';
import type { Prf } from '../crypto/prf.js';
import type { SkCipher } from '../crypto/protect.js';
import { ExchangeType, nameOf } from '../iana/ikev2.js';
import { toHex } from '../util/bytes.js';
import type { Payload } from '../wire/ikev2/types.js';
import type { ChildSa } from './child-sa.js';
import type { EngineContext } from './context.js';
import type { AlgorithmInfo } from './info.js';
import type { Endpoint, TimerHandle } from './ports.js';
import type { HeaderFields } from '../message/protect-v2.js';
import { sealMessage } from '../message/protect-v2.js';
import { encodeMessage } from '../wire/ikev2/message.js';
import { PeerIndex } from './v2/peer-index.js';

export type IkeSaState = 'created' | 'connecting' | 'authenticating' | 'established' | 'rekeyed' | 'deleting' | 'destroyed';

const EDGES: Readonly<Record<IkeSaState, readonly IkeSaState[]>> = {
  created: ['connecting', 'established', 'destroyed'],
  connecting: ['connecting', 'authenticating', 'destroyed'],
  authenticating: ['established', 'deleting', 'destroyed'],
  established: ['rekeyed', 'deleting', 'destroyed'],
  // §2.18: replaced by a new IKE SA; only its delete is still expected
  rekeyed: ['deleting', 'destroyed'],
  deleting: ['destroyed'],
  destroyed: [],
};

export interface LifetimeTimers {
  rekey: TimerHandle | undefined;
  reauth: TimerHandle | undefined;
  expire: TimerHandle | undefined;
  dpd: TimerHandle | undefined;
}

/** Result of one of our requests; 'retry' re-sends the (rebuilt) request with the same message ID. */
export type ResponseOutcome = 'done' | 'retry';

/** An exchange we initiate (RFC 7296 §1: "request/response pair"). */
export interface RequestExchange {
  readonly name: string;
  readonly exchangeType: number;
  /** IKE_SA_INIT only: sent in the clear (§1.2) */
  readonly cleartext?: boolean;
  /** Builds the (inner) payloads. Called when the exchange becomes active. */
  build(): Promise<Payload[]>;
  /** Handles the (decrypted) response payloads. */
  onResponse(payloads: readonly Payload[], rawResponse: Uint8Array): Promise<ResponseOutcome>;
  /** The exchange will not complete (timeout, SA destroyed). Must not throw. */
  onAbort(reason: string): void;
}

interface ActiveRequest {
  readonly exchange: RequestExchange;
  readonly messageId: number;
  bytes: Uint8Array;
  retransmits: number;
  timer: TimerHandle | undefined;
}

/** Negotiated IKE SA keys (RFC 7296 §2.14). */
export interface IkeKeys {
  /** SK_d: used to derive CHILD SA keys (§2.17) */
  readonly skD: Uint8Array;
  /** SK_pi / SK_pr: used in the AUTH computation (§2.15) */
  readonly skPi: Uint8Array;
  readonly skPr: Uint8Array;
}

export class IkeSa {
  readonly uniqueId: number;
  readonly isOriginalInitiator: boolean;
  spiI: Uint8Array;
  spiR: Uint8Array;
  /** changed only by transition(), which keeps the table's half-open count current */
  private current: IkeSaState = 'created';
  /** the connection this SA belongs to; for responders, final after IKE_AUTH (§2.15 peer selection) */
  conn: ConnectionConfig | undefined;
  /** responder only: connections that matched the addresses at IKE_SA_INIT */
  candidates: readonly ConnectionConfig[] = [];
  local: Endpoint;
  remote: Endpoint;
  /** RFC 7296 §2.23: a NAT is in front of us / in front of the peer */
  natLocal = false;
  natRemote = false;
  algorithms: AlgorithmInfo | undefined;
  prf: Prf | undefined;
  keys: IkeKeys | undefined;
  /** SK_e/SK_a of the messages we send / receive */
  outCipher: SkCipher | undefined;
  inCipher: SkCipher | undefined;
  ni: Uint8Array = new Uint8Array(0);
  nr: Uint8Array = new Uint8Array(0);
  /** the IKE_SA_INIT messages, signed in IKE_AUTH (§2.15 "RealMessage1/2") */
  initRequest: Uint8Array = new Uint8Array(0);
  initResponse: Uint8Array = new Uint8Array(0);
  /** identities (type + data) as sent in IDi/IDr, once known */
  localId: { type: number; data: Uint8Array } | undefined;
  private peerId: { type: number; data: Uint8Array } | undefined;
  private peerKey: string | undefined;
  localIdText = '';
  remoteIdText = '';
  readonly children = new Map<number, ChildSa>();
  createdAtMs: number;
  establishedAtMs: number | undefined;
  establishedAtWall: number | undefined;
  generation = 0;
  closeReason: string | undefined;
  initKey: string | undefined;
  /** clock ms of the last authenticated message from the peer (DPD, §2.4) */
  lastInboundMs: number;
  rekeyAtMs: number | undefined;
  reauthAtMs: number | undefined;
  expireAtMs: number | undefined;
  readonly lifetimeTimers: LifetimeTimers = { rekey: undefined, reauth: undefined, expire: undefined, dpd: undefined };
  /** our IKE SA rekey (CREATE_CHILD_SA with an IKE proposal) is under way */
  ikeRekeying = false;
  /** a reauthentication replacing this SA is under way */
  reauthenticating = false;
  /** we answered the peer's rekey of this IKE SA (collision detection, §2.8.2) */
  peerRekey: { readonly sa: IkeSa; readonly ni: Uint8Array; readonly nr: Uint8Array } | undefined;
  /** the peer deleted this SA while our rekey of it was in flight (§2.25.2) */
  peerDeleted = false;
  /** the peer stopped answering: dpd_action applies to the CHILD SAs */
  deadPeer = false;

  // Message IDs (RFC 7296 §2.2): separate counters per direction.
  nextRequestId = 0;
  expectedPeerRequestId = 0;
  lastResponse: { readonly messageId: number; readonly bytes: Uint8Array; readonly request: Uint8Array | undefined } | undefined;
  /** the request being answered (set by the inbound path), kept with the cached response */
  currentRequest: Uint8Array | undefined;
  private active: ActiveRequest | undefined;
  private readonly queue: RequestExchange[] = [];
  private halfOpenTimer: TimerHandle | undefined;
  private keepaliveTimer: TimerHandle | undefined;
  private mailbox: Promise<void> = Promise.resolve();
  private readonly closeListeners: ((reason: string) => void)[] = [];

  constructor(
    readonly ctx: EngineContext,
    opts: {
      initiator: boolean;
      spiI: Uint8Array;
      spiR: Uint8Array;
      local: Endpoint;
      remote: Endpoint;
      conn?: ConnectionConfig;
    },
  ) {
    this.uniqueId = ctx.nextUniqueId();
    this.isOriginalInitiator = opts.initiator;
    this.spiI = opts.spiI;
    this.spiR = opts.spiR;
    this.local = opts.local;
    this.remote = opts.remote;
    this.conn = opts.conn;
    this.createdAtMs = ctx.clock.nowMs();
    this.lastInboundMs = this.createdAtMs;
  }

  cancelLifetimeTimers(): void {
    for (const k of ['rekey', 'reauth', 'expire', 'dpd'] as const) {
      const t = this.lifetimeTimers[k];
      if (t) this.ctx.scheduler.cancel(t);
      this.lifetimeTimers[k] = undefined;
    }
  }

  /** The peer's authenticated identity; setting it keeps ctx.peers current. */
  get remoteId(): { type: number; data: Uint8Array } | undefined {
    return this.peerId;
  }

  set remoteId(id: { type: number; data: Uint8Array } | undefined) {
    if (this.peerKey !== undefined) this.ctx.peers.remove(this.peerKey, this);
    this.peerId = id;
    this.peerKey = id === undefined || this.state === 'destroyed' ? undefined : PeerIndex.key(id);
    if (this.peerKey !== undefined) this.ctx.peers.add(this.peerKey, this);
  }

  get state(): IkeSaState {
    return this.current;
  }

  /** The SPI we chose: it indexes the SA table. */
  get localSpi(): Uint8Array {
    return this.isOriginalInitiator ? this.spiI : this.spiR;
  }

  get connectionName(): string {
    return this.conn?.name ?? this.candidates[0]?.name ?? '';
  }

  get logFields(): Record<string, unknown> {
    // the SPI text is asked for in every log record of this SA: compute it once per SPI pair
    const c = this.spiText;
    const spis = c !== undefined && c.i === this.spiI && c.r === this.spiR ? c.text : this.cacheSpiText();
    return {
      ike: this.uniqueId,
      conn: this.connectionName,
      peer: `${this.remote.address}[${this.remote.port}]`,
      spis,
    };
  }

  private spiText: { readonly i: Uint8Array; readonly r: Uint8Array; readonly text: string } | undefined;

  private cacheSpiText(): string {
    const text = `${toHex(this.spiI)}_i ${toHex(this.spiR)}_r`;
    this.spiText = { i: this.spiI, r: this.spiR, text };
    return text;
  }

  /** Guarded state change; logs "A -> B" (iked sa_state). */
  transition(to: IkeSaState, reason?: string): void {
    if (this.state === to && to !== 'connecting') return;
    if (!EDGES[this.state].includes(to)) {
      this.ctx.log('error', 'ike.state.invalid', { ...this.logFields, from: this.state, to });
      this.ctx.counters.inc('bug.ike.transition');
      return;
    }
    if (this.ctx.logs('debug')) this.ctx.log('debug', 'ike.state', { ...this.logFields, from: this.state, to, ...(reason ? { reason } : {}) });
    this.current = to;
    this.ctx.table.noteState(this);
  }

  /**
   * Runs `fn` after every previously queued event of this SA has finished,
   * so a packet, a timer and a control command never interleave on one SA
   * (ARCHITECTURE B3 "Why a mailbox").
   */
  run(what: string, fn: () => Promise<void> | void): Promise<void> {
    const next = this.mailbox.then(async () => {
      if (this.state === 'destroyed') return;
      await fn();
    });
    this.mailbox = next.catch((err: unknown) => {
      // B5.4: an exception escaping a handler is a bug: log it, destroy the SA, keep serving.
      this.ctx.counters.inc('bug.ike.exception');
      this.ctx.log('error', 'ike.bug', {
        ...this.logFields,
        during: what,
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        stack: err instanceof Error ? err.stack : undefined,
      });
      this.destroy(`internal error during ${what}`);
    });
    return this.mailbox;
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  // ---------------------------------------------------------------- requests

  /** Queues an exchange we initiate; it is sent when the window is free. */
  enqueue(ex: RequestExchange): void {
    if (this.state === 'destroyed') {
      ex.onAbort(this.closeReason ?? 'IKE SA destroyed');
      return;
    }
    this.queue.push(ex);
  }

  get busy(): boolean {
    return this.active !== undefined;
  }

  /** Sends the next queued request if none is outstanding. Call inside the mailbox. */
  async kick(): Promise<void> {
    while (this.active === undefined && this.queue.length > 0 && this.state !== 'destroyed') {
      const ex = this.queue.shift();
      if (ex === undefined) return;
      const messageId = ex.cleartext === true ? 0 : this.nextRequestId;
      let payloads: Payload[];
      try {
        payloads = await ex.build();
      } catch (err) {
        ex.onAbort(`could not build ${ex.name}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      if ((this.state as IkeSaState) === 'destroyed') {
        ex.onAbort(this.closeReason ?? 'IKE SA destroyed');
        return;
      }
      if (ex.cleartext !== true) this.nextRequestId++;
      const bytes = this.encode(ex.exchangeType, messageId, false, payloads, ex.cleartext === true);
      // §2.15: the IKE_SA_INIT request is signed later as RealMessage1.
      if (ex.cleartext === true) this.initRequest = bytes;
      this.active = { exchange: ex, messageId, bytes, retransmits: 0, timer: undefined };
      this.sendActive();
    }
  }

  private sendActive(): void {
    const a = this.active;
    if (a === undefined) return;
    this.ctx.transport.send({ local: this.local, remote: this.remote, bytes: a.bytes });
    this.ctx.counters.inc(a.retransmits === 0 ? 'msg.tx.request' : 'msg.tx.retransmit');
    const rt = this.ctx.config.daemon.retransmit;
    // RFC 7296 §2.1 leaves the schedule to the implementation; like strongSwan:
    // timeout * base^n for n = 0..tries, then give up.
    const delayMs = rt.timeout * 1000 * Math.pow(rt.base, a.retransmits);
    a.timer = this.ctx.scheduler.at(this.ctx.clock.nowMs() + delayMs, () => {
      void this.run('retransmit', () => this.afterRetransmitTimeout(a));
    });
  }

  private afterRetransmitTimeout(a: ActiveRequest): void {
    if (this.active !== a) return;
    a.timer = undefined;
    const rt = this.ctx.config.daemon.retransmit;
    if (a.retransmits >= rt.tries) {
      this.active = undefined;
      const reason = `peer did not respond to ${a.exchange.name} (message ID ${a.messageId}) after ${rt.tries} retransmissions`;
      // §2.4: an unanswered request means the peer is dead.
      if (this.state === 'established' || this.state === 'rekeyed') this.deadPeer = true;
      a.exchange.onAbort(reason);
      this.ctx.fail({
        connection: this.connectionName || null,
        ikeSaId: this.uniqueId,
        peer: `${this.remote.address}[${this.remote.port}]`,
        kind: 'timeout',
        exchange: a.exchange.name,
        message: reason,
        detail: { retransmits: a.retransmits, messageId: a.messageId },
      });
      this.destroy(reason);
      return;
    }
    a.retransmits++;
    this.ctx.log('debug', 'ike.retransmit', { ...this.logFields, exchange: a.exchange.name, mid: a.messageId, n: a.retransmits });
    this.sendActive();
  }

  /** Re-sends the active request after its exchange changed it (COOKIE, INVALID_KE, port float). */
  private async rebuildActive(): Promise<void> {
    const a = this.active;
    if (a === undefined) return;
    if (a.timer) this.ctx.scheduler.cancel(a.timer);
    const payloads = await a.exchange.build();
    a.bytes = this.encode(a.exchange.exchangeType, a.messageId, false, payloads, a.exchange.cleartext === true);
    if (a.exchange.cleartext === true) this.initRequest = a.bytes;
    a.retransmits = 0;
    this.sendActive();
  }

  /** The message ID of our outstanding request, if any. */
  get activeMessageId(): number | undefined {
    return this.active?.messageId;
  }

  get activeExchangeType(): number | undefined {
    return this.active?.exchange.exchangeType;
  }

  /** Called with a response that matches the outstanding request (ID and exchange checked by caller). */
  async handleResponse(payloads: readonly Payload[], raw: Uint8Array): Promise<void> {
    const a = this.active;
    if (a === undefined) return;
    if (a.timer) this.ctx.scheduler.cancel(a.timer);
    a.timer = undefined;
    const outcome = await a.exchange.onResponse(payloads, raw);
    if (this.state === 'destroyed') return;
    if (outcome === 'retry') {
      await this.rebuildActive();
      return;
    }
    if (this.active === a) this.active = undefined;
    await this.kick();
  }

  // --------------------------------------------------------------- encoding

  header(exchangeType: number, messageId: number, response: boolean): HeaderFields {
    return {
      spiI: this.spiI,
      spiR: this.spiR,
      majorVersion: 2,
      minorVersion: 0,
      exchangeType,
      // RFC 7296 §3.1: the I flag is set by the original initiator of the IKE SA
      initiator: this.isOriginalInitiator,
      response,
      version: false,
      messageId,
    };
  }

  encode(exchangeType: number, messageId: number, response: boolean, payloads: readonly Payload[], cleartext: boolean): Uint8Array {
    const h = this.header(exchangeType, messageId, response);
    if (cleartext) return encodeMessage(h, [...payloads]);
    if (this.outCipher === undefined) throw new Error(`no keys to protect ${nameOf(ExchangeType, exchangeType)}`);
    return sealMessage(h, payloads, this.outCipher);
  }

  /** Sends a response and caches it for retransmitted requests (§2.1). */
  sendResponse(exchangeType: number, messageId: number, payloads: readonly Payload[], cleartext = false): void {
    const bytes = this.encode(exchangeType, messageId, true, payloads, cleartext);
    this.lastResponse = { messageId, bytes, request: this.currentRequest };
    this.ctx.transport.send({ local: this.local, remote: this.remote, bytes });
    this.ctx.counters.inc('msg.tx.response');
  }

  resendLastResponse(): void {
    if (this.lastResponse === undefined) return;
    this.ctx.transport.send({ local: this.local, remote: this.remote, bytes: this.lastResponse.bytes });
    this.ctx.counters.inc('msg.tx.response.retransmit');
  }

  // ----------------------------------------------------------------- timers

  armHalfOpenTimer(): void {
    const t = this.ctx.config.daemon.halfOpenTimeout * 1000;
    this.halfOpenTimer = this.ctx.scheduler.at(this.ctx.clock.nowMs() + t, () => {
      void this.run('half-open timeout', () => {
        if (this.state !== 'established' && this.state !== 'destroyed') {
          this.ctx.counters.inc('ike.halfopen.timeout');
          this.destroy('half-open IKE SA timed out');
        }
      });
    });
  }

  /**
   * RFC 3948 §2.3 / RFC 7296 §2.23: behind a NAT we send keepalives so the
   * mapping does not expire. Called after establishment; re-arms itself.
   */
  armNatKeepalive(): void {
    const interval = this.ctx.config.daemon.natKeepalive * 1000;
    if (!this.natLocal || interval <= 0 || this.ctx.transport.sendKeepalive === undefined) return;
    this.keepaliveTimer = this.ctx.scheduler.at(this.ctx.clock.nowMs() + interval, () => {
      this.keepaliveTimer = undefined;
      if (this.state !== 'established') return;
      this.ctx.transport.sendKeepalive?.(this.local, this.remote);
      this.ctx.counters.inc('nat.keepalive.sent');
      this.armNatKeepalive();
    });
  }

  clearHalfOpenTimer(): void {
    if (this.halfOpenTimer) this.ctx.scheduler.cancel(this.halfOpenTimer);
    this.halfOpenTimer = undefined;
  }

  // ---------------------------------------------------------------- teardown

  /**
   * Removes the SA and its CHILD SAs locally (no message to the peer; callers
   * that must tell the peer send the delete first). Idempotent.
   */
  destroy(reason: string): void {
    if (this.state === 'destroyed') return;
    this.closeReason = reason;
    this.clearHalfOpenTimer();
    this.cancelLifetimeTimers();
    if (this.keepaliveTimer) this.ctx.scheduler.cancel(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    if (this.active?.timer) this.ctx.scheduler.cancel(this.active.timer);
    const pending = [...(this.active ? [this.active.exchange] : []), ...this.queue];
    this.active = undefined;
    this.queue.length = 0;
    const live = [...this.children.values()].filter((c) => c.isLive).map((c) => c.cfg);
    for (const child of [...this.children.values()]) child.remove(reason);
    this.transition('destroyed', reason);
    this.ctx.history.add({ kind: 'ike', uniqueId: this.uniqueId, name: this.connectionName, reason });
    // dpd_action for each CHILD SA that died with a dead peer (RFC-independent policy, like strongSwan).
    if (this.deadPeer && this.conn !== undefined) {
      this.ctx.counters.inc('dpd.peer.dead');
      for (const cfg of new Set(live)) this.ctx.hooks.childClosed(cfg, this.conn, 'dpd');
    }
    this.ctx.table.remove(this);
    if (this.peerKey !== undefined) this.ctx.peers.remove(this.peerKey, this);
    this.peerKey = undefined;
    this.ctx.counters.inc('ike.destroyed');
    this.ctx.log('info', 'ike.closed', { ...this.logFields, reason });
    for (const ex of pending) ex.onAbort(reason);
    for (const l of this.closeListeners) l(reason);
  }
}
