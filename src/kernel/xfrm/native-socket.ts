/**
 * The real NETLINK_XFRM socket, through the native addon (netlinkOpen with
 * NETLINK_EXT_ACK on, uv_poll readiness, non-blocking recv). Edge code: the
 * only file of the xfrm dataplane that touches a descriptor.
 */
import { requireNative } from '../../native/addon.js';
import type { NetlinkSocketFactory } from './channel.js';
import { NETLINK_XFRM } from './xfrm-const.js';

/** datagrams drained per readiness callback before yielding to the event loop */
const DRAIN = 64;

export const nativeXfrmSocket: NetlinkSocketFactory = (groups, onData, onError) => {
  const n = requireNative('dataplane = xfrm');
  const fd = n.netlinkOpen(NETLINK_XFRM, groups);
  let closed = false;
  const poll = n.pollReadable(fd, () => {
    if (closed) return;
    try {
      for (;;) {
        const batch = n.netlinkRecv(fd, DRAIN);
        if (batch.length > 0) onData(batch);
        if (batch.length < DRAIN || closed) break;
      }
    } catch (e) {
      // ENOBUFS: the kernel dropped events because we were slow; report and go on.
      onError(e);
    }
  });
  return {
    send(bytes) {
      n.netlinkSend(fd, bytes);
    },
    close() {
      if (closed) return;
      closed = true;
      poll.stop();
      n.closeFd(fd);
    },
  };
};
