import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addNonEspMarker, demuxIkePort, demuxNatTPort } from '../../../src/transport/demux.js';

const ike = new Uint8Array(28).fill(0x11);

describe('RFC 3948 demultiplexing', () => {
  test('non-ESP marker is stripped on the NAT-T port', () => {
    const r = demuxNatTPort(addNonEspMarker(ike));
    assert.equal(r.kind, 'ike');
    assert.deepEqual(r.kind === 'ike' ? r.bytes : undefined, ike);
  });
  test('a single 0xFF octet is a NAT-keepalive', () => {
    assert.deepEqual(demuxNatTPort(Uint8Array.of(0xff)), { kind: 'keepalive' });
    // but 0xFF followed by more bytes is ESP-looking, not a keepalive
    assert.equal(demuxNatTPort(Uint8Array.of(0xff, 1, 2, 3, 4, 5, 6, 7)).kind, 'esp');
  });
  test('a non-zero SPI means ESP', () => {
    const esp = Uint8Array.of(0xc1, 0x23, 0x45, 0x67, 0, 0, 0, 1, 9, 9);
    const r = demuxNatTPort(esp);
    assert.equal(r.kind, 'esp');
  });
  test('too-short datagrams are classified as short', () => {
    assert.equal(demuxNatTPort(new Uint8Array(0)).kind, 'short');
    assert.equal(demuxNatTPort(Uint8Array.of(0, 0)).kind, 'short');
    assert.equal(demuxNatTPort(new Uint8Array(4 + 27)).kind, 'short');
    assert.equal(demuxNatTPort(Uint8Array.of(1, 2, 3, 4, 5)).kind, 'short');
    assert.equal(demuxIkePort(new Uint8Array(27)).kind, 'short');
  });
  test('on the IKE port everything is IKE, even leading zeros', () => {
    const z = new Uint8Array(40);
    const r = demuxIkePort(z);
    assert.equal(r.kind, 'ike');
    assert.equal(r.kind === 'ike' ? r.bytes.length : 0, 40);
  });
  test('addNonEspMarker prepends four zero octets', () => {
    const m = addNonEspMarker(Uint8Array.of(1, 2));
    assert.deepEqual(m, Uint8Array.of(0, 0, 0, 0, 1, 2));
  });
});
