/**
 * Netlink framing (RFC 3549 §2.3.2, uapi/linux/netlink.h): message headers,
 * attributes, error replies with extended ACK TLVs. Pure: bytes in, values out.
 *
 * Netlink fields are in the HOST's byte order; Keyway only drives XFRM on
 * little-endian hosts (x86_64, aarch64), which XfrmDataplane checks at start.
 *
 *  nlmsghdr (16 octets)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                     nlmsg_len (header + payload)              |
 *  +-------------------------------+-------------------------------+
 *  |          nlmsg_type           |          nlmsg_flags          |
 *  +-------------------------------+-------------------------------+
 *  |                          nlmsg_seq                            |
 *  +---------------------------------------------------------------+
 *  |                          nlmsg_pid                            |
 *  +---------------------------------------------------------------+
 *
 *  nlattr (4 octets + payload, padded to 4): u16 nla_len (incl. header), u16 nla_type
 */
import { KernelError, WireError } from '../../util/errors.js';
import { concatBytes } from '../../util/bytes.js';

export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
/** on requests: DUMP = ROOT | MATCH; on NLMSG_ERROR replies 0x100/0x200 mean CAPPED / ACK_TLVS */
export const NLM_F_DUMP = 0x300;
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

/** extended ACK attributes (enum nlmsgerr_attrs) */
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

/** a sane cap: one datagram never holds more messages than this */
const MAX_MESSAGES = 4096;
const MAX_ATTRS = 1024;

export const ERR_NETLINK = 'XFRM_ERR_DECODE';

export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  /** the payload after the 16-octet header (a view) */
  readonly payload: Uint8Array;
}

export interface NlAttr {
  readonly type: number;
  /** nla_type without NLA_F_NESTED / NLA_F_NET_BYTEORDER */
  readonly payload: Uint8Array;
}

export function align4(n: number): number {
  return (n + 3) & ~3;
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** One complete netlink message: header + payload (+ padding to 4). */
export function encodeMessage(type: number, flags: number, seq: number, payload: Uint8Array): Uint8Array {
  const len = NLMSG_HDRLEN + payload.length;
  const out = new Uint8Array(align4(len));
  const v = dv(out);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq >>> 0, true);
  v.setUint32(12, 0, true); // pid 0: the kernel fills in the socket's port id
  out.set(payload, NLMSG_HDRLEN);
  return out;
}

/** One attribute, padded to 4 octets. */
export function encodeAttr(type: number, payload: Uint8Array): Uint8Array {
  const len = NLA_HDRLEN + payload.length;
  if (len > 0xffff) throw new KernelError('KERNEL_PROTOCOL', `netlink attribute ${type} too long (${len})`);
  const out = new Uint8Array(align4(len));
  const v = dv(out);
  v.setUint16(0, len, true);
  v.setUint16(2, type, true);
  out.set(payload, NLA_HDRLEN);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...parts);
}

/** Splits one received datagram into messages; bounds-checked, never reads past the end. */
export function decodeMessages(buf: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  const v = dv(buf);
  let off = 0;
  while (buf.length - off >= NLMSG_HDRLEN) {
    if (out.length >= MAX_MESSAGES) throw new WireError(ERR_NETLINK, `more than ${MAX_MESSAGES} netlink messages in one datagram`, off);
    const len = v.getUint32(off, true);
    if (len < NLMSG_HDRLEN || len > buf.length - off) {
      throw new WireError(ERR_NETLINK, `bad nlmsg_len ${len} at offset ${off} (${buf.length - off} octets left)`, off);
    }
    out.push({
      type: v.getUint16(off + 4, true),
      flags: v.getUint16(off + 6, true),
      seq: v.getUint32(off + 8, true),
      pid: v.getUint32(off + 12, true),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  if (off < buf.length && buf.length - off < NLMSG_HDRLEN && out.length === 0) {
    throw new WireError(ERR_NETLINK, `truncated netlink header (${buf.length - off} octets)`, off);
  }
  return out;
}

/** Attributes in `buf` (a message payload after its fixed struct). Malformed TLVs throw. */
export function decodeAttrs(buf: Uint8Array, base = 0): NlAttr[] {
  const out: NlAttr[] = [];
  const v = dv(buf);
  let off = 0;
  while (buf.length - off >= NLA_HDRLEN) {
    if (out.length >= MAX_ATTRS) throw new WireError(ERR_NETLINK, `more than ${MAX_ATTRS} netlink attributes`, base + off);
    const len = v.getUint16(off, true);
    const type = v.getUint16(off + 2, true) & 0x3fff;
    if (len < NLA_HDRLEN || len > buf.length - off) {
      throw new WireError(ERR_NETLINK, `bad nla_len ${len} at offset ${base + off}`, base + off);
    }
    out.push({ type, payload: buf.subarray(off + NLA_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

/** The payload of the first attribute of `type`, if any. */
export function findAttr(attrs: readonly NlAttr[], type: number): Uint8Array | undefined {
  return attrs.find((a) => a.type === type)?.payload;
}

/** A NUL-terminated (or not) C string attribute as text; non-printable octets are escaped. */
export function attrString(b: Uint8Array): string {
  let end = b.indexOf(0);
  if (end < 0) end = b.length;
  let s = '';
  for (let i = 0; i < end; i++) {
    const c = b[i] ?? 0;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}

export interface NlError {
  /** positive errno; 0 = ACK (success) */
  readonly errno: number;
  /** the sequence number of the request this answers (from the echoed header) */
  readonly requestSeq: number;
  readonly requestType: number;
  /** NLMSGERR_ATTR_MSG: the kernel's own explanation, when it gave one */
  readonly extAckMessage?: string;
  /** NLMSGERR_ATTR_OFFS: offset of the offending attribute in the request */
  readonly extAckOffset?: number;
}

/**
 * NLMSG_ERROR payload (uapi netlink.h struct nlmsgerr + TLVs):
 *   s32 error | nlmsghdr msg | [original payload unless NLM_F_CAPPED] | [ext-ack TLVs if NLM_F_ACK_TLVS]
 */
export function decodeError(m: NlMessage): NlError {
  const p = m.payload;
  if (p.length < 4 + NLMSG_HDRLEN) throw new WireError(ERR_NETLINK, `NLMSG_ERROR payload too short (${p.length})`, NLMSG_HDRLEN);
  const v = dv(p);
  const err = v.getInt32(0, true);
  const origLen = v.getUint32(4, true);
  const requestType = v.getUint16(8, true);
  const requestSeq = v.getUint32(12, true);
  let tlvStart = 4 + NLMSG_HDRLEN;
  if ((m.flags & NLM_F_CAPPED) === 0) {
    if (origLen < NLMSG_HDRLEN) throw new WireError(ERR_NETLINK, `NLMSG_ERROR echoes a bad nlmsg_len ${origLen}`, NLMSG_HDRLEN + 4);
    tlvStart = 4 + align4(origLen);
  }
  const base = { errno: err < 0 ? -err : err, requestSeq, requestType };
  if ((m.flags & NLM_F_ACK_TLVS) === 0 || tlvStart >= p.length) return base;
  const attrs = decodeAttrs(p.subarray(tlvStart), NLMSG_HDRLEN + tlvStart);
  const msg = findAttr(attrs, NLMSGERR_ATTR_MSG);
  const offs = findAttr(attrs, NLMSGERR_ATTR_OFFS);
  return {
    ...base,
    ...(msg !== undefined ? { extAckMessage: attrString(msg) } : {}),
    ...(offs !== undefined && offs.length >= 4 ? { extAckOffset: dv(offs).getUint32(0, true) } : {}),
  };
}
