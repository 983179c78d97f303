/**
 * SA structs and attributes (uapi/linux/xfrm.h):
 *
 * struct xfrm_usersa_info (224):
 *    0 sel (xfrm_selector, 56) | 56 id (xfrm_id, 24) | 80 saddr[16]
 *   96 lft (xfrm_lifetime_cfg, 64) | 160 curlft (xfrm_lifetime_cur, 32)
 *  192 stats {replay_window, replay, integrity_failed: u32} | 204 seq | 208 reqid
 *  212 family(u16) | 214 mode(u8) | 215 replay_window(u8) | 216 flags(u8) | pad[7]
 * struct xfrm_usersa_id (24): 0 daddr[16] | 16 spi(be32) | 20 family(u16) | 22 proto(u8) pad
 * struct xfrm_userspi_info (232): 0 info (xfrm_usersa_info) | 224 min(u32) | 228 max(u32)
 * struct xfrm_encap_tmpl (24): 0 encap_type(u16) | 2 sport(be16) | 4 dport(be16) | 6 pad | 8 encap_oa[16]
 * struct xfrm_algo (68+key): name[64] | key_len bits(u32) | key
 * struct xfrm_algo_auth / xfrm_algo_aead (72+key): name[64] | key_len bits | trunc/icv bits | key
 * struct xfrm_replay_state_esn (24+bmp): bmp_len(u32, in 32-bit words) oseq seq oseq_hi seq_hi replay_window | bmp[]
 * struct xfrm_mark (8): v, m
 */
