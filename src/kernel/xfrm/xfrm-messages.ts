/**
 * Whole XFRM requests built from the dataplane port's SaSpec / PolicySpec,
 * and decoders for the kernel's SA replies. Pure: no sockets here.
 */
import type { IpsecProtocol, SaSpec } from '../../ike/dataplane.js';
import { kernelEncr, kernelInteg } from './algorithms.js';
import {
  concat,
  decodeAttrs,
  encodeAttr,
  encodeMessage,
  findAttr,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  type NlAttr,
} from './netlink.js';
import {
  IPPROTO_AH,
  IPPROTO_ESP,
  Size,
  UDP_ENCAP_ESPINUDP,
  XFRM_INF,
  XFRM_MODE_TRANSPORT,
  XFRM_MODE_TUNNEL,
  XFRM_POLICY_ALLOW,
  XFRM_STATE_ESN,
  XfrmAttr,
  XfrmMsg,
} from './xfrm-const.js';
import { encodeTmpls, encodeUserpolicyId, encodeUserpolicyInfo, type UserTmpl } from './xfrm-policy.js';
import {
  encodeAlgo,
  encodeEncap,
  encodeMark,
  encodeReplayEsn,
  encodeU32,
  encodeUsersaId,
  encodeUsersaInfo,
  encodeUserspiInfo,
  readAlgo,
  readEncap,
  readReplayEsn,
  readU32,
  readUsersaInfo,
  type EncapTmpl,
  type ReplayEsn,
  type UsersaId,
  type UsersaInfo,
} from './xfrm-sa.js';
import { NO_LIMITS, writeAddress, type Family, type LifetimeCfg, type XfrmSelector } from './xfrm-structs.js';

/**
 * The selector stored in an SA: all-zero with AF_UNSPEC, as iproute2 sends
 * it; the kernel then takes the SA's family and matches any inner traffic
 * (the policies enforce the traffic selectors, RFC 4301 §4.4.1).
 */
const SA_SELECTOR: XfrmSelector = { family: undefined, daddr: '', saddr: '', prefixlenD: 0, prefixlenS: 0, dport: 0, dportMask: 0, sport: 0, sportMask: 0, proto: 0, ifindex: 0, user: 0 };

export interface XfrmMark {
  readonly value: number;
  readonly mask: number;
}

export function protoNumber(p: IpsecProtocol): number {
  return p === 'esp' ? IPPROTO_ESP : IPPROTO_AH;
}

export function familyOf(address: string): Family {
  return address.includes(':') ? 6 : 4;
}

/** SaLifetime (absent = unlimited) to xfrm_lifetime_cfg (XFRM_INF / 0 = none). */
export function lifetimeCfg(l: SaSpec['lifetime']): LifetimeCfg {
  const lim = (n: number | undefined): bigint => (n === undefined || n <= 0 ? XFRM_INF : BigInt(Math.floor(n)));
  const secs = (n: number | undefined): bigint => (n === undefined || n <= 0 ? 0n : BigInt(Math.floor(n)));
  return {
    ...NO_LIMITS,
    softBytes: lim(l.softBytes),
    hardBytes: lim(l.hardBytes),
    softPackets: lim(l.softPackets),
    hardPackets: lim(l.hardPackets),
    softAddSeconds: secs(l.softSeconds),
    hardAddSeconds: secs(l.hardSeconds),
  };
}

/** ALLOCSPI: reserve an SPI in [min, max] for an inbound SA from src to dst (a larval state). */
export function buildAllocSpi(seq: number, proto: IpsecProtocol, src: string, dst: string, reqid: number, min: number, max: number): Uint8Array {
  const family = familyOf(dst);
  const info = encodeUserspiInfo(
    {
      sel: SA_SELECTOR,
      id: { daddr: dst, spi: 0, proto: protoNumber(proto) },
      saddr: src,
      // the kernel ignores lifetimes here (the larval state gets xfrm_acq_expires); zero as iproute2
      lft: { ...NO_LIMITS, softBytes: 0n, hardBytes: 0n, softPackets: 0n, hardPackets: 0n },
      seq: 0,
      reqid,
      family,
      mode: 0,
      replayWindow: 0,
      flags: 0,
    },
    min,
    max,
  );
  return encodeMessage(XfrmMsg.ALLOCSPI, NLM_F_REQUEST, seq, info);
}

