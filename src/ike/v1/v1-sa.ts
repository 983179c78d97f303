/**
 * One ISAKMP SA (IKEv1 phase 1) with its Quick Mode children.
 *
 * States (RFC 2409 §5, Main / Aggressive Mode; explicit per-mode enum, ARCHITECTURE B3):
 *
 *   MM initiator: mm-sa-sent --MM2--> mm-ke-sent --MM4--> mm-auth-sent --MM6--> established
 *   MM responder: (MM1) mm-sa-sent --MM3--> mm-ke-sent --MM5--> established
 *   AM initiator: am-sent --AM2 (sends AM3)--> established
 *   AM responder: (AM1, sends AM2) am-sent --AM3--> established
 *   established --delete/expire--> deleting --> destroyed; any --fatal--> destroyed
 *
 * IKEv1 has no request/response pairing: each exchange (keyed by message ID,
 * 0 for phase 1) remembers the last message we sent and the last one we
 * received, retransmits ours on timeout while a reply is due, and resends it
 * when the peer repeats its previous message (RFC 2408 §5, as strongSwan
 * and Libreswan do).
 */
import type { ChildConfig, ConnectionConfig } from '../../config/model.js';
import type { Skeyids, V1Hash } from '../../crypto/keymat-v1.js';
import { phase2Iv } from '../../crypto/keymat-v1.js';
import { IvChain, sealV1, type V1Cipher } from '../../message/v1-protect.js';
import { toHex } from '../../util/bytes.js';
import { encodeV1Chain } from '../../wire/ikev1/chain.js';
import { encodeIsakmp } from '../../wire/ikev1/message.js';
import type { IsakmpHeaderFields, IsakmpPayload } from '../../wire/ikev1/types.js';
import type { EngineContext } from '../context.js';
import type { AlgorithmInfo } from '../info.js';
import type { Endpoint, TimerHandle } from '../ports.js';
import { Exchanges } from './exchanges.js';
import type { KeyExchange } from '../../crypto/ke/index.js';
import type { P1Choice } from '../../policy/v1-proposals.js';
import type { V1Child } from './v1-child.js';
import type { QuickState } from './quick-common.js';

export type V1SaState = 'mm-sa-sent' | 'mm-ke-sent' | 'mm-auth-sent' | 'am-sent' | 'established' | 'deleting' | 'destroyed';

const EDGES: Readonly<Record<V1SaState, readonly V1SaState[]>> = {
  'am-sent': ['established', 'destroyed'],
  'mm-sa-sent': ['mm-ke-sent', 'destroyed'],
  'mm-ke-sent': ['mm-auth-sent', 'established', 'destroyed'],
  'mm-auth-sent': ['established', 'destroyed'],
  established: ['deleting', 'destroyed'],
  deleting: ['destroyed'],
  destroyed: [],
};

export interface Phase1Material {
  gxi: Uint8Array;
  gxr: Uint8Array;
  ni: Uint8Array;
  nr: Uint8Array;
  /** body of the initiator's SA payload (SAi_b, RFC 2409 §5) */
  saiB: Uint8Array;
  /** Aggressive Mode responder: body of the initiator's ID payload from AM1 (IDii_b for HASH_I) */
  idiiB: Uint8Array;
}

/** Main Mode work in progress (our KE, the transforms offered/chosen, the PSK). */
export interface Phase1Pending {
  ke: KeyExchange | undefined;
  offered: readonly P1Choice[];
  choice: P1Choice | undefined;
  psk: Uint8Array | undefined;
}

/** What SA-level code asks of the IKEv1 engine (set when the SA is registered). */
export interface V1SaHooks {
  /** New phase 1 plus Quick Modes for `children` (restart after DPD / a Quick Mode timeout, rekeying). */
  reinitiate(conn: ConnectionConfig, children: readonly ChildConfig[], why: string): void;
}

