/**
 * Kernel-to-Keyway events on a socket bound to XFRMNLGRP_ACQUIRE and
 * XFRMNLGRP_EXPIRE:
 *   ACQUIRE (struct xfrm_user_acquire + XFRMA_TMPL): traffic matched a policy
 *     with no SA (RFC 4301 §4.4.1 "PROTECT" with no SA: negotiate one); the
 *     template's reqid names the CHILD SA config (trap) it belongs to.
 *   EXPIRE (struct xfrm_user_expire): a soft or hard lifetime (time, bytes or
 *     packets) was reached; soft -> the engine rekeys, hard -> it deletes.
 * Only events about Keyway's own state (tagged reqid) are passed on.
 */
import type { IpsecProtocol, KernelEvent } from '../../ike/dataplane.js';
import type { Logger } from '../../ike/ports.js';
import type { NetlinkSocket, NetlinkSocketFactory } from './channel.js';
import { decodeMessages } from './netlink.js';
import type { ReqidTag } from './ownership.js';
import { toKeywaySelector } from './selectors.js';
import { IPPROTO_AH, IPPROTO_ESP, XfrmGroup, XfrmMsg, groupMask } from './xfrm-const.js';
import { decodeAcquire, decodeExpire } from './xfrm-policy.js';

export interface EventHooks {
  /** is (proto number, spi, dst) an SA this instance installed (not just allocated)? */
  isInstalled(proto: number, spi: number, dst: string): boolean;
  emit(e: KernelEvent): void;
  count(name: string): void;
  readonly logger?: Logger;
}

function protoName(p: number): IpsecProtocol | undefined {
  return p === IPPROTO_ESP ? 'esp' : p === IPPROTO_AH ? 'ah' : undefined;
}

/** Handles one event message; returns false when it was not for us (tests assert on it). */
export function handleEventMessage(type: number, payload: Uint8Array, tag: ReqidTag, hooks: EventHooks): boolean {
  if (type === XfrmMsg.ACQUIRE) {
    const a = decodeAcquire(payload);
    const kreqid = a.tmpls[0]?.reqid ?? 0;
    const reqid = tag.fromKernel(kreqid);
    const fam = a.sel.family;
    if (reqid === undefined || fam === undefined) {
      hooks.count('xfrm.acquire.foreign');
      return false;
    }
    hooks.count('xfrm.acquire');
    const local = toKeywaySelector(fam, a.sel.saddr, a.sel.prefixlenS, a.sel.proto, a.sel.sport, a.sel.sportMask);
    const remote = toKeywaySelector(fam, a.sel.daddr, a.sel.prefixlenD, a.sel.proto, a.sel.dport, a.sel.dportMask);
    hooks.logger?.log('info', 'xfrm.acquire', { reqid, local: local.startAddress, remote: remote.startAddress, proto: a.sel.proto });
    hooks.emit({ kind: 'acquire', reqid, local, remote });
    return true;
  }
  if (type === XfrmMsg.EXPIRE) {
    const x = decodeExpire(payload);
    const s = x.state;
    const reqid = tag.fromKernel(s.reqid);
    const proto = protoName(s.id.proto);
    if (reqid === undefined || proto === undefined || !hooks.isInstalled(s.id.proto, s.id.spi, s.id.daddr)) {
      hooks.count(reqid === undefined ? 'xfrm.expire.foreign' : 'xfrm.expire.notInstalled');
      return false;
    }
    hooks.count(x.hard ? 'xfrm.expire.hard' : 'xfrm.expire.soft');
    hooks.logger?.log('info', 'xfrm.expire', {
      reqid,
      hard: x.hard,
      spi: `0x${s.id.spi.toString(16).padStart(8, '0')}`,
      dst: s.id.daddr,
      bytes: Number(s.curlft.bytes),
      packets: Number(s.curlft.packets),
    });
    hooks.emit({ kind: 'expire', hard: x.hard, sa: { protocol: proto, spi: s.id.spi, dst: s.id.daddr }, reqid });
    return true;
  }
  hooks.count('xfrm.event.other');
  return false;
}

export function startEventSocket(factory: NetlinkSocketFactory, tag: ReqidTag, hooks: EventHooks): NetlinkSocket {
  return factory(
    groupMask(XfrmGroup.ACQUIRE, XfrmGroup.EXPIRE),
    (datagrams) => {
      for (const d of datagrams) {
        try {
          for (const m of decodeMessages(d)) handleEventMessage(m.type, m.payload, tag, hooks);
        } catch (e) {
          // hostile or unexpected bytes from the socket: count, log, carry on
          hooks.count('xfrm.event.malformed');
          hooks.logger?.log('warn', 'xfrm.event.malformed', { error: e instanceof Error ? e.message : String(e) });
        }
      }
    },
    (e) => {
      hooks.count('xfrm.event.recvError');
      hooks.logger?.log('warn', 'xfrm.event.recv-error', { error: e instanceof Error ? e.message : String(e), note: 'kernel events may have been lost (ENOBUFS)' });
    },
  );
}
