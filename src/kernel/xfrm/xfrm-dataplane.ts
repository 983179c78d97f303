/**
 * The `xfrm` dataplane: the Linux kernel carries ESP; Keyway drives it over
 * NETLINK_XFRM (RFC 4301 §4.4: SAD = xfrm states, SPD = xfrm policies).
 *
 * - allocateSpi: ALLOCSPI creates a larval inbound state; addSa for that SPI
 *   is then an UPDSA (falling back to NEWSA when the larval state expired).
 * - addSa/deleteSa/updateSa/querySa: NEWSA/UPDSA, DELSA, GETSA (counters).
 * - addPolicy/deletePolicy: one Keyway policy may expand to several kernel
 *   selectors (selectors.ts); each gets a template tied to the reqid.
 * - events: a second socket in XFRMNLGRP_ACQUIRE|EXPIRE (xfrm-events.ts).
 * - ownership: tagged reqids (ownership.ts); flush() removes exactly what this
 *   instance recorded; cleanupLeftovers() removes tagged state of a crash.
 */
import { endianness } from 'node:os';
import type { Dataplane, IpsecProtocol, KernelEvent, PolicySpec, SaCounters, SaId, SaSpec } from '../../ike/dataplane.js';
import type { Logger } from '../../ike/ports.js';
import { KernelError } from '../../util/errors.js';
import { XfrmChannel, type NetlinkSocket, type NetlinkSocketFactory, type Reply } from './channel.js';
import { kernelError } from './kernel-errors.js';
import { nativeXfrmSocket } from './native-socket.js';
import { ReqidTag } from './ownership.js';
import { defaultPriority, kernelSelectors } from './selectors.js';
import { XFRM_POLICY_FWD, XFRM_POLICY_IN, XFRM_POLICY_OUT, XfrmMsg } from './xfrm-const.js';
import { startEventSocket } from './xfrm-events.js';
import {
  buildAllocSpi,
  buildDelPolicy,
  buildNewPolicy,
  buildNewSa,
  buildSaIdRequest,
  decodeSaMessage,
  familyOf,
  makeTmpl,
  protoNumber,
  type KernelPolicy,
  type XfrmMark,
} from './xfrm-messages.js';
import type { UsersaId } from './xfrm-sa.js';
import { removeTagged } from './xfrm-cleanup.js';

export interface XfrmDataplaneOptions {
  readonly socketFactory?: NetlinkSocketFactory;
  /** per-request timeout (User-mode Linux is slow: be generous) */
  readonly timeoutMs?: number;
  /** top octet of every reqid Keyway installs (ownership.ts) */
  readonly reqidTag?: number;
  /** optional XFRMA_MARK on every SA and policy (only marked traffic then matches) */
  readonly mark?: XfrmMark;
  /** inbound SPI range for ALLOCSPI; RFC 4303 §2.1: 1-255 are reserved */
  readonly spiMin?: number;
  readonly spiMax?: number;
  readonly logger?: Logger;
}

const DIR = { in: XFRM_POLICY_IN, out: XFRM_POLICY_OUT, fwd: XFRM_POLICY_FWD } as const;

function saKey(proto: IpsecProtocol | number, spi: number, dst: string): string {
  return `${typeof proto === 'number' ? proto : protoNumber(proto)}/${(spi >>> 0).toString(16)}/${dst}`;
}