import { Size } from './xfrm-const.js';
import {
  familyOfAf,
  afOf,
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
import { attrString } from './netlink.js';
import { KernelError } from '../../util/errors.js';

export interface UsersaInfo {
  readonly sel: XfrmSelector;
  readonly id: XfrmId;
  readonly saddr: string;
  readonly lft: LifetimeCfg;
  readonly curlft: LifetimeCur;
  readonly stats: { readonly replayWindow: number; readonly replay: number; readonly integrityFailed: number };
  readonly seq: number;
  readonly reqid: number;
  readonly family: Family | undefined;
  readonly mode: number;
  readonly replayWindow: number;
  readonly flags: number;
}

const ZERO_CUR: LifetimeCur = { bytes: 0n, packets: 0n, addTime: 0n, useTime: 0n };
const ZERO_STATS = { replayWindow: 0, replay: 0, integrityFailed: 0 };

export type UsersaInfoInput = Omit<UsersaInfo, 'curlft' | 'stats'> & { readonly curlft?: LifetimeCur; readonly stats?: UsersaInfo['stats'] };

export function writeUsersaInfo(out: Uint8Array, off: number, s: UsersaInfoInput): void {
  const v = view(out);
  writeSelector(out, off, s.sel);
  writeId(out, off + 56, s.family, s.id);
  if (s.family !== undefined && s.saddr !== '') writeAddress(out, off + 80, s.family, s.saddr);
  writeLifetimeCfg(out, off + 96, s.lft);
  const cur = s.curlft ?? ZERO_CUR;
  v.setBigUint64(off + 160, cur.bytes, true);
  v.setBigUint64(off + 168, cur.packets, true);
  v.setBigUint64(off + 176, cur.addTime, true);
  v.setBigUint64(off + 184, cur.useTime, true);
  const st = s.stats ?? ZERO_STATS;
  v.setUint32(off + 192, st.replayWindow, true);
  v.setUint32(off + 196, st.replay, true);
  v.setUint32(off + 200, st.integrityFailed, true);
  v.setUint32(off + 204, s.seq >>> 0, true);
  v.setUint32(off + 208, s.reqid >>> 0, true);
  v.setUint16(off + 212, s.family === undefined ? 0 : afOf(s.family), true);
  out[off + 214] = s.mode;
  out[off + 215] = s.replayWindow;
  out[off + 216] = s.flags;
}

export function encodeUsersaInfo(s: UsersaInfoInput): Uint8Array {
  const out = new Uint8Array(Size.usersaInfo);
  writeUsersaInfo(out, 0, s);
  return out;
}

export function readUsersaInfo(b: Uint8Array, off = 0): UsersaInfo {
  need(b, off + Size.usersaInfo, 'xfrm_usersa_info');
  const v = view(b);
  const family = familyOfAf(v.getUint16(off + 212, true));
  return {
    sel: readSelector(b, off),
    id: readId(b, off + 56, family),
    saddr: readAddress(b, off + 80, family),
    lft: readLifetimeCfg(b, off + 96),
    curlft: readLifetimeCur(b, off + 160),
    stats: { replayWindow: v.getUint32(off + 192, true), replay: v.getUint32(off + 196, true), integrityFailed: v.getUint32(off + 200, true) },
    seq: v.getUint32(off + 204, true),
    reqid: v.getUint32(off + 208, true),
    family,
    mode: b[off + 214] ?? 0,
    replayWindow: b[off + 215] ?? 0,
    flags: b[off + 216] ?? 0,
  };
}

export interface UsersaId {
  readonly daddr: string;
  readonly spi: number;
  readonly family: Family;
  readonly proto: number;
}

export function encodeUsersaId(id: UsersaId): Uint8Array {
  const out = new Uint8Array(Size.usersaId);
  writeAddress(out, 0, id.family, id.daddr);
  const v = view(out);
  v.setUint32(16, id.spi >>> 0, false);
  v.setUint16(20, afOf(id.family), true);
  out[22] = id.proto;
  return out;
}

export function readUsersaId(b: Uint8Array): UsersaId | undefined {
  need(b, Size.usersaId, 'xfrm_usersa_id');
  const v = view(b);
  const family = familyOfAf(v.getUint16(20, true));
  if (family === undefined) return undefined;
  return { daddr: readAddress(b, 0, family), spi: v.getUint32(16, false), family, proto: b[22] ?? 0 };
}

/** ALLOCSPI request body: the larval SA's identity plus the SPI range. */
export function encodeUserspiInfo(info: UsersaInfoInput, min: number, max: number): Uint8Array {
  const out = new Uint8Array(Size.userspiInfo);
  writeUsersaInfo(out, 0, info);
  const v = view(out);
  v.setUint32(224, min >>> 0, true);
  v.setUint32(228, max >>> 0, true);
  return out;
}

export interface EncapTmpl {
  readonly type: number;
  readonly sport: number;
  readonly dport: number;
  /** original address (NAT-OA); '' = none */
  readonly oa: string;
}

export function encodeEncap(e: EncapTmpl, family: Family): Uint8Array {
  const out = new Uint8Array(Size.encapTmpl);
  const v = view(out);
  v.setUint16(0, e.type, true);
  v.setUint16(2, e.sport, false);
  v.setUint16(4, e.dport, false);
  if (e.oa !== '') writeAddress(out, 8, family, e.oa);
  return out;
}

export function readEncap(b: Uint8Array, family: Family | undefined): EncapTmpl {
  need(b, Size.encapTmpl, 'xfrm_encap_tmpl');
  const v = view(b);
  return { type: v.getUint16(0, true), sport: v.getUint16(2, false), dport: v.getUint16(4, false), oa: readAddress(b, 8, family) };
}

export interface XfrmAlgo {
  readonly name: string;
  readonly key: Uint8Array;
  /** ICV (AEAD) or truncation (auth) length in bits; absent for plain ciphers */
  readonly extraBits?: number;
}

function writeName(out: Uint8Array, name: string): void {
  if (name.length > 63 || !/^[\x20-\x7e]*$/.test(name)) throw new KernelError('KERNEL_ALG', `bad kernel algorithm name ${JSON.stringify(name)}`);
  for (let i = 0; i < name.length; i++) out[i] = name.charCodeAt(i);
}

/** xfrm_algo (extraBits undefined) or xfrm_algo_auth / xfrm_algo_aead (extraBits = trunc / icv bits). */
export function encodeAlgo(a: XfrmAlgo): Uint8Array {
  const head = a.extraBits === undefined ? Size.algo : Size.algoAuth;
  const out = new Uint8Array(head + a.key.length);
  writeName(out, a.name);
  const v = view(out);
  v.setUint32(64, a.key.length * 8, true);
  if (a.extraBits !== undefined) v.setUint32(68, a.extraBits, true);
  out.set(a.key, head);
  return out;
}

/** Decodes an algorithm attribute; `withExtra` for the auth/aead variants. The key is a view. */
export function readAlgo(b: Uint8Array, withExtra: boolean): XfrmAlgo {
  const head = withExtra ? Size.algoAuth : Size.algo;
  need(b, head, withExtra ? 'xfrm_algo_auth' : 'xfrm_algo');
  const v = view(b);
  const keyBits = v.getUint32(64, true);
  const keyLen = Math.ceil(keyBits / 8);
  need(b, head + keyLen, 'algorithm key');
  return {
    name: attrString(b.subarray(0, 64)),
    key: b.subarray(head, head + keyLen),
    ...(withExtra ? { extraBits: v.getUint32(68, true) } : {}),
  };
}

export interface ReplayEsn {
  readonly oseq: number;
  readonly seq: number;
  readonly oseqHi: number;
  readonly seqHi: number;
  readonly replayWindow: number;
  /** bitmap length in 32-bit words */
  readonly bmpLen: number;
}

/** A fresh ESN/replay state for a window of `window` packets (RFC 4303 §3.4.3, App. A2). */
export function encodeReplayEsn(window: number): Uint8Array {
  const bmpLen = Math.max(1, Math.ceil(window / 32));
  const out = new Uint8Array(Size.replayEsn + bmpLen * 4);
  const v = view(out);
  v.setUint32(0, bmpLen, true);
  v.setUint32(20, window, true);
  return out;
}

export function readReplayEsn(b: Uint8Array): ReplayEsn {
  need(b, Size.replayEsn, 'xfrm_replay_state_esn');
  const v = view(b);
  const bmpLen = v.getUint32(0, true);
  return { bmpLen, oseq: v.getUint32(4, true), seq: v.getUint32(8, true), oseqHi: v.getUint32(12, true), seqHi: v.getUint32(16, true), replayWindow: v.getUint32(20, true) };
}

export function encodeMark(value: number, mask: number): Uint8Array {
  const out = new Uint8Array(Size.mark);
  const v = view(out);
  v.setUint32(0, value >>> 0, true);
  v.setUint32(4, mask >>> 0, true);
  return out;
}

export function encodeU32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  view(out).setUint32(0, n >>> 0, true);
  return out;
}

export function readU32(b: Uint8Array, what: string): number {
  need(b, 4, what);
  return view(b).getUint32(0, true);
}
