/**
 * Request/response over an XFRM netlink socket: sequence numbers, ACKs,
 * single-message replies (GETSA, ALLOCSPI), dumps (NLM_F_MULTI ... NLMSG_DONE)
 * and a timeout so a lost reply never hangs the engine. The socket itself is
 * behind NetlinkSocket, so tests can use a scripted fake kernel.
 */
import { KernelError, WireError } from '../../util/errors.js';
import { decodeError, decodeMessages, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_MULTI, type NlError, type NlMessage } from './netlink.js';

export interface NetlinkSocket {
  /** sends one request datagram; throws an Error with errno on failure */
  send(bytes: Uint8Array): void;
  close(): void;
}

/** Opens a socket bound to multicast `groups` (0 = none); received datagrams go to onData. */
export type NetlinkSocketFactory = (groups: number, onData: (datagrams: readonly Uint8Array[]) => void, onError: (e: unknown) => void) => NetlinkSocket;

export type Reply =
  | { readonly kind: 'ack' }
  | { readonly kind: 'message'; readonly message: NlMessage }
  | { readonly kind: 'error'; readonly error: NlError };

interface Pending {
  readonly dump: boolean;
  readonly parts: NlMessage[];
  readonly resolve: (r: Reply | NlMessage[]) => void;
  readonly reject: (e: unknown) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export interface ChannelOptions {
  readonly timeoutMs: number;
  /** malformed datagrams and unmatched replies are reported here (never thrown) */
  readonly onProblem?: (what: string, detail: string) => void;
}

export class XfrmChannel {
  readonly #sock: NetlinkSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #opts: ChannelOptions;
  #seq = 0;
  #closed = false;

  constructor(factory: NetlinkSocketFactory, opts: ChannelOptions) {
    this.#opts = opts;
    this.#sock = factory(0, (d) => this.#onData(d), (e) => this.#opts.onProblem?.('recv', e instanceof Error ? e.message : String(e)));
  }

  nextSeq(): number {
    this.#seq = (this.#seq % 0x7fffffff) + 1;
    return this.#seq;
  }

  /** Sends a request built for `seq`; resolves with its ACK, reply message or error reply. */
  request(build: (seq: number) => Uint8Array, what: string): Promise<Reply> {
    return this.#start(build, what, false) as Promise<Reply>;
  }

  /** Sends a dump request; resolves with every part (error replies reject). */
  dump(build: (seq: number) => Uint8Array, what: string): Promise<NlMessage[]> {
    return this.#start(build, what, true) as Promise<NlMessage[]>;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [seq, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new KernelError('KERNEL_CLOSED', `xfrm request ${seq} abandoned: dataplane closed`));
    }
    this.#pending.clear();
    this.#sock.close();
  }

  #start(build: (seq: number) => Uint8Array, what: string, dump: boolean): Promise<Reply | NlMessage[]> {
    if (this.#closed) return Promise.reject(new KernelError('KERNEL_CLOSED', `xfrm ${what}: dataplane closed`));
    const seq = this.nextSeq();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new KernelError('KERNEL_TIMEOUT', `xfrm ${what}: no answer from the kernel within ${this.#opts.timeoutMs} ms`));
      }, this.#opts.timeoutMs);
      this.#pending.set(seq, { dump, parts: [], resolve, reject, timer });
      try {
        this.#sock.send(build(seq));
      } catch (e) {
        clearTimeout(timer);
        this.#pending.delete(seq);
        const errno = (e as { errno?: number }).errno;
        reject(new KernelError('KERNEL_SEND', `xfrm ${what}: netlink send failed: ${e instanceof Error ? e.message : String(e)}`, errno));
      }
    });
  }

  #finish(seq: number, r: Reply | NlMessage[]): void {
    const p = this.#pending.get(seq);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.#pending.delete(seq);
    p.resolve(r);
  }

  #onData(datagrams: readonly Uint8Array[]): void {
    for (const d of datagrams) {
      let msgs: NlMessage[];
      try {
        msgs = decodeMessages(d);
      } catch (e) {
        this.#opts.onProblem?.('decode', e instanceof WireError ? e.message : String(e));
        continue;
      }
      for (const m of msgs) this.#onMessage(m);
    }
  }

  #onMessage(m: NlMessage): void {
    const p = this.#pending.get(m.seq);
    if (p === undefined) {
      if (m.type !== NLMSG_NOOP) this.#opts.onProblem?.('unmatched', `netlink message type ${m.type} seq ${m.seq}`);
      return;
    }
    if (m.type === NLMSG_NOOP || m.type === NLMSG_OVERRUN) return;
    if (m.type === NLMSG_ERROR) {
      let err: NlError;
      try {
        err = decodeError(m);
      } catch (e) {
        this.#opts.onProblem?.('decode', e instanceof Error ? e.message : String(e));
        return;
      }
      if (p.dump) {
        if (err.errno === 0) this.#finish(m.seq, p.parts);
        else {
          clearTimeout(p.timer);
          this.#pending.delete(m.seq);
          p.reject(new KernelError('KERNEL_DUMP', `xfrm dump failed: errno ${err.errno}${err.extAckMessage ? ` (${err.extAckMessage})` : ''}`, err.errno));
        }
        return;
      }
      this.#finish(m.seq, err.errno === 0 ? { kind: 'ack' } : { kind: 'error', error: err });
      return;
    }
    if (p.dump) {
      if (m.type === NLMSG_DONE) this.#finish(m.seq, p.parts);
      else if (p.parts.length < 100_000) p.parts.push(m);
      return;
    }
    if ((m.flags & NLM_F_MULTI) !== 0 && m.type === NLMSG_DONE) return;
    this.#finish(m.seq, { kind: 'message', message: m });
  }
}
