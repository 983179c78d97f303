/**
 * XFRM netlink numbers (uapi/linux/xfrm.h, uapi/linux/netlink.h) and the
 * sizes of the fixed structs on 64-bit Linux (checked against the kernel
 * headers with offsetof/sizeof; see docs/xfrm.md).
 */

export const NETLINK_XFRM = 6;

/** enum of XFRM_MSG_* */
export const XfrmMsg = {
  NEWSA: 0x10,
  DELSA: 0x11,
  GETSA: 0x12,
  NEWPOLICY: 0x13,
  DELPOLICY: 0x14,
  GETPOLICY: 0x15,
  ALLOCSPI: 0x16,
  ACQUIRE: 0x17,
  EXPIRE: 0x18,
  UPDPOLICY: 0x19,
  UPDSA: 0x1a,
  POLEXPIRE: 0x1b,
  FLUSHSA: 0x1c,
  FLUSHPOLICY: 0x1d,
} as const;

/** enum xfrm_attr_type_t */
export const XfrmAttr = {
  ALG_AUTH: 1,
  ALG_CRYPT: 2,
  ALG_COMP: 3,
  ENCAP: 4,
  TMPL: 5,
  SA: 6,
  POLICY: 7,
  SEC_CTX: 8,
  LTIME_VAL: 9,
  REPLAY_VAL: 10,
  REPLAY_THRESH: 11,
  ETIMER_THRESH: 12,
  SRCADDR: 13,
  COADDR: 14,
  LASTUSED: 15,
  POLICY_TYPE: 16,
  MIGRATE: 17,
  ALG_AEAD: 18,
  KMADDRESS: 19,
  ALG_AUTH_TRUNC: 20,
  MARK: 21,
  TFCPAD: 22,
  REPLAY_ESN_VAL: 23,
  SA_EXTRA_FLAGS: 24,
  PROTO: 25,
  ADDRESS_FILTER: 26,
  PAD: 27,
  OFFLOAD_DEV: 28,
  SET_MARK: 29,
  SET_MARK_MASK: 30,
  IF_ID: 31,
} as const;

/** multicast groups (enum xfrm_nlgroups); bind() takes the bit mask 1 << (group - 1) */
export const XfrmGroup = {
  ACQUIRE: 1,
  EXPIRE: 2,
  SA: 3,
  POLICY: 4,
} as const;

export function groupMask(...groups: readonly number[]): number {
  let m = 0;
  for (const g of groups) m |= 1 << (g - 1);
  return m >>> 0;
}

export const XFRM_MODE_TRANSPORT = 0;
export const XFRM_MODE_TUNNEL = 1;

export const XFRM_POLICY_IN = 0;
export const XFRM_POLICY_OUT = 1;
export const XFRM_POLICY_FWD = 2;

export const XFRM_POLICY_ALLOW = 0;
export const XFRM_POLICY_BLOCK = 1;

/** xfrm_usersa_info.flags */
export const XFRM_STATE_ESN = 128;
export const XFRM_STATE_AF_UNSPEC = 32;

/** XFRMA_SA_EXTRA_FLAGS */
export const XFRM_SA_XFLAG_DONT_ENCAP_DSCP = 1;

export const AF_INET = 2;
export const AF_INET6 = 10;

export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;

/** UDP_ENCAP_ESPINUDP (RFC 3948): encap_type in xfrm_encap_tmpl and the UDP_ENCAP sockopt value */
export const UDP_ENCAP_ESPINUDP = 2;
/** setsockopt(fd, SOL_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP) */
export const SOL_UDP = 17;
export const UDP_ENCAP = 100;

/** u64 "no limit" */
export const XFRM_INF = 0xffff_ffff_ffff_ffffn;

/** struct sizes on LP64 Linux */
export const Size = {
  address: 16,
  selector: 56,
  id: 24,
  lifetimeCfg: 64,
  lifetimeCur: 32,
  stats: 12,
  usersaInfo: 224,
  usersaId: 24,
  userspiInfo: 232,
  userpolicyInfo: 168,
  userpolicyId: 64,
  userTmpl: 64,
  encapTmpl: 24,
  mark: 8,
  replayEsn: 24,
  algo: 68,
  algoAuth: 72,
  algoAead: 72,
  userAcquire: 280,
  userExpire: 232,
  usersaFlush: 1,
} as const;

/** XFRMA_REPLAY_ESN_MAX: the largest replay bitmap the kernel accepts, in octets */
export const XFRMA_REPLAY_ESN_MAX = 4096;
