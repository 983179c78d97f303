/**
 * What the daemon does for `dataplane = xfrm` (kept here so src/daemon/main.ts
 * only calls two functions):
 *  - open the dataplane (removing tagged leftovers of a crashed run);
 *  - on every IKE socket: a per-socket XFRM policy bypass, so IKE is never
 *    caught by our own policies (e.g. transport mode between the two IKE
 *    addresses would otherwise encrypt IKE itself);
 *  - on every NAT-T socket: UDP_ENCAP_ESPINUDP (RFC 3948 §2.1), so the kernel
 *    decapsulates ESP-in-UDP and hands only IKE (non-ESP marker) and
 *    keepalives to userspace.
 */
import type { DaemonSettings } from '../../config/model.js';
import type { Logger } from '../../ike/ports.js';
import { requireNative } from '../../native/addon.js';
import { KernelError } from '../../util/errors.js';
import { SOL_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP } from './xfrm-const.js';
import { XfrmDataplane, type XfrmDataplaneOptions } from './xfrm-dataplane.js';

export interface IkeSocketFd {
  readonly role: 'ike' | 'natt';
  readonly family: 4 | 6;
  readonly fd: number;
}

/** `daemon { xfrm_reqid_tag, xfrm_spi_min, xfrm_spi_max }` -> dataplane options (docs/config.md). */
export function xfrmOptionsFromConfig(d: DaemonSettings): Pick<XfrmDataplaneOptions, 'reqidTag' | 'spiMin' | 'spiMax'> {
  return {
    ...(d.xfrmReqidTag !== undefined ? { reqidTag: d.xfrmReqidTag } : {}),
    ...(d.xfrmSpiMin !== undefined ? { spiMin: d.xfrmSpiMin } : {}),
    ...(d.xfrmSpiMax !== undefined ? { spiMax: d.xfrmSpiMax } : {}),
  };
}

export function openXfrmDataplane(logger: Logger, opts: Omit<XfrmDataplaneOptions, 'logger'> = {}): Promise<XfrmDataplane> {
  return XfrmDataplane.open({ ...opts, logger });
}

export function prepareIkeSocketsForXfrm(sockets: readonly IkeSocketFd[], logger: Logger): void {
  const n = requireNative('dataplane = xfrm');
  for (const s of sockets) {
    if (s.fd < 0) throw new KernelError('KERNEL_SOCKET', `cannot get the descriptor of the ${s.role} socket`);
    try {
      n.setXfrmPolicyBypass(s.fd, s.family);
      if (s.role === 'natt') n.setsockoptInt(s.fd, SOL_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP);
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      throw new KernelError('KERNEL_SOCKET', `preparing the ${s.role} socket for xfrm failed: ${e instanceof Error ? e.message : String(e)}`, errno);
    }
  }
  logger.log('info', 'xfrm.sockets.prepared', { bypass: sockets.length, espInUdp: sockets.filter((s) => s.role === 'natt').length });
}
