/**
 * Real captures (provenance: test/vectors/PROVENANCE.md "Wire codec fixtures").
 * Expected values come from tcpdump's expected-output files for the same pcaps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from '../../../src/wire/ikev2/message.js';
import { decodePayloadChain } from '../../../src/wire/ikev2/chain.js';
import { toHex } from '../../../src/util/bytes.js';
import { WireError } from '../../../src/util/errors.js';
import type { IkeMessage, Payload } from '../../../src/wire/ikev2/types.js';
import { corpusPayloads, ikeMessages, isIkev2, malformedCaptures, readFixture } from './load-fixtures.js';
import { udpDatagrams } from '../../helpers/pcap.js';

function kinds(ps: readonly Payload[]): (number | string)[] {
  return ps.map((p) => (p.type === 'unknown' ? `?${p.rawType}` : p.type));
}

/** encode(decode(b)) === b, except reserved header flag bits, which §3.1 says to ignore. */
function assertCanonical(m: IkeMessage, bytes: Uint8Array, what: string): void {
  const re = encodeMessage(m.header, m.payloads);
  const masked = bytes.slice();
  masked[19] = (masked[19] ?? 0) & 0x38;
  assert.equal(toHex(re), toHex(masked), what);
}

function decodeOrWireError(bytes: Uint8Array): IkeMessage | WireError {
  try {
    return decodeMessage(bytes);
  } catch (e) {
    assert.ok(e instanceof WireError, `non-WireError thrown: ${String(e)}`);
    return e;
  }
}