export interface SaBuildOptions {
  /** the reqid as the kernel sees it (ownership tag applied) */
  readonly reqid: number;
  /** UPDSA (replace a larval/existing state) instead of NEWSA */
  readonly update: boolean;
  readonly mark?: XfrmMark;
  readonly extraFlags?: number;
}

/**
 * NEWSA / UPDSA. Replay protection (RFC 4303 §3.4.3): windows above 32 or
 * ESN (RFC 4303 §2.2.1) need XFRMA_REPLAY_ESN_VAL; the legacy u8 field keeps
 * min(window, 32) for old kernels' bookkeeping.
 */
export function buildNewSa(seq: number, sa: SaSpec, o: SaBuildOptions): Uint8Array {
  const family = familyOf(sa.dst);
  const useEsnAttr = sa.esn || sa.replayWindow > 32;
  const info = encodeUsersaInfo({
    sel: SA_SELECTOR,
    id: { daddr: sa.dst, spi: sa.spi, proto: protoNumber(sa.protocol) },
    saddr: sa.src,
    lft: lifetimeCfg(sa.lifetime),
    seq: 0,
    reqid: o.reqid,
    family,
    mode: sa.mode === 'tunnel' ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT,
    replayWindow: useEsnAttr ? 0 : Math.min(sa.replayWindow, 32),
    flags: sa.esn ? XFRM_STATE_ESN : 0,
  });
  const attrs: Uint8Array[] = [];
  const enc = kernelEncr(sa.keys.encrId, sa.keys.encrKey.length);
  attrs.push(encodeAttr(enc.attr, encodeAlgo({ name: enc.name, key: sa.keys.encrKey, ...(enc.extraBits !== undefined ? { extraBits: enc.extraBits } : {}) })));
  if (enc.attr !== XfrmAttr.ALG_AEAD) {
    if (sa.keys.integId !== 0) {
      const integ = kernelInteg(sa.keys.integId);
      attrs.push(encodeAttr(integ.attr, encodeAlgo({ name: integ.name, key: sa.keys.integKey, extraBits: integ.extraBits ?? 0 })));
    }
  }
  if (sa.encap !== undefined) {
    attrs.push(encodeAttr(XfrmAttr.ENCAP, encodeEncap({ type: UDP_ENCAP_ESPINUDP, sport: sa.encap.srcPort, dport: sa.encap.dstPort, oa: '' }, family)));
  }
  if (useEsnAttr) attrs.push(encodeAttr(XfrmAttr.REPLAY_ESN_VAL, encodeReplayEsn(sa.replayWindow)));
  if (o.mark !== undefined) attrs.push(encodeAttr(XfrmAttr.MARK, encodeMark(o.mark.value, o.mark.mask)));
  if (o.extraFlags !== undefined && o.extraFlags !== 0) attrs.push(encodeAttr(XfrmAttr.SA_EXTRA_FLAGS, encodeU32(o.extraFlags)));
  const type = o.update ? XfrmMsg.UPDSA : XfrmMsg.NEWSA;
  // NEWSA vs UPDSA is the message type; NLM_F_CREATE/EXCL mean nothing to XFRM (iproute2 sends neither)
  return encodeMessage(type, NLM_F_REQUEST | NLM_F_ACK, seq, concat([info, ...attrs]));
}

/**
 * DELSA / GETSA by (daddr, SPI, proto); GETSA has no ACK flag: its answer is
 * the SA itself. XFRMA_SRCADDR (optional) is what iproute2 adds; the kernel
 * only needs it for protocols without SPIs.
 */
export function buildSaIdRequest(seq: number, type: typeof XfrmMsg.DELSA | typeof XfrmMsg.GETSA, id: UsersaId, mark?: XfrmMark, saddr?: string): Uint8Array {
  const parts = [encodeUsersaId(id)];
  if (saddr !== undefined) {
    const a = new Uint8Array(16);
    writeAddress(a, 0, id.family, saddr);
    parts.push(encodeAttr(XfrmAttr.SRCADDR, a));
  }
  if (mark !== undefined) parts.push(encodeAttr(XfrmAttr.MARK, encodeMark(mark.value, mark.mask)));
  const flags = type === XfrmMsg.DELSA ? NLM_F_REQUEST | NLM_F_ACK : NLM_F_REQUEST;
  return encodeMessage(type, flags, seq, concat(parts));
}

export interface KernelPolicy {
  readonly sel: XfrmSelector;
  readonly dir: number;
  readonly priority: number;
  readonly tmpl: UserTmpl;
  readonly mark?: XfrmMark;
}

