/**
 * Golden bytes: Keyway's XFRM encoders produce exactly what iproute2 sends for
 * the same request, and its decoders read what the kernel answered. The
 * messages were captured with strace from `ip xfrm ...` in a fresh network
 * namespace (test/unit/xfrm/golden/capture.sh; iproute2 6.1.0, Linux 6.18,
 * x86_64). Struct layouts: uapi/linux/xfrm.h, uapi/linux/netlink.h.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { repoPath } from '../../helpers/paths.js';
import type { SaSpec } from '../../../src/ike/dataplane.js';
import { decodeError, decodeMessages, NLMSG_ERROR } from '../../../src/kernel/xfrm/netlink.js';
import { kernelError } from '../../../src/kernel/xfrm/kernel-errors.js';
import { ReqidTag } from '../../../src/kernel/xfrm/ownership.js';
import { defaultPriority, kernelSelectors } from '../../../src/kernel/xfrm/selectors.js';
import { XFRM_POLICY_OUT, XfrmMsg } from '../../../src/kernel/xfrm/xfrm-const.js';
import { buildAllocSpi, buildDelPolicy, buildNewPolicy, buildNewSa, buildSaIdRequest, decodeSaMessage, makeTmpl } from '../../../src/kernel/xfrm/xfrm-messages.js';

function golden(name: string): Uint8Array {
  const text = readFileSync(repoPath('test', 'unit', 'xfrm', 'golden', `${name}.hex`), 'utf8');
  const hex = text.split('\n').filter((l) => !l.startsWith('#')).join('').trim();
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** the request's sequence number (iproute2 uses the time) */
function seqOf(b: Uint8Array): number {
  return Buffer.from(b).readUInt32LE(8);
}

function hexEq(actual: Uint8Array, expected: Uint8Array): void {
  assert.equal(Buffer.from(actual).toString('hex'), Buffer.from(expected).toString('hex'));
}

const tag = new ReqidTag();
const KREQID = tag.toKernel(7);

const range = (a: string, b: string): SaSpec['localTs'][number] => ({ family: 4, startAddress: a, endAddress: b, protocol: 0, startPort: 0, endPort: 65535 });

test('reqid tag: engine reqid 7 is 0x4b000007 in the kernel (the value the captures use)', () => {
  assert.equal(KREQID, 1258291207);
  assert.equal(tag.fromKernel(KREQID), 7);
  assert.equal(tag.fromKernel(7), undefined);
});

test('NEWPOLICY out, tunnel, one template: identical to `ip xfrm policy add`', () => {
  const g = golden('newpolicy-out-tunnel.request');
  const [sel] = kernelSelectors(range('10.1.0.0', '10.1.0.255'), range('10.2.0.0', '10.2.0.255'));
  assert.ok(sel);
  assert.equal(defaultPriority(sel), 199808);
  const tmpl = makeTmpl('esp', 'tunnel', '192.0.2.1', '192.0.2.2', KREQID);
  hexEq(buildNewPolicy(seqOf(g), { sel, dir: XFRM_POLICY_OUT, priority: defaultPriority(sel), tmpl }), g);
});

test('DELPOLICY by selector and direction: identical to `ip xfrm policy delete`', () => {
  const g = golden('delpolicy-out.request');
  const [sel] = kernelSelectors(range('10.1.0.0', '10.1.0.255'), range('10.2.0.0', '10.2.0.255'));
  assert.ok(sel);
  hexEq(buildDelPolicy(seqOf(g), sel, XFRM_POLICY_OUT), g);
});

const baseSa = {
  protocol: 'esp' as const,
  spi: 0x1234,
  direction: 'out' as const,
  src: '192.0.2.1',
  dst: '192.0.2.2',
  esn: false,
  replayWindow: 0,
  localTs: [],
  remoteTs: [],
  lifetime: {},
  reqid: 7,
};

test('NEWSA AES-GCM-16 (rfc4106) tunnel: identical to `ip xfrm state add ... aead`', () => {
  const g = golden('newsa-gcm-error.request');
  const key = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
  const sa: SaSpec = { ...baseSa, mode: 'tunnel', keys: { encrId: 20, encrKeyBits: 128, encrKey: key, integId: 0, integKey: new Uint8Array(0) } };
  hexEq(buildNewSa(seqOf(g), sa, { reqid: KREQID, update: false }), g);
});

