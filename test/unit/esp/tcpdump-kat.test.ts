/**
 * Known answers from tcpdump's ESP captures (test/vectors/esp, see
 * PROVENANCE.md): our ESP codec and the userspace dataplane's ciphers
 * (3DES-CBC, AES-256-CBC) must recover exactly the inner packets tcpdump
 * prints. The ICV key is not published, so only the cipher is exercised here;
 * ICVs are covered by the round-trip and tamper tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { repoPath } from '../../helpers/paths.js';
import { fromHex } from '../../../src/util/bytes.js';
import { WireError } from '../../../src/util/errors.js';
import { EncrId } from '../../../src/iana/ikev2.js';
import { SeededRng } from '../../../src/crypto/rng.js';
import { createEspCipher } from '../../../src/kernel/userspace/esp-suite.js';
import { NextHeader, decodeEspTrailer, splitEsp } from '../../../src/wire/esp/esp.js';
import { parseFlow } from '../../../src/kernel/userspace/flow.js';
import { demuxNatTPort } from '../../../src/transport/demux.js';
import { espPackets } from './esp-pcap.js';
import { udpDatagrams } from '../../helpers/pcap.js';

const dir = repoPath('test', 'vectors', 'esp');
const load = (f: string): Uint8Array => new Uint8Array(readFileSync(`${dir}/${f}`));
const rng = new SeededRng('kat');
const ICV = 12; // tcpdump's "hmac96"

/** `SPI@dst alg:0xKEY` lines of tcpdump's -E secrets file */
function secrets(): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const line of readFileSync(`${dir}/esp-secrets.txt`, 'utf8').split('\n')) {
    const r = /^0x([0-9a-f]+)@\S+\s+\S+:0x([0-9a-f]+)/.exec(line.trim());
    if (r?.[1] !== undefined && r[2] !== undefined) m.set(r[1], fromHex(r[2]));
  }
  return m;
}

/** Expected inner packets per tcpdump's printout: "seq 0xN ... ICMP echo request, id I, seq S" */
function expectedPings(out: string): { seq: number; icmpSeq: number }[] {
  return [...out.matchAll(/seq=0x(\d+)\)[^\n]*ICMP echo request, id 28416, seq (\d+), length 64/g)].map((m) => ({
    seq: Number.parseInt(m[1] ?? '0', 16),
    icmpSeq: Number(m[2]),
  }));
}

function decrypt(esp: Uint8Array, encrId: number, bits: number, key: Uint8Array): { seq: number; spi: number; inner: Uint8Array; nh: number } {
  const c = createEspCipher(encrId, bits, key, rng);
  const p = splitEsp(esp, c.ivLength, ICV, c.blockSize);
  const plain = c.decrypt(p.iv, p.ciphertext);
  const t = decodeEspTrailer(plain);
  return { seq: p.seq, spi: p.spi, inner: plain.subarray(0, t.payloadLength), nh: t.nextHeader };
}

function assertPing(inner: Uint8Array, icmpSeq: number): void {
  const f = parseFlow(inner);
  assert.ok(f !== undefined && f.family === 4, 'inner IPv4 packet');
  assert.equal(f.src, 0xc0000201, '192.0.2.1');
  assert.equal(f.dst, 0xc0000101, '192.0.1.1');
  assert.equal(f.proto, 1);
  assert.equal(f.sport >> 8, 8, 'ICMP echo request');
  assert.equal(inner.length, 84, 'IPv4 20 + ICMP 64');
  const icmp = inner.subarray(20);
  assert.equal((icmp[4] ?? 0) * 256 + (icmp[5] ?? 0), 28416, 'ICMP id');
  assert.equal((icmp[6] ?? 0) * 256 + (icmp[7] ?? 0), icmpSeq, 'ICMP seq');
}

test('08-sunrise-sunset-aes.pcap: AES-256-CBC ESP decrypts to the pings tcpdump prints', () => {
  const key = secrets().get('d1234567');
  assert.ok(key !== undefined && key.length === 32);
  const want = expectedPings(readFileSync(`${dir}/esp5.out`, 'utf8'));
  const pkts = espPackets(load('08-sunrise-sunset-aes.pcap'));
  assert.equal(pkts.length, want.length);
  assert.ok(want.length >= 3);
  pkts.forEach((p, i) => {
    const r = decrypt(p.esp, EncrId.ENCR_AES_CBC, 256, key);
    assert.equal(r.spi, 0xd1234567);
    assert.equal(r.seq, want[i]?.seq);
    assert.equal(r.nh, NextHeader.IPV4);
    assertPing(r.inner, want[i]?.icmpSeq ?? -1);
  });
});

