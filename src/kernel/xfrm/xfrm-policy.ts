/**
 * Policy structs (uapi/linux/xfrm.h):
 *
 * struct xfrm_userpolicy_info (168):
 *    0 sel (56) | 56 lft (xfrm_lifetime_cfg, 64) | 120 curlft (32)
 *  152 priority(u32) | 156 index(u32) | 160 dir(u8) action(u8) flags(u8) share(u8) | pad[4]
 * struct xfrm_userpolicy_id (64): 0 sel (56) | 56 index(u32) | 60 dir(u8) pad[3]
 * struct xfrm_user_tmpl (64):
 *    0 id (xfrm_id: daddr[16] spi(be32) proto(u8)) | 24 family(u16) | 28 saddr[16] | 44 reqid(u32)
 *   48 mode(u8) share(u8) optional(u8) | 52 aalgos(u32) | 56 ealgos(u32) | 60 calgos(u32)
 * struct xfrm_user_acquire (280):
 *    0 id (24) | 24 saddr[16] | 40 sel (56) | 96 policy (xfrm_userpolicy_info, 168)
 *  264 aalgos ealgos calgos seq (u32 each)
 * struct xfrm_user_expire (232): 0 state (xfrm_usersa_info, 224) | 224 hard(u8)
 */
import { Size } from './xfrm-const.js';
import { decodeAttrs, findAttr, type NlAttr } from './netlink.js';
import { XfrmAttr } from './xfrm-const.js';
import { readUsersaInfo, type UsersaInfo } from './xfrm-sa.js';
import {
  afOf,
  familyOfAf,
  need,
  readAddress,
  readId,
  readLifetimeCfg,
  readLifetimeCur,
  readSelector,
  view,
  writeAddress,
  writeId,
  writeLifetimeCfg,
  writeSelector,
  type Family,
  type LifetimeCfg,
  type LifetimeCur,
  type XfrmId,
  type XfrmSelector,
} from './xfrm-structs.js';

export interface UserpolicyInfo {
  readonly sel: XfrmSelector;
  readonly lft: LifetimeCfg;
  readonly curlft?: LifetimeCur;
  readonly priority: number;
  readonly index: number;
  readonly dir: number;
  readonly action: number;
  readonly flags: number;
  readonly share: number;
}

export function writeUserpolicyInfo(out: Uint8Array, off: number, p: UserpolicyInfo): void {
  const v = view(out);
  writeSelector(out, off, p.sel);
  writeLifetimeCfg(out, off + 56, p.lft);
  if (p.curlft !== undefined) {
    v.setBigUint64(off + 120, p.curlft.bytes, true);
    v.setBigUint64(off + 128, p.curlft.packets, true);
    v.setBigUint64(off + 136, p.curlft.addTime, true);
    v.setBigUint64(off + 144, p.curlft.useTime, true);
  }
  v.setUint32(off + 152, p.priority >>> 0, true);
  v.setUint32(off + 156, p.index >>> 0, true);
  out[off + 160] = p.dir;
  out[off + 161] = p.action;
  out[off + 162] = p.flags;
  out[off + 163] = p.share;
}

export function encodeUserpolicyInfo(p: UserpolicyInfo): Uint8Array {
  const out = new Uint8Array(Size.userpolicyInfo);
  writeUserpolicyInfo(out, 0, p);
  return out;
}

export function readUserpolicyInfo(b: Uint8Array, off = 0): UserpolicyInfo {
  need(b, off + Size.userpolicyInfo, 'xfrm_userpolicy_info');
  const v = view(b);
  return {
    sel: readSelector(b, off),
    lft: readLifetimeCfg(b, off + 56),
    curlft: readLifetimeCur(b, off + 120),
    priority: v.getUint32(off + 152, true),
    index: v.getUint32(off + 156, true),
    dir: b[off + 160] ?? 0,
    action: b[off + 161] ?? 0,
    flags: b[off + 162] ?? 0,
    share: b[off + 163] ?? 0,
  };
}

/** DELPOLICY / GETPOLICY body: by selector + direction (index 0). */
export function encodeUserpolicyId(sel: XfrmSelector, dir: number, index = 0): Uint8Array {
  const out = new Uint8Array(Size.userpolicyId);
  writeSelector(out, 0, sel);
  view(out).setUint32(56, index >>> 0, true);
  out[60] = dir;
  return out;
}