/** A template for ESP/AH in tunnel or transport mode, any algorithm, tied to `reqid`. */
export function makeTmpl(proto: IpsecProtocol, mode: 'tunnel' | 'transport', src: string, dst: string, reqid: number): UserTmpl {
  return {
    id: { daddr: dst, spi: 0, proto: protoNumber(proto) },
    family: familyOf(dst),
    saddr: src,
    reqid,
    mode: mode === 'tunnel' ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT,
    share: 0,
    optional: 0,
    aalgos: 0xffffffff,
    ealgos: 0xffffffff,
    calgos: 0xffffffff,
  };
}

/** NEWPOLICY (or UPDPOLICY) with one template (RFC 4301 §4.4.1 SPD entry "PROTECT"). */
export function buildNewPolicy(seq: number, p: KernelPolicy, update = false): Uint8Array {
  const info = encodeUserpolicyInfo({ sel: p.sel, lft: NO_LIMITS, priority: p.priority, index: 0, dir: p.dir, action: XFRM_POLICY_ALLOW, flags: 0, share: 0 });
  const parts = [info, encodeAttr(XfrmAttr.TMPL, encodeTmpls([p.tmpl]))];
  if (p.mark !== undefined) parts.push(encodeAttr(XfrmAttr.MARK, encodeMark(p.mark.value, p.mark.mask)));
  // NEWPOLICY fails with EEXIST on a duplicate selector, UPDPOLICY replaces it (xfrm_add_policy)
  return encodeMessage(update ? XfrmMsg.UPDPOLICY : XfrmMsg.NEWPOLICY, NLM_F_REQUEST | NLM_F_ACK, seq, concat(parts));
}

export function buildDelPolicy(seq: number, sel: XfrmSelector, dir: number, mark?: XfrmMark): Uint8Array {
  const parts = [encodeUserpolicyId(sel, dir)];
  if (mark !== undefined) parts.push(encodeAttr(XfrmAttr.MARK, encodeMark(mark.value, mark.mask)));
  return encodeMessage(XfrmMsg.DELPOLICY, NLM_F_REQUEST | NLM_F_ACK, seq, concat(parts));
}

/** GETSA / GETPOLICY dump of the whole table (answered by NLM_F_MULTI parts and NLMSG_DONE). */
export function buildDump(seq: number, type: typeof XfrmMsg.GETSA | typeof XfrmMsg.GETPOLICY): Uint8Array {
  return encodeMessage(type, NLM_F_REQUEST | NLM_F_DUMP, seq, new Uint8Array(0));
}

/** A decoded SA (NEWSA reply to GETSA/ALLOCSPI, dump entry, or inside EXPIRE). */
export interface DecodedSa {
  readonly info: UsersaInfo;
  readonly encap?: EncapTmpl;
  readonly replayEsn?: ReplayEsn;
  readonly mark?: XfrmMark;
  readonly extraFlags?: number;
  /** algorithm names only: keys are never kept from a decode */
  readonly algorithms: readonly string[];
  readonly attrs: readonly NlAttr[];
}

export function decodeSaMessage(payload: Uint8Array): DecodedSa {
  const info = readUsersaInfo(payload, 0);
  const attrs = decodeAttrs(payload.subarray(Size.usersaInfo), Size.usersaInfo);
  const enc = findAttr(attrs, XfrmAttr.ENCAP);
  const esn = findAttr(attrs, XfrmAttr.REPLAY_ESN_VAL);
  const mark = findAttr(attrs, XfrmAttr.MARK);
  const xf = findAttr(attrs, XfrmAttr.SA_EXTRA_FLAGS);
  const algorithms: string[] = [];
  for (const a of attrs) {
    if (a.type === XfrmAttr.ALG_AEAD || a.type === XfrmAttr.ALG_AUTH_TRUNC) algorithms.push(readAlgo(a.payload, true).name);
    else if (a.type === XfrmAttr.ALG_CRYPT || a.type === XfrmAttr.ALG_AUTH) algorithms.push(readAlgo(a.payload, false).name);
  }
  return {
    info,
    ...(enc !== undefined ? { encap: readEncap(enc, info.family) } : {}),
    ...(esn !== undefined ? { replayEsn: readReplayEsn(esn) } : {}),
    ...(mark !== undefined && mark.length >= 8 ? { mark: { value: readU32(mark, 'mark'), mask: readU32(mark.subarray(4), 'mark mask') } } : {}),
    ...(xf !== undefined ? { extraFlags: readU32(xf, 'extra flags') } : {}),
    algorithms,
    attrs,
  };
}