export class V1Sa {
  readonly uniqueId: number;
  state: V1SaState;
  readonly mode: 'main' | 'aggressive';
  /** endpoints of the first phase 1 messages (Aggressive Mode's NAT-D in AM3 describe them) */
  readonly firstLocal: Endpoint;
  readonly firstRemote: Endpoint;
  conn: ConnectionConfig | undefined;
  candidates: readonly ConnectionConfig[] = [];
  local: Endpoint;
  remote: Endpoint;
  spiR: Uint8Array = new Uint8Array(8);
  natt = false;
  natLocal = false;
  natRemote = false;
  dpd = false;
  algorithms: AlgorithmInfo | undefined;
  lifeSeconds = 0;
  hash: V1Hash | undefined;
  keys: Skeyids | undefined;
  cipher: V1Cipher | undefined;
  ivs: IvChain | undefined;
  /** last CBC block of phase 1: seeds phase 2 IVs (RFC 2409 App. B) */
  phase1LastBlock: Uint8Array | undefined;
  material: Phase1Material = { gxi: new Uint8Array(0), gxr: new Uint8Array(0), ni: new Uint8Array(0), nr: new Uint8Array(0), saiB: new Uint8Array(0), idiiB: new Uint8Array(0) };
  p1: Phase1Pending = { ke: undefined, offered: [], choice: undefined, psk: undefined };
  localIdText = '';
  remoteIdText = '';
  readonly children = new Map<number, V1Child>();
  /** Quick Mode exchanges in progress, by message ID */
  readonly quick = new Map<number, QuickState>();
  establishedAtMs: number | undefined;
  /** clock ms of the last message from the peer that decrypted (DPD, RFC 3706 §5.3 "idle") */
  lastInboundMs = 0;
  /** RFC 3706: our last R-U-THERE sequence number; since = clock ms of the first unanswered one */
  readonly dpdProbe: { seq: number; since: number | undefined };
  hooks: V1SaHooks = { reinitiate: () => undefined };
  private dpdTimer: TimerHandle | undefined;
  private rekeyTimer: TimerHandle | undefined;
  /** a Quick Mode timing out on this established SA re-negotiates phase 1 (false on SAs that are such a re-negotiation) */
  renegotiateOnQmTimeout = true;
  establishedAtWall: number | undefined;
  closeReason: string | undefined;
  private readonly exchanges: Exchanges;
  private lifeTimer: TimerHandle | undefined;
  private mailbox: Promise<void> = Promise.resolve();
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private readonly establishedListeners: (() => void)[] = [];

  constructor(
    readonly ctx: EngineContext,
    readonly initiator: boolean,
    readonly spiI: Uint8Array,
    local: Endpoint,
    remote: Endpoint,
    mode: 'main' | 'aggressive' = 'main',
  ) {
    this.uniqueId = ctx.nextUniqueId();
    this.exchanges = new Exchanges(ctx, () => ({ local: this.local, remote: this.remote }), (what, fn) => void this.run(what, fn));
    this.local = local;
    this.remote = remote;
    this.firstLocal = local;
    this.firstRemote = remote;
    this.mode = mode;
    this.state = mode === 'aggressive' ? 'am-sent' : 'mm-sa-sent';
    const r = ctx.rng.bytes(4);
    // RFC 3706 §5.5: the first sequence number is random (and leaves room before wrapping)
    this.dpdProbe = { seq: ((((r[0] ?? 0) & 0x7f) << 24) | ((r[1] ?? 0) << 16) | ((r[2] ?? 0) << 8) | (r[3] ?? 0)) >>> 0, since: undefined };
  }

  setRekeyTimer(atMs: number, fn: () => void): void {
    if (this.rekeyTimer !== undefined) this.ctx.scheduler.cancel(this.rekeyTimer);
    this.rekeyTimer = this.ctx.scheduler.at(atMs, () => {
      this.rekeyTimer = undefined;
      fn();
    });
  }

  setDpdTimer(atMs: number, fn: () => void): void {
    if (this.dpdTimer !== undefined) this.ctx.scheduler.cancel(this.dpdTimer);
    this.dpdTimer = this.ctx.scheduler.at(atMs, () => {
      this.dpdTimer = undefined;
      fn();
    });
  }

  get connectionName(): string {
    return this.conn?.name ?? this.candidates[0]?.name ?? '';
  }

  get logFields(): Record<string, unknown> {
    return { ike: this.uniqueId, v: 1, conn: this.connectionName, peer: `${this.remote.address}[${this.remote.port}]`, spis: `${toHex(this.spiI)}_i ${toHex(this.spiR)}_r` };
  }

  get peerText(): string {
    return `${this.remote.address}[${this.remote.port}]`;
  }

  transition(to: V1SaState, reason?: string): void {
    if (this.state === to) return;
    if (!EDGES[this.state].includes(to)) {
      this.ctx.counters.inc('bug.v1.transition');
      this.ctx.log('error', 'v1.state.invalid', { ...this.logFields, from: this.state, to });
      return;
    }
    this.ctx.log('debug', 'v1.state', { ...this.logFields, from: this.state, to, ...(reason === undefined ? {} : { reason }) });
    this.state = to;
    if (to === 'established') for (const l of this.establishedListeners.splice(0)) l();
  }