describe('tcpdump ikev2pI2.pcap', () => {
  const msgs = ikeMessages('ikev2pI2.pcap');
  test('two IKEv2 messages, decoded and re-encoded byte for byte', () => {
    assert.equal(msgs.length, 2);
    for (const { bytes, frame } of msgs) assertCanonical(decodeMessage(bytes), bytes, `frame ${frame}`);
  });
  test('IKE_SA_INIT request fields match tcpdump output', () => {
    const m = decodeMessage(msgs[0]?.bytes ?? new Uint8Array(0));
    assert.equal(toHex(m.header.spiI), '0001020304050607');
    assert.equal(toHex(m.header.spiR), '0000000000000000');
    assert.equal(m.header.exchangeType, 34);
    assert.ok(m.header.initiator && !m.header.response);
    assert.deepEqual(kinds(m.payloads), [33, 34, 40, 43]);
    const [sa, ke, nonce, vid] = m.payloads;
    assert.ok(sa?.type === 33 && sa.critical);
    assert.equal(sa.proposals.length, 6);
    assert.deepEqual(sa.proposals.map((p) => p.number), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(sa.proposals[0]?.transforms.map((t) => [t.type, t.id]), [[1, 12], [3, 2], [2, 2], [4, 5]]);
    assert.deepEqual(sa.proposals[5]?.transforms.map((t) => [t.type, t.id]), [[1, 3], [3, 2], [2, 1], [4, 2]]);
    assert.ok(ke?.type === 34 && ke.group === 5 && ke.data.length === 192);
    assert.equal(toHex(ke.data.subarray(0, 8)), 'ffbc6a92a6b9559b');
    assert.ok(nonce?.type === 40);
    assert.equal(toHex(nonce.data), 'b5ce8419095c6e2b6b62d3055305b3c4');
    assert.ok(vid?.type === 43);
    assert.equal(toHex(vid.data), '4f45726c415c6e51756b5352');
  });
  test('IKE_AUTH request carries one sealed SK whose inner chain starts with IDi', () => {
    const m = decodeMessage(msgs[1]?.bytes ?? new Uint8Array(0));
    assert.equal(toHex(m.header.spiR), 'c02e7a3031a03188');
    assert.equal(m.header.exchangeType, 35);
    const sk = m.payloads[0];
    assert.ok(sk?.type === 46 && m.payloads.length === 1);
    assert.equal(sk.nextPayload, 35);
    assert.equal(sk.data.length, 252); // tcpdump prints "v2e[C]: len=252" (the body)
    assert.equal(toHex(sk.data.subarray(0, 16)), '000102030405060708090a0b0c0d0e0f');
  });
});

describe('tcpdump ikev2four.pcap', () => {
  const msgs = ikeMessages('ikev2four.pcap');
  test('21 frames decode and re-encode canonically', () => {
    assert.equal(msgs.length, 21);
    for (const { bytes, frame } of msgs) assertCanonical(decodeMessage(bytes), bytes, `frame ${frame}`);
  });
  test('frame 1: 12 transforms with key-length attributes, NAT-D notifies', () => {
    const m = decodeMessage(msgs[0]?.bytes ?? new Uint8Array(0));
    const sa = m.payloads[0];
    assert.ok(sa?.type === 33);
    const t = sa.proposals[0]?.transforms ?? [];
    assert.equal(t.length, 12);
    assert.deepEqual(t.slice(0, 3).map((x) => x.attributes[0]?.value), [128, 256, 192]);
    assert.ok(t[0]?.attributes[0]?.tv === true && t[0].attributes[0].type === 14);
    const ke = m.payloads[1];
    assert.ok(ke?.type === 34 && ke.group === 2 && ke.data.length === 128);
    const nonce = m.payloads[2];
    assert.ok(nonce?.type === 40 && toHex(nonce.data).startsWith('6128ebd023a864e94a7f'));
    assert.deepEqual(m.payloads.slice(3).map((p) => (p.type === 41 ? p.notifyType : -1)), [16388, 16389]);
  });
  test('frame 2: COOKIE response, frame 3: request echoing it first', () => {
    const r = decodeMessage(msgs[1]?.bytes ?? new Uint8Array(0));
    assert.ok(r.header.response);
    const n = r.payloads[0];
    assert.ok(n?.type === 41 && n.notifyType === 16390);
    assert.equal(toHex(n.data), '00000001c2221e50c16e123f2b0c71aefcf0cb3b798782c6');
    const q = decodeMessage(msgs[2]?.bytes ?? new Uint8Array(0));
    const c = q.payloads[0];
    assert.ok(c?.type === 41 && c.notifyType === 16390 && toHex(c.data) === toHex(n.data));
  });
});

describe('tcpdump ikev2-id-normal / -short', () => {
  test('normal: the IDi chain decodes; the trailing bytes after NONE are refused', () => {
    const b = ikeMessages('ikev2-id-normal.pcap')[0]?.bytes ?? new Uint8Array(0);
    assert.throws(() => decodeMessage(b), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_DECODE_TRAILING');
    const [id] = decodePayloadChain(35, b.subarray(28, 28 + 9));
    assert.ok(id?.type === 35 && id.idType === 1 && toHex(id.data) === 'de');
  });
  test('short: ID payload shorter than its header is a WireError', () => {
    const b = ikeMessages('ikev2-id-short.pcap')[0]?.bytes ?? new Uint8Array(0);
    assert.throws(() => decodeMessage(b), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_DECODE_TRUNCATED' && e.payloadType === 35);
  });
});

describe('IKEv1 and malformed captures are refused with WireError only', () => {
  test('isakmp4500.pcap: IKEv1 messages give IKE_ERR_VERSION', () => {
    const msgs = ikeMessages('isakmp4500.pcap');
    assert.ok(msgs.length >= 10);
    for (const { bytes } of msgs) {
      assert.throws(() => decodeMessage(bytes), (e: unknown) => e instanceof WireError && e.code === 'IKE_ERR_VERSION');
    }
  });
  for (const name of malformedCaptures()) {
    test(name, () => {
      const ds = udpDatagrams(readFixture(name));
      assert.ok(ds.length >= 1, 'capture holds a UDP datagram');
      for (const d of ds) {
        decodeOrWireError(d.payload);
        if (d.payload.length > 4) decodeOrWireError(d.payload.subarray(4));
      }
    });
  }
  test('ikev2pI2-segfault: the corrupted SA is rejected as malformed structure', () => {
    const d = udpDatagrams(readFixture('malformed/ikev2pI2-segfault.pcapng'))[0];
    assert.ok(d !== undefined);
    const r = decodeOrWireError(d.payload);
    assert.ok(r instanceof WireError && r.code === 'IKE_ERR_DECODE_STRUCTURE' && r.payloadType === 33);
  });
});

describe('udp-payloads.hex corpus', () => {
  const corpus = corpusPayloads();
  test('every IKEv2 message decodes (known-bad ones excepted) and re-encodes canonically', () => {
    let ok = 0;
    const refused: number[] = [];
    for (const { line, bytes } of corpus) {
      if (!isIkev2(bytes)) continue;
      const r = decodeOrWireError(bytes);
      if (r instanceof WireError) {
        refused.push(line);
        continue;
      }
      assertCanonical(r, bytes, `line ${line}`);
      ok++;
    }
    assert.equal(ok, 59, `decoded ${ok}`);
    // the tcpdump fuzzer crashers (segfault SA, n_print oobr x2) and one ESP packet whose bytes look like v2
    assert.deepEqual(refused, [23, 39, 40, 138], `refused lines ${refused.join(",")}`);
  });
  test('every line (any version, raw or marker-stripped) decodes or throws WireError', () => {
    for (const { raw, bytes } of corpus) {
      decodeOrWireError(raw);
      decodeOrWireError(bytes);
    }
  });
});
