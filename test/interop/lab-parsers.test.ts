/**
 * The lab's own parsers, on fixed text (no root, no peers needed):
 * `swanctl --list-sas --raw` output as captured from strongSwan 5.9.8 in the
 * lab, and charon's ike=4 key dumps.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ikeSasFromRaw, parseViciRaw } from './lab/vici-raw.js';
import { keysFromCharonLog, tsharkEncrName, tsharkIntegName, uatLine } from './lab/ike-keys.js';

// captured from `swanctl --list-sas --raw` on the lab's west charon
const RAW =
  'list-sa event {t {uniqueid=1 version=2 state=ESTABLISHED local-host=192.0.2.1 local-port=4500 local-id=west ' +
  'remote-host=192.0.2.2 remote-port=4500 remote-id=east initiator=yes initiator-spi=07b5f65b32ed3e71 ' +
  'responder-spi=4b64356bdee234b1 nat-remote=yes nat-any=yes encr-alg=AES_GCM_16 encr-keysize=128 ' +
  'prf-alg=PRF_HMAC_SHA2_256 dh-group=CURVE_25519 established=16 rekey-time=13563 child-sas {c-3 {name=c ' +
  'uniqueid=3 reqid=1 state=INSTALLED mode=TUNNEL protocol=ESP encap=yes spi-in=8ee31bee spi-out=4e2ebb13 ' +
  'encr-alg=AES_GCM_16 encr-keysize=128 bytes-in=0 packets-in=0 bytes-out=0 packets-out=0 rekey-time=3328 ' +
  'life-time=3960 install-time=0 local-ts=[10.1.0.0/24] remote-ts=[10.2.0.0/24]}}}}\nlist-sas reply {}\n';

describe('swanctl --raw parser', () => {
  test('parses an IKE SA with its CHILD SA', () => {
    const [sa, more] = ikeSasFromRaw(RAW);
    assert.equal(more, undefined);
    assert.ok(sa !== undefined);
    assert.equal(sa.name, 't');
    assert.equal(sa.state, 'ESTABLISHED');
    assert.equal(sa.initiator, true);
    assert.equal(sa.spiI, '07b5f65b32ed3e71');
    assert.equal(sa.spiR, '4b64356bdee234b1');
    assert.equal(sa.encrAlg, 'AES_GCM_16');
    assert.equal(sa.integAlg, undefined);
    assert.equal(sa.dhGroup, 'CURVE_25519');
    const [c] = sa.children;
    assert.ok(c !== undefined);
    assert.equal(c.name, 'c');
    assert.equal(c.state, 'INSTALLED');
    assert.equal(c.spiIn, '8ee31bee');
    assert.equal(c.spiOut, '4e2ebb13');
    assert.deepEqual(c.localTs, ['10.1.0.0/24']);
    assert.deepEqual(c.remoteTs, ['10.2.0.0/24']);
  });

  test('empty list and message names', () => {
    assert.deepEqual(ikeSasFromRaw('list-sas reply {}\n'), []);
    assert.deepEqual(parseViciRaw('list-sas reply {}').map((m) => m.name), ['list-sas reply']);
  });

  test('rejects truncated input instead of looping', () => {
    assert.throws(() => parseViciRaw('list-sa event {t {uniqueid=1'), /unterminated/);
    assert.throws(() => parseViciRaw('list-sa event {t {k=[a b'), /unterminated list/);
  });
});

describe('charon ike=4 key dump parser', () => {
  // format of charon 5.9.8's chunk dumps (filelog, ike_name = yes); values are made up
  const LOG = [
    '19:09:19 04[IKE] <gw|1> Sk_d secret => 32 bytes @ 0x7fadb400d350',
    '19:09:19 04[IKE] <gw|1>    0: 17 62 60 CF 09 88 EF C8 5E 71 B8 5B CA BB 7A 3F  .b`.....^q.[..z?',
    '19:09:19 04[IKE] <gw|1>   16: EC 04 49 13 94 97 C1 55 98 4F 89 72 CB 94 BC 04  ..I....U.O.r....',
    '19:09:19 04[IKE] <gw|1> Sk_ei secret => 20 bytes @ 0x7fadb4002610',
    '19:09:19 04[IKE] <gw|1>    0: EA 06 F2 6F 1F 5F 35 9E EB B3 33 A5 48 5A 5E 50  ...o._5...3.HZ^P',
    '19:09:19 04[IKE] <gw|1>   16: 01 02 03 04                                      ....',
    '19:09:19 04[IKE] <gw|1> Sk_er secret => 20 bytes @ 0x7fadb4002620',
    '19:09:19 04[IKE] <gw|1>    0: 62 A2 7A 60 DC 70 86 7D 30 A1 90 9B 3A 9A 96 BC  b.z`.p.}0...:...',
    '19:09:19 04[IKE] <gw|1>   16: 05 06 07 08                                      ....',
  ].join('\n');

  test('extracts SK_ei/SK_er of an AEAD suite (no SK_a)', () => {
    const [k, more] = keysFromCharonLog(LOG);
    assert.equal(more, undefined);
    assert.deepEqual(k, {
      skEi: 'ea06f26f1f5f359eebb333a5485a5e5001020304',
      skEr: '62a27a60dc70867d30a1909b3a9a96bc05060708',
      skAi: '',
      skAr: '',
    });
  });

  test('tshark UAT line uses tshark 4.0 algorithm names', () => {
    const encr = tsharkEncrName('AES_GCM_16', 128);
    const integ = tsharkIntegName(undefined);
    assert.equal(encr, 'AES-GCM-128 with 16 octet ICV [RFC5282]');
    assert.equal(tsharkEncrName('AES_CBC', 256), 'AES-CBC-256 [RFC3602]');
    assert.equal(tsharkIntegName('HMAC_SHA2_256_128'), 'HMAC_SHA2_256_128 [RFC4868]');
    assert.equal(tsharkEncrName('CHACHA20_POLY1305', 256), undefined);
    assert.equal(
      uatLine('00', '11', { skEi: 'aa', skEr: 'bb', skAi: '', skAr: '' }, encr ?? '', integ ?? ''),
      '00,11,aa,bb,"AES-GCM-128 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"',
    );
  });
});