  /** Serialises packets, timers and commands for this SA (ARCHITECTURE B3 "Why a mailbox"). */
  run(what: string, fn: () => Promise<void> | void): Promise<void> {
    const next = this.mailbox.then(async () => {
      if (this.state === 'destroyed') return;
      await fn();
    });
    this.mailbox = next.catch((err: unknown) => {
      this.ctx.counters.inc('bug.v1.exception');
      this.ctx.log('error', 'v1.bug', { ...this.logFields, during: what, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), stack: err instanceof Error ? err.stack : undefined });
      this.destroy(`internal error during ${what}`);
    });
    return this.mailbox;
  }

  onClose(l: (reason: string) => void): void {
    this.closeListeners.push(l);
  }

  onEstablished(l: () => void): void {
    if (this.state === 'established') l();
    else this.establishedListeners.push(l);
  }

  header(exchangeType: number, messageId: number): IsakmpHeaderFields {
    return { spiI: this.spiI, spiR: this.spiR, majorVersion: 1, minorVersion: 0, exchangeType, encrypted: false, commit: false, authOnly: false, messageId };
  }

  /** First IV of a phase 2 / informational exchange. */
  phase2IvFor(mid: number): Uint8Array {
    if (this.hash === undefined || this.phase1LastBlock === undefined || this.cipher === undefined) throw new Error('no phase 1 keys');
    return phase2Iv(this.hash, this.phase1LastBlock, mid, this.cipher.blockSize);
  }

  /**
   * IV of an Informational message: hash(last phase 1 CBC block | M-ID)
   * (RFC 2409 App. B). Before phase 1 completes (a notification about a
   * failed MM5/MM6/AM3) the last block so far is the phase 1 chain's current
   * IV, as the peer computes it. One message per exchange: nothing is chained.
   */
  informationalIv(mid: number): Uint8Array | undefined {
    if (this.hash === undefined || this.cipher === undefined || this.ivs === undefined) return undefined;
    return phase2Iv(this.hash, this.phase1LastBlock ?? this.ivs.current(0), mid, this.cipher.blockSize);
  }

  /** Still negotiating phase 1 (Main or Aggressive Mode). */
  get inPhase1(): boolean {
    return this.state !== 'established' && this.state !== 'deleting' && this.state !== 'destroyed';
  }

  /** Encodes (and encrypts when keys exist and `encrypt`) and sends; `awaitReply` arms retransmission. */
  send(exchangeType: number, mid: number, payloads: readonly IsakmpPayload[], opts: { encrypt: boolean; awaitReply: boolean; onTimeout?: (reason: string) => void }): void {
    let bytes: Uint8Array;
    if (opts.encrypt) {
      const chain = encodeV1Chain(payloads);
      bytes = this.seal(exchangeType, mid, chain.firstType, chain.bytes);
    } else {
      bytes = encodeIsakmp(this.header(exchangeType, mid), payloads);
    }
    this.sendBytes(mid, bytes, opts.awaitReply, opts.onTimeout);
  }

  /** Encrypts a prepared plaintext chain, advancing the exchange's IV. */
  seal(exchangeType: number, mid: number, firstType: number, plain: Uint8Array): Uint8Array {
    if (this.cipher === undefined || this.ivs === undefined) throw new Error('no ISAKMP SA keys to encrypt with');
    const r = sealV1(this.header(exchangeType, mid), firstType, plain, this.cipher, this.ivs.current(mid));
    this.ivs.set(mid, r.nextIv);
    return r.bytes;
  }

  sendBytes(mid: number, bytes: Uint8Array, awaitReply: boolean, onTimeout?: (reason: string) => void): void {
    this.exchanges.send(mid, bytes, awaitReply, onTimeout);
  }

  /** The peer answered: stop retransmitting our last message of this exchange. */
  replied(mid: number): void {
    this.exchanges.replied(mid);
  }

  /** A repeat of the peer's previous message (checked before decryption): resend our last one. */
  isDuplicate(mid: number, bytes: Uint8Array): boolean {
    return this.exchanges.isDuplicate(mid, bytes);
  }

  received(mid: number, bytes: Uint8Array): void {
    this.exchanges.received(mid, bytes);
  }

  hasExchange(mid: number): boolean {
    return this.exchanges.has(mid);
  }

  armLifetime(seconds: number, expire: () => void): void {
    if (seconds <= 0) return;
    this.lifeTimer = this.ctx.scheduler.at(this.ctx.clock.nowMs() + seconds * 1000, () => {
      this.lifeTimer = undefined;
      void this.run('v1 lifetime', expire);
    });
  }

  /** Local teardown (callers that must tell the peer send Delete first). Idempotent. */
  destroy(reason: string): void {
    if (this.state === 'destroyed') return;
    this.closeReason = reason;
    this.exchanges.clear();
    if (this.lifeTimer !== undefined) this.ctx.scheduler.cancel(this.lifeTimer);
    this.lifeTimer = undefined;
    if (this.dpdTimer !== undefined) this.ctx.scheduler.cancel(this.dpdTimer);
    this.dpdTimer = undefined;
    if (this.rekeyTimer !== undefined) this.ctx.scheduler.cancel(this.rekeyTimer);
    this.rekeyTimer = undefined;
    for (const c of [...this.children.values()]) c.remove(reason);
    for (const q of this.quick.values()) {
      q.child.remove(reason);
      q.done({ ok: false, reason });
    }
    this.quick.clear();
    this.p1.psk?.fill(0);
    this.p1 = { ke: undefined, offered: [], choice: undefined, psk: undefined };
    this.transition('destroyed', reason);
    this.ctx.counters.inc('v1.ike.destroyed');
    this.ctx.log('info', 'v1.ike.closed', { ...this.logFields, reason });
    for (const l of this.closeListeners.splice(0)) l(reason);
  }
}
