/**
 * `daemon { xfrm_reqid_tag, xfrm_spi_min, xfrm_spi_max }` (docs/config.md):
 * parsed and checked by the config validator, mapped to XfrmDataplane
 * options, and visible in the netlink messages (the reqid tag in the ALLOCSPI
 * request and the policy template, the SPI range in ALLOCSPI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import type { PolicySpec } from '../../../src/ike/dataplane.js';
import type { NetlinkSocketFactory } from '../../../src/kernel/xfrm/channel.js';
import { xfrmOptionsFromConfig } from '../../../src/kernel/xfrm/daemon-setup.js';
import { decodeMessages, encodeMessage, NLMSG_ERROR, type NlMessage } from '../../../src/kernel/xfrm/netlink.js';
import { Size, XfrmMsg } from '../../../src/kernel/xfrm/xfrm-const.js';
import { XfrmDataplane } from '../../../src/kernel/xfrm/xfrm-dataplane.js';
import { decodePolicyMessage } from '../../../src/kernel/xfrm/xfrm-policy.js';
import { encodeUsersaInfo } from '../../../src/kernel/xfrm/xfrm-sa.js';
import { NO_LIMITS } from '../../../src/kernel/xfrm/xfrm-structs.js';

function daemon(lines: string): ReturnType<typeof loadConfigText> {
  return loadConfigText(`daemon {\n${lines}\n}\n`, 'x.conf');
}

test('config: xfrm keys in decimal and hex, defaults unset', () => {
  const r = daemon('  dataplane = xfrm\n  xfrm_reqid_tag = 0x4c\n  xfrm_spi_min = 0xc0000000\n  xfrm_spi_max = 3221291007');
  assert.deepEqual(r.errors.map((e) => e.message), []);
  const d = r.config?.daemon;
  assert.ok(d);
  assert.equal(d.xfrmReqidTag, 0x4c);
  assert.equal(d.xfrmSpiMin, 0xc0000000);
  assert.equal(d.xfrmSpiMax, 0xc000ffff);
  assert.deepEqual(xfrmOptionsFromConfig(d), { reqidTag: 0x4c, spiMin: 0xc0000000, spiMax: 0xc000ffff });
  const plain = daemon('  dataplane = xfrm').config?.daemon;
  assert.ok(plain);
  assert.equal(plain.xfrmReqidTag, undefined);
  assert.deepEqual(xfrmOptionsFromConfig(plain), {});
});

test('config: out-of-range and empty ranges are errors with positions', () => {
  const r = daemon('  xfrm_reqid_tag = 0\n  xfrm_spi_min = 0xff\n  xfrm_spi_max = 0x1ffffffff');
  assert.equal(r.config, undefined);
  const msgs = r.errors.map((e) => e.message);
  assert.equal(msgs.length, 3, msgs.join('\n'));
  assert.match(msgs[0] ?? '', /x\.conf:2:.*invalid value '0' for 'daemon\.xfrm_reqid_tag'.*0x1 to 0xff/);
  assert.match(msgs[1] ?? '', /invalid value '0xff' for 'daemon\.xfrm_spi_min'.*0x100 to 0xffffffff/);
  assert.match(msgs[2] ?? '', /'daemon\.xfrm_spi_max'/);
  const empty = daemon('  xfrm_spi_min = 0x2000\n  xfrm_spi_max = 0x1000');
  assert.equal(empty.config, undefined);
  assert.match(empty.errors[0]?.message ?? '', /x\.conf:3:.*'daemon\.xfrm_spi_max' is below 'daemon\.xfrm_spi_min'/);
  const word = daemon('  xfrm_reqid_tag = K');
  assert.match(word.errors[0]?.message ?? '', /decimal or 0x hex/);
});

test('dataplane: the configured tag and SPI range reach the kernel messages', async () => {
  const seen: NlMessage[] = [];
  const factory: NetlinkSocketFactory = (_groups, onData) => ({
    send(bytes) {
      for (const m of decodeMessages(bytes)) {
        seen.push(m);
        const reply = m.type === XfrmMsg.ALLOCSPI
          ? encodeMessage(XfrmMsg.NEWSA, 0, m.seq, encodeUsersaInfo({
            sel: { family: 4, daddr: '0.0.0.0', saddr: '0.0.0.0', prefixlenD: 0, prefixlenS: 0, dport: 0, dportMask: 0, sport: 0, sportMask: 0, proto: 0, ifindex: 0, user: 0 },
            id: { daddr: '192.0.2.1', spi: 0xc0000042, proto: 50 }, saddr: '192.0.2.2', lft: NO_LIMITS, seq: 0, reqid: 0x4c000007, family: 4, mode: 0, replayWindow: 0, flags: 0,
          }))
          : (() => {
            const body = new Uint8Array(20);
            new DataView(body.buffer).setUint32(4, 16, true);
            return encodeMessage(NLMSG_ERROR, 0x100, m.seq, body);
          })();
        queueMicrotask(() => onData([reply]));
      }
    },
    close() {},
  });
  const opts = xfrmOptionsFromConfig({ ...(daemon('  xfrm_reqid_tag = 0x4c\n  xfrm_spi_min = 0xc0000000\n  xfrm_spi_max = 0xc000ffff').config?.daemon ?? assert.fail('config')) });
  const dp = await XfrmDataplane.open({ socketFactory: factory, timeoutMs: 1000, ...opts }, false);
  try {
    assert.equal(await dp.allocateSpi('esp', '192.0.2.2', '192.0.2.1', 7), 0xc0000042);
    const alloc = seen.find((m) => m.type === XfrmMsg.ALLOCSPI);
    assert.ok(alloc);
    // struct xfrm_userspi_info { struct xfrm_usersa_info info; __u32 min; __u32 max; }
    const v = new DataView(alloc.payload.buffer, alloc.payload.byteOffset, alloc.payload.byteLength);
    assert.equal(v.getUint32(Size.usersaInfo - 16, true), 0x4c000007, 'reqid (tag 0x4c | engine reqid 7)');
    assert.equal(v.getUint32(Size.usersaInfo, true), 0xc0000000, 'min');
    assert.equal(v.getUint32(Size.usersaInfo + 4, true), 0xc000ffff, 'max');
    const sel = { family: 4 as const, startAddress: '10.1.0.0', endAddress: '10.1.0.255', protocol: 0, startPort: 0, endPort: 65535 };
    const p: PolicySpec = { direction: 'out', local: sel, remote: { ...sel, startAddress: '10.2.0.0', endAddress: '10.2.0.255' }, mode: 'tunnel', tunnelSrc: '192.0.2.1', tunnelDst: '192.0.2.2', reqid: 7, protocol: 'esp', priority: 0 };
    await dp.addPolicy(p);
    const np = seen.find((m) => m.type === XfrmMsg.NEWPOLICY);
    assert.ok(np);
    assert.deepEqual(decodePolicyMessage(np.payload).tmpls.map((t) => t.reqid), [0x4c000007]);
  } finally {
    await dp.close();
  }
});