test('02-sunrise-sunset-esp.pcap: 3DES-CBC ESP decrypts to the pings tcpdump prints', () => {
  const key = fromHex('4043434545464649494a4a4c4c4f4f515152525454575758');
  const want = expectedPings(readFileSync(`${dir}/esp1.out`, 'utf8'));
  const pkts = espPackets(load('02-sunrise-sunset-esp.pcap'));
  assert.equal(pkts.length, want.length);
  pkts.forEach((p, i) => {
    const r = decrypt(p.esp, EncrId.ENCR_3DES, 192, key);
    assert.equal(r.seq, want[i]?.seq);
    assertPing(r.inner, want[i]?.icmpSeq ?? -1);
  });
  // the wrong key yields a broken trailer or inner packet, never a false success
  const wrong = secrets().get('12345678');
  assert.ok(wrong !== undefined);
  const first = pkts[0];
  assert.ok(first !== undefined);
  assert.throws(() => {
    const r = decrypt(first.esp, EncrId.ENCR_3DES, 192, wrong);
    if (parseFlow(r.inner) === undefined) throw new WireError('X', 'garbage');
  });
});

test('08-sunrise-sunset-esp2.pcap: ESP inside ESP, two 3DES SAs, both layers decrypt', () => {
  const s = secrets();
  const outerKey = s.get('12345678');
  const innerKey = s.get('abcdabcd');
  assert.ok(outerKey !== undefined && innerKey !== undefined);
  const want = expectedPings(readFileSync(`${dir}/esp2.out`, 'utf8').replace(/ESP\(spi=0x12345678,seq=0x\d+\), length 172: /g, ''));
  const pkts = espPackets(load('08-sunrise-sunset-esp2.pcap'));
  assert.equal(pkts.length, want.length);
  assert.equal(pkts.length, 8);
  pkts.forEach((p, i) => {
    const outer = decrypt(p.esp, EncrId.ENCR_3DES, 192, outerKey);
    assert.equal(outer.nh, NextHeader.IPV4);
    const f = parseFlow(outer.inner);
    assert.equal(f?.proto, 50, 'tunnelled packet is ESP again');
    const inner = decrypt(outer.inner.subarray(20), EncrId.ENCR_3DES, 192, innerKey);
    assert.equal(inner.spi, 0xabcdabcd);
    assert.equal(inner.seq, want[i]?.seq);
    assertPing(inner.inner, want[i]?.icmpSeq ?? -1);
  });
});

test('espudp1.pcap: RFC 3948 framing — demux sees ESP, the header decodes as tcpdump prints', () => {
  const pkts = espPackets(load('espudp1.pcap'));
  const lines = readFileSync(`${dir}/espudp1.out`, 'utf8').trim().split('\n');
  assert.equal(pkts.length, lines.length);
  pkts.forEach((p, i) => {
    assert.equal(p.udpEncap, true);
    const d = demuxNatTPort(p.esp);
    assert.equal(d.kind, 'esp');
    const parts = splitEsp(p.esp, 8, ICV, 8);
    assert.equal(parts.spi, 0x12345678);
    assert.equal(parts.seq, i + 1);
    assert.match(lines[i] ?? '', new RegExp(`seq=0x${i + 1}\\), length ${p.esp.length}`));
  });
});

test('malformed esp_truncated.pcap: rejected with a WireError, never a crash', () => {
  // tcpdump's fuzzer-found packet (UDP-encap to a port other than 4500): every framing must refuse it
  const pkts = udpDatagrams(load('esp_truncated.pcap'));
  assert.equal(pkts.length, 1);
  for (const p of pkts) {
    for (const [iv, icv, block] of [[16, 16, 16], [8, 16, 1], [8, 12, 8], [0, 12, 1]] as const) {
      try {
        splitEsp(p.payload, iv, icv, block);
        assert.fail('must not decode');
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }
  }
});