function spiHex(spi: number): string {
  return `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;
}

export class XfrmDataplane implements Dataplane {
  readonly name = 'xfrm';
  readonly #ch: XfrmChannel;
  readonly #events: NetlinkSocket;
  readonly #tag: ReqidTag;
  readonly #opts: XfrmDataplaneOptions;
  readonly #listeners = new Set<(e: KernelEvent) => void>();
  /** SPIs from ALLOCSPI whose SA is not installed yet */
  readonly #larval = new Map<string, UsersaId>();
  /** installed SAs: key -> identity */
  readonly #sas = new Map<string, UsersaId>();
  /** installed kernel policies: key -> what deletes them */
  readonly #policies = new Map<string, KernelPolicy>();
  readonly #counters = new Map<string, number>();

  private constructor(opts: XfrmDataplaneOptions) {
    if (endianness() !== 'LE') throw new KernelError('KERNEL_UNSUPPORTED', 'the xfrm dataplane supports little-endian hosts only');
    this.#opts = opts;
    this.#tag = new ReqidTag(opts.reqidTag);
    const factory = opts.socketFactory ?? nativeXfrmSocket;
    const problem = (what: string, detail: string): void => {
      this.#count(`xfrm.problem.${what}`);
      opts.logger?.log('warn', 'xfrm.netlink.problem', { what, detail });
    };
    this.#ch = new XfrmChannel(factory, { timeoutMs: opts.timeoutMs ?? 10_000, onProblem: problem });
    try {
      this.#events = startEventSocket(factory, this.#tag, {
        isInstalled: (proto, spi, dst) => this.#sas.has(saKey(proto, spi, dst)),
        emit: (e) => this.#emit(e),
        count: (n) => this.#count(n),
        ...(opts.logger !== undefined ? { logger: opts.logger } : {}),
      });
    } catch (e) {
      this.#ch.close();
      throw e;
    }
  }

  /** Opens the sockets; with `cleanup` (default) removes tagged leftovers of a previous crash first. */
  static async open(opts: XfrmDataplaneOptions = {}, cleanup = true): Promise<XfrmDataplane> {
    const dp = new XfrmDataplane(opts);
    if (cleanup) {
      try {
        const n = await dp.cleanupLeftovers();
        if (n.sas + n.policies > 0) opts.logger?.log('warn', 'xfrm.leftovers.removed', { ...n, note: 'state of a previous Keyway run (tagged reqids)' });
      } catch (e) {
        await dp.close();
        throw e;
      }
    }
    return dp;
  }

  /** Removes every SA and policy with this instance's reqid tag, recorded or not. */
  cleanupLeftovers(): Promise<{ sas: number; policies: number }> {
    return removeTagged(this.#ch, this.#tag);
  }

  counters(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#counters);
  }

  async allocateSpi(protocol: IpsecProtocol, src: string, dst: string, reqid: number): Promise<number> {
    const min = this.#opts.spiMin ?? 0x100;
    const max = this.#opts.spiMax ?? 0xffffffff;
    const kreqid = this.#tag.toKernel(reqid);
    const r = await this.#ch.request((seq) => buildAllocSpi(seq, protocol, src, dst, kreqid, min, max), 'ALLOCSPI');
    if (r.kind === 'error') throw kernelError('ALLOCSPI', `${src} -> ${dst}`, r.error, protocol);
    if (r.kind !== 'message' || r.message.type !== XfrmMsg.NEWSA) throw new KernelError('KERNEL_PROTOCOL', 'xfrm ALLOCSPI: the kernel answered without an SA');
    const spi = decodeSaMessage(r.message.payload).info.id.spi;
    this.#larval.set(saKey(protocol, spi, dst), { daddr: dst, spi, family: familyOf(dst), proto: protoNumber(protocol) });
    this.#count('xfrm.spi.allocated');
    return spi;
  }

  async addSa(sa: SaSpec): Promise<void> {
    const key = saKey(sa.protocol, sa.spi, sa.dst);
    const what = `SPI ${spiHex(sa.spi)} ${sa.src} -> ${sa.dst} (${sa.direction})`;
    const opts = { reqid: this.#tag.toKernel(sa.reqid), ...(this.#opts.mark !== undefined ? { mark: this.#opts.mark } : {}) };
    let r: Reply;
    let op: 'UPDSA' | 'NEWSA' = this.#larval.has(key) ? 'UPDSA' : 'NEWSA';
    if (op === 'UPDSA') {
      // RFC 4301 §4.4.2: the larval SAD entry from ALLOCSPI becomes the real one.
      r = await this.#ch.request((seq) => buildNewSa(seq, sa, { ...opts, update: true }), 'UPDSA');
      if (r.kind === 'error' && (r.error.errno === 3 || r.error.errno === 2)) {
        // the larval state expired (net.core.xfrm_acq_expires) during a slow negotiation
        this.#count('xfrm.larval.expired');
        op = 'NEWSA';
        r = await this.#ch.request((seq) => buildNewSa(seq, sa, { ...opts, update: false }), 'NEWSA');
      }
    } else {
      r = await this.#ch.request((seq) => buildNewSa(seq, sa, { ...opts, update: false }), 'NEWSA');
    }
    if (r.kind === 'error') {
      this.#count('xfrm.sa.add.error');
      throw kernelError(op, what, r.error, sa.protocol);
    }
    this.#larval.delete(key);
    this.#sas.set(key, { daddr: sa.dst, spi: sa.spi, family: familyOf(sa.dst), proto: protoNumber(sa.protocol) });
    this.#count('xfrm.sa.added');
  }

  /** RFC 7296 §2.23: only the ports moved -> UPDSA keeps the sequence numbers; else delete + add. */
  async updateSa(old: SaId, sa: SaSpec): Promise<void> {
    const key = saKey(old.protocol, old.spi, old.dst);
    if (old.dst === sa.dst && old.spi === sa.spi && this.#sas.has(key)) {
      const mark = this.#opts.mark;
      const r = await this.#ch.request((seq) => buildNewSa(seq, sa, { reqid: this.#tag.toKernel(sa.reqid), update: true, ...(mark ? { mark } : {}) }), 'UPDSA');
      if (r.kind === 'error') throw kernelError('UPDSA', `SPI ${spiHex(sa.spi)} -> ${sa.dst}`, r.error, sa.protocol);
      return;
    }
    await this.deleteSa(old);
    await this.addSa(sa);
  }

  async deleteSa(id: SaId): Promise<void> {
    const key = saKey(id.protocol, id.spi, id.dst);
    const known = this.#sas.get(key) ?? this.#larval.get(key);
    this.#sas.delete(key);
    this.#larval.delete(key);
    const uid: UsersaId = known ?? { daddr: id.dst, spi: id.spi, family: familyOf(id.dst), proto: protoNumber(id.protocol) };
    const r = await this.#ch.request((seq) => buildSaIdRequest(seq, XfrmMsg.DELSA, uid, this.#opts.mark), 'DELSA');
    // already gone (e.g. a larval state that expired, or a hard expire): fine
    if (r.kind === 'error' && r.error.errno !== 3 && r.error.errno !== 2) throw kernelError('DELSA', `SPI ${spiHex(id.spi)} -> ${id.dst}`, r.error, id.protocol);
    this.#count('xfrm.sa.deleted');
  }

  async querySa(id: SaId): Promise<SaCounters> {
    const uid: UsersaId = { daddr: id.dst, spi: id.spi, family: familyOf(id.dst), proto: protoNumber(id.protocol) };
    const r = await this.#ch.request((seq) => buildSaIdRequest(seq, XfrmMsg.GETSA, uid, this.#opts.mark), 'GETSA');
    if (r.kind === 'error') throw kernelError('GETSA', `SPI ${spiHex(id.spi)} -> ${id.dst}`, r.error, id.protocol);
    if (r.kind !== 'message') throw new KernelError('KERNEL_PROTOCOL', 'xfrm GETSA: no SA in the answer');
    // curlft.use_time is wall-clock seconds, not the engine's clock: not reported as lastUsedMs
    const cur = decodeSaMessage(r.message.payload).info.curlft;
    return { bytes: Number(cur.bytes), packets: Number(cur.packets) };
  }

  #expand(p: PolicySpec): KernelPolicy[] {
    const dir = DIR[p.direction];
    const [src, dst] = p.direction === 'out' ? [p.local, p.remote] : [p.remote, p.local];
    const tmpl = makeTmpl(p.protocol, p.mode, p.tunnelSrc, p.tunnelDst, this.#tag.toKernel(p.reqid));
    return kernelSelectors(src, dst).map((sel) => ({
      sel,
      dir,
      priority: p.priority > 0 ? p.priority : defaultPriority(sel),
      tmpl,
      ...(this.#opts.mark !== undefined ? { mark: this.#opts.mark } : {}),
    }));
  }

  static policyKey(k: KernelPolicy): string {
    const s = k.sel;
    return `${k.dir}|${s.saddr}/${s.prefixlenS}:${s.sport}/${s.sportMask}|${s.daddr}/${s.prefixlenD}:${s.dport}/${s.dportMask}|${s.proto}`;
  }

  async addPolicy(p: PolicySpec): Promise<void> {
    const added: KernelPolicy[] = [];
    try {
      for (const k of this.#expand(p)) {
        const r = await this.#ch.request((seq) => buildNewPolicy(seq, k), 'NEWPOLICY');
        if (r.kind === 'error') throw kernelError('NEWPOLICY', `${p.direction} ${k.sel.saddr}/${k.sel.prefixlenS} -> ${k.sel.daddr}/${k.sel.prefixlenD}`, r.error, p.protocol);
        added.push(k);
        this.#policies.set(XfrmDataplane.policyKey(k), k);
      }
    } catch (e) {
      // all or nothing: a half-installed Keyway policy would leak traffic rules
      for (const k of added) await this.#delPolicy(k).catch(() => undefined);
      this.#count('xfrm.policy.add.error');
      throw e;
    }
    this.#count('xfrm.policy.added');
  }

  async #delPolicy(k: KernelPolicy): Promise<void> {
    this.#policies.delete(XfrmDataplane.policyKey(k));
    const r = await this.#ch.request((seq) => buildDelPolicy(seq, k.sel, k.dir, k.mark), 'DELPOLICY');
    if (r.kind === 'error' && r.error.errno !== 2) throw kernelError('DELPOLICY', `${k.sel.saddr}/${k.sel.prefixlenS} -> ${k.sel.daddr}/${k.sel.prefixlenD}`, r.error);
  }

  async deletePolicy(p: PolicySpec): Promise<void> {
    let first: unknown;
    for (const k of this.#expand(p)) {
      await this.#delPolicy(k).catch((e: unknown) => {
        first ??= e;
      });
    }
    this.#count('xfrm.policy.deleted');
    if (first !== undefined) throw first;
  }

  /** Removes everything this instance installed (policies first, so no traffic leaks in clear). */
  async flush(): Promise<void> {
    const errors: string[] = [];
    for (const k of [...this.#policies.values()]) await this.#delPolicy(k).catch((e: unknown) => errors.push(String(e)));
    const sas = [...this.#sas.values(), ...this.#larval.values()];
    this.#sas.clear();
    this.#larval.clear();
    for (const s of sas) {
      const r = await this.#ch.request((seq) => buildSaIdRequest(seq, XfrmMsg.DELSA, s, this.#opts.mark), 'DELSA').catch((e: unknown) => {
        errors.push(String(e));
        return undefined;
      });
      if (r?.kind === 'error' && r.error.errno !== 3 && r.error.errno !== 2) errors.push(kernelError('DELSA', spiHex(s.spi), r.error).message);
    }
    if (errors.length > 0) {
      this.#opts.logger?.log('warn', 'xfrm.flush.errors', { errors: errors.slice(0, 10) });
      throw new KernelError('KERNEL_FLUSH', `xfrm flush: ${errors.length} removal(s) failed: ${errors[0] ?? ''}`);
    }
  }

  /** What this instance has installed right now (tests, diagnostics). */
  installed(): { sas: number; larval: number; policies: number } {
    return { sas: this.#sas.size, larval: this.#larval.size, policies: this.#policies.size };
  }

  onEvent(listener: (e: KernelEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Flushes nothing: closes the sockets (call flush() first on a clean exit). */
  close(): Promise<void> {
    this.#events.close();
    this.#ch.close();
    return Promise.resolve();
  }

  #emit(e: KernelEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch (err) {
        this.#opts.logger?.log('warn', 'xfrm.event.listener-error', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  #count(name: string): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + 1);
  }
}
