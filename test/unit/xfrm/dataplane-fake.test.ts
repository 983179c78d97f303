/**
 * XfrmDataplane and XfrmChannel against a scripted fake kernel (no root):
 * request/reply matching, timeouts, UPDSA for allocated SPIs with the NEWSA
 * fallback when the larval state expired, all-or-nothing policy expansion,
 * flush of exactly what was recorded, events filtered by the reqid tag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KernelEvent, PolicySpec, SaSpec } from '../../../src/ike/dataplane.js';
import { KernelError } from '../../../src/util/errors.js';
import type { NetlinkSocketFactory } from '../../../src/kernel/xfrm/channel.js';
import { XfrmChannel } from '../../../src/kernel/xfrm/channel.js';
import { decodeMessages, encodeMessage, NLMSG_ERROR, type NlMessage } from '../../../src/kernel/xfrm/netlink.js';
import { Size, XfrmMsg } from '../../../src/kernel/xfrm/xfrm-const.js';
import { XfrmDataplane } from '../../../src/kernel/xfrm/xfrm-dataplane.js';
import { encodeUsersaInfo } from '../../../src/kernel/xfrm/xfrm-sa.js';
import { NO_LIMITS } from '../../../src/kernel/xfrm/xfrm-structs.js';

type Answer = (m: NlMessage) => Uint8Array[] | undefined;

/** A fake NETLINK_XFRM: `answer` decides the replies to each request; `events` injects multicast. */
function fakeKernel(answer: Answer): { factory: NetlinkSocketFactory; seen: NlMessage[]; inject(b: Uint8Array): void } {
  const seen: NlMessage[] = [];
  let eventSink: ((d: readonly Uint8Array[]) => void) | undefined;
  const factory: NetlinkSocketFactory = (groups, onData) => {
    if (groups !== 0) eventSink = onData;
    return {
      send(bytes) {
        for (const m of decodeMessages(bytes)) {
          seen.push(m);
          const r = answer(m);
          if (r !== undefined) queueMicrotask(() => onData(r));
        }
      },
      close() {},
    };
  };
  return { factory, seen, inject: (b) => eventSink?.([b]) };
}

function errReply(req: NlMessage, errno: number): Uint8Array {
  const body = new Uint8Array(4 + 16);
  const v = new DataView(body.buffer);
  v.setInt32(0, -errno, true);
  v.setUint32(4, 16, true);
  v.setUint16(8, req.type, true);
  v.setUint32(12, req.seq, true);
  return encodeMessage(NLMSG_ERROR, 0x100, req.seq, body);
}

function saInfo(spi: number, reqid: number, dst = '192.0.2.1'): Uint8Array {
  return encodeUsersaInfo({
    sel: { family: 4, daddr: '0.0.0.0', saddr: '0.0.0.0', prefixlenD: 0, prefixlenS: 0, dport: 0, dportMask: 0, sport: 0, sportMask: 0, proto: 0, ifindex: 0, user: 0 },
    id: { daddr: dst, spi, proto: 50 }, saddr: '192.0.2.2', lft: NO_LIMITS, seq: 0, reqid, family: 4, mode: 1, replayWindow: 0, flags: 0,
  });
}

const SA: SaSpec = {
  protocol: 'esp', spi: 0, direction: 'in', src: '192.0.2.2', dst: '192.0.2.1', mode: 'tunnel', esn: false, replayWindow: 32,
  localTs: [], remoteTs: [], lifetime: { hardSeconds: 3600, softBytes: 1000 }, reqid: 3,
  keys: { encrId: 20, encrKeyBits: 128, encrKey: new Uint8Array(20), integId: 0, integKey: new Uint8Array(0) },
};

test('channel: a request without an answer times out with KERNEL_TIMEOUT', async () => {
  const k = fakeKernel(() => undefined);
  const ch = new XfrmChannel(k.factory, { timeoutMs: 30 });
  await assert.rejects(ch.request((seq) => encodeMessage(0x12, 1, seq, new Uint8Array(24)), 'GETSA'), (e: unknown) => e instanceof KernelError && e.code === 'KERNEL_TIMEOUT');
  ch.close();
});