export interface UserTmpl {
  readonly id: XfrmId;
  readonly family: Family;
  readonly saddr: string;
  readonly reqid: number;
  readonly mode: number;
  readonly share: number;
  readonly optional: number;
  readonly aalgos: number;
  readonly ealgos: number;
  readonly calgos: number;
}

export function encodeTmpls(ts: readonly UserTmpl[]): Uint8Array {
  const out = new Uint8Array(Size.userTmpl * ts.length);
  ts.forEach((t, i) => {
    const off = i * Size.userTmpl;
    const v = view(out);
    writeId(out, off, t.family, t.id);
    v.setUint16(off + 24, afOf(t.family), true);
    if (t.saddr !== '') writeAddress(out, off + 28, t.family, t.saddr);
    v.setUint32(off + 44, t.reqid >>> 0, true);
    out[off + 48] = t.mode;
    out[off + 49] = t.share;
    out[off + 50] = t.optional;
    v.setUint32(off + 52, t.aalgos >>> 0, true);
    v.setUint32(off + 56, t.ealgos >>> 0, true);
    v.setUint32(off + 60, t.calgos >>> 0, true);
  });
  return out;
}

/** XFRMA_TMPL payload: whole templates only; trailing octets (less than one template) are ignored. */
export function readTmpls(b: Uint8Array, max = 16): UserTmpl[] {
  const out: UserTmpl[] = [];
  const v = view(b);
  for (let off = 0; off + Size.userTmpl <= b.length && out.length < max; off += Size.userTmpl) {
    const family = familyOfAf(v.getUint16(off + 24, true));
    if (family === undefined) continue;
    out.push({
      id: readId(b, off, family),
      family,
      saddr: readAddress(b, off + 28, family),
      reqid: v.getUint32(off + 44, true),
      mode: b[off + 48] ?? 0,
      share: b[off + 49] ?? 0,
      optional: b[off + 50] ?? 0,
      aalgos: v.getUint32(off + 52, true),
      ealgos: v.getUint32(off + 56, true),
      calgos: v.getUint32(off + 60, true),
    });
  }
  return out;
}

/** A decoded policy (NEWPOLICY dump entry or POLEXPIRE): info + its templates. */
export interface DecodedPolicy {
  readonly info: UserpolicyInfo;
  readonly tmpls: readonly UserTmpl[];
  readonly attrs: readonly NlAttr[];
}

export function decodePolicyMessage(payload: Uint8Array): DecodedPolicy {
  const info = readUserpolicyInfo(payload);
  const attrs = decodeAttrs(payload.subarray(Size.userpolicyInfo), Size.userpolicyInfo);
  const t = findAttr(attrs, XfrmAttr.TMPL);
  return { info, tmpls: t === undefined ? [] : readTmpls(t), attrs };
}

export interface UserAcquire {
  readonly id: XfrmId;
  readonly saddr: string;
  readonly sel: XfrmSelector;
  readonly policy: UserpolicyInfo;
  readonly seq: number;
  /** the matching policy's templates (XFRMA_TMPL), which carry the reqid */
  readonly tmpls: readonly UserTmpl[];
}

export function decodeAcquire(payload: Uint8Array): UserAcquire {
  need(payload, Size.userAcquire, 'xfrm_user_acquire');
  const sel = readSelector(payload, 40);
  const attrs = decodeAttrs(payload.subarray(Size.userAcquire), Size.userAcquire);
  const t = findAttr(attrs, XfrmAttr.TMPL);
  return {
    id: readId(payload, 0, sel.family),
    saddr: readAddress(payload, 24, sel.family),
    sel,
    policy: readUserpolicyInfo(payload, 96),
    seq: view(payload).getUint32(276, true),
    tmpls: t === undefined ? [] : readTmpls(t),
  };
}

export interface UserExpire {
  readonly state: UsersaInfo;
  readonly hard: boolean;
}

export function decodeExpire(payload: Uint8Array): UserExpire {
  need(payload, Size.userExpire, 'xfrm_user_expire');
  return { state: readUsersaInfo(payload, 0), hard: (payload[224] ?? 0) !== 0 };
}
