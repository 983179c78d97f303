/**
 * The native addon loads and its calls behave on this host. Netlink and TUN
 * need root; those cases skip without it (CI runs as root).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative, requireNative } from '../../../src/native/addon.js';

const root = process.getuid?.() === 0;

test('the addon is built and exposes every function', () => {
  const n = loadNative();
  assert.ok(n, 'native addon missing: npm install should have built it');
  for (const f of ['openTun', 'readPackets', 'writePacket', 'closeFd', 'pollReadable', 'netlinkOpen', 'netlinkSend', 'netlinkRecv', 'setsockoptInt', 'setXfrmPolicyBypass', 'setns', 'readPacketsInto', 'writePackets', 'sendmmsgTo', 'recvmmsgInto', 'dupFd', 'aeadAvailable', 'aeadInit', 'aeadFree', 'aeadSeal', 'aeadOpen']) {
    assert.equal(typeof (n as unknown as Record<string, unknown>)[f], 'function', f);
  }
});

test('errors carry errno and syscall', () => {
  const n = requireNative('test');
  assert.throws(() => n.closeFd(999_999), (e: unknown) => {
    const err = e as { errno?: number; syscall?: string };
    return err.errno === 9 && err.syscall === 'close';
  });
});

test('netlink: an XFRM socket opens, and a bad message gets an error reply', { skip: !root && 'needs root' }, async () => {
  const n = requireNative('test');
  const NETLINK_XFRM = 6;
  const fd = n.netlinkOpen(NETLINK_XFRM, 0);
  try {
    // nlmsghdr: len 16, type 0x7fff (invalid), flags NLM_F_REQUEST|NLM_F_ACK, seq 1, pid 0
    const msg = Buffer.alloc(16);
    msg.writeUInt32LE(16, 0);
    msg.writeUInt16LE(0x7fff, 4);
    msg.writeUInt16LE(0x1 | 0x4, 6);
    msg.writeUInt32LE(1, 8);
    assert.equal(n.netlinkSend(fd, msg), 16);
    let replies: Buffer[] = [];
    for (let i = 0; i < 50 && replies.length === 0; i++) {
      replies = n.netlinkRecv(fd, 8);
      if (replies.length === 0) await new Promise((r) => setTimeout(r, 10));
    }
    const [reply] = replies;
    assert.ok(reply, 'no netlink reply');
    assert.equal(reply.readUInt16LE(4), 2, 'NLMSG_ERROR');
    assert.ok(reply.readInt32LE(16) < 0, 'negative errno in the error reply');
  } finally {
    n.closeFd(fd);
  }
});