test('allocated inbound SPI: UPDSA, and NEWSA when the larval state expired (ESRCH)', async () => {
  let updsaFails = true;
  const k = fakeKernel((m) => {
    if (m.type === XfrmMsg.ALLOCSPI) return [encodeMessage(XfrmMsg.NEWSA, 0, m.seq, saInfo(0xabcd, 0x4b000003))];
    if (m.type === XfrmMsg.UPDSA) return [errReply(m, updsaFails ? 3 : 0)];
    return [errReply(m, 0)];
  });
  const dp = await XfrmDataplane.open({ socketFactory: k.factory, timeoutMs: 1000 }, false);
  const spi = await dp.allocateSpi('esp', '192.0.2.2', '192.0.2.1', 3);
  assert.equal(spi, 0xabcd);
  await dp.addSa({ ...SA, spi });
  assert.deepEqual(k.seen.map((m) => m.type), [XfrmMsg.ALLOCSPI, XfrmMsg.UPDSA, XfrmMsg.NEWSA]);
  // the SA carries the tagged reqid and the lifetimes
  const newsa = k.seen[2];
  assert.ok(newsa);
  const dv = new DataView(newsa.payload.buffer, newsa.payload.byteOffset);
  assert.equal(dv.getUint32(208, true), 0x4b000003);
  assert.equal(dv.getBigUint64(96, true), 1000n, 'soft byte limit');
  assert.equal(dv.getBigUint64(96 + 40, true), 3600n, 'hard add-expires seconds');
  assert.deepEqual(dp.installed(), { sas: 1, larval: 0, policies: 0 });
  updsaFails = false;
  await dp.flush();
  assert.equal(k.seen[k.seen.length - 1]?.type, XfrmMsg.DELSA);
  assert.deepEqual(dp.installed(), { sas: 0, larval: 0, policies: 0 });
  await dp.close();
});

test('a policy that expands to several selectors is installed all-or-nothing', async () => {
  let n = 0;
  const k = fakeKernel((m) => [errReply(m, m.type === XfrmMsg.NEWPOLICY && ++n === 2 ? 17 : 0)]);
  const dp = await XfrmDataplane.open({ socketFactory: k.factory }, false);
  const sel = (a: string, b: string) => ({ family: 4 as const, startAddress: a, endAddress: b, protocol: 0, startPort: 0, endPort: 65535 });
  const p: PolicySpec = { direction: 'out', local: sel('10.0.0.1', '10.0.0.2'), remote: sel('10.9.0.0', '10.9.0.255'), mode: 'tunnel', tunnelSrc: '192.0.2.1', tunnelDst: '192.0.2.2', reqid: 3, protocol: 'esp', priority: 0 };
  await assert.rejects(dp.addPolicy(p), (e: unknown) => e instanceof KernelError && e.code === 'KERNEL_EEXIST');
  assert.deepEqual(k.seen.map((m) => m.type), [XfrmMsg.NEWPOLICY, XfrmMsg.NEWPOLICY, XfrmMsg.DELPOLICY]);
  assert.equal(dp.installed().policies, 0);
  await dp.close();
});

test('EXPIRE events: ours (installed, tagged) are passed on, others are not', async () => {
  const k = fakeKernel((m) => [errReply(m, 0)]);
  const dp = await XfrmDataplane.open({ socketFactory: k.factory }, false);
  const events: KernelEvent[] = [];
  dp.onEvent((e) => events.push(e));
  await dp.addSa({ ...SA, direction: 'out', spi: 0x1111, src: '192.0.2.1', dst: '192.0.2.2' });
  const expire = (spi: number, reqid: number, hard: boolean): Uint8Array => {
    const p = new Uint8Array(Size.userExpire);
    p.set(saInfo(spi, reqid, '192.0.2.2'));
    p[224] = hard ? 1 : 0;
    return encodeMessage(XfrmMsg.EXPIRE, 0, 0, p);
  };
  k.inject(expire(0x1111, 0x4b000003, false));
  k.inject(expire(0x2222, 5, true)); // another daemon's SA
  k.inject(Uint8Array.of(1, 2, 3)); // garbage on the event socket is counted, not thrown
  assert.deepEqual(events, [{ kind: 'expire', hard: false, sa: { protocol: 'esp', spi: 0x1111, dst: '192.0.2.2' }, reqid: 3 }]);
  assert.equal(dp.counters()['xfrm.expire.foreign'], 1);
  await dp.close();
});