test('NEWSA AES-CBC + HMAC-SHA-256-128, transport, ESP-in-UDP 4500->4501: identical to iproute2', () => {
  const g = golden('newsa-cbc-sha256-encap.request');
  const enc = Uint8Array.from({ length: 16 }, (_, i) => i);
  const auth = Uint8Array.from({ length: 32 }, (_, i) => i);
  const sa: SaSpec = { ...baseSa, mode: 'transport', encap: { srcPort: 4500, dstPort: 4501 }, keys: { encrId: 12, encrKeyBits: 128, encrKey: enc, integId: 12, integKey: auth } };
  hexEq(buildNewSa(seqOf(g), sa, { reqid: KREQID, update: false }), g);
});

test('ALLOCSPI: identical to `ip xfrm state allocspi`; the reply (NEWSA) decodes to the SPI', () => {
  const g = golden('allocspi.request');
  hexEq(buildAllocSpi(seqOf(g), 'esp', '192.0.2.2', '192.0.2.1', KREQID, 0x100, 0x100), g);
  const [reply] = decodeMessages(golden('allocspi.reply'));
  assert.ok(reply);
  assert.equal(reply.type, XfrmMsg.NEWSA);
  assert.equal(reply.seq, seqOf(g));
  const sa = decodeSaMessage(reply.payload);
  assert.equal(sa.info.id.spi, 0x100);
  assert.equal(sa.info.id.daddr, '192.0.2.1');
  assert.equal(sa.info.saddr, '192.0.2.2');
  assert.equal(sa.info.id.proto, 50);
  assert.equal(sa.info.family, 4);
  assert.equal(tag.fromKernel(sa.info.reqid), 7);
});

test('DELSA with XFRMA_SRCADDR: identical to `ip xfrm state delete`; the ACK decodes to errno 0', () => {
  const g = golden('delsa.request');
  hexEq(buildSaIdRequest(seqOf(g), XfrmMsg.DELSA, { daddr: '192.0.2.1', spi: 0x100, family: 4, proto: 50 }, undefined, '192.0.2.2'), g);
  const [ack] = decodeMessages(golden('delsa.reply'));
  assert.ok(ack);
  assert.equal(ack.type, NLMSG_ERROR);
  const e = decodeError(ack);
  assert.equal(e.errno, 0);
  assert.equal(e.requestSeq, seqOf(g));
  assert.equal(e.requestType, XfrmMsg.DELSA);
});

test('kernel without ESP: NEWSA error reply carries EPROTONOSUPPORT and the extended ACK text', () => {
  const [m] = decodeMessages(golden('newsa-cbc-sha256-encap.reply'));
  assert.ok(m);
  const e = decodeError(m);
  assert.equal(e.errno, 93);
  assert.equal(e.extAckMessage, 'Requested type not found');
  const k = kernelError('NEWSA', 'SPI 0x00001234', e, 'esp');
  assert.equal(k.code, 'KERNEL_EPROTONOSUPPORT');
  assert.equal(k.errno, 93);
  assert.match(k.message, /EPROTONOSUPPORT \(93/);
  assert.match(k.message, /kernel says "Requested type not found"/);
  assert.match(k.message, /kernel lacks ESP support/);
});

test('kernel without GCM: ENOSYS with "Requested AEAD algorithm not found"', () => {
  const [m] = decodeMessages(golden('newsa-gcm-error.reply'));
  assert.ok(m);
  const e = decodeError(m);
  assert.equal(e.errno, 38);
  assert.equal(e.extAckMessage, 'Requested AEAD algorithm not found');
  assert.match(kernelError('NEWSA', 'x', e, 'esp').message, /lacks the crypto algorithm/);
});

test('policy ACK (NLM_F_CAPPED: only the echoed header) decodes', () => {
  const [m] = decodeMessages(golden('newpolicy-out-tunnel.reply'));
  assert.ok(m);
  const e = decodeError(m);
  assert.equal(e.errno, 0);
  assert.equal(e.requestType, XfrmMsg.NEWPOLICY);
  assert.equal(e.extAckMessage, undefined);
});
