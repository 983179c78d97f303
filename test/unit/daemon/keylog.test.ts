/**
 * Key log line formats. The algorithm names are tshark's UAT strings, checked
 * against Wireshark 4.0.17 (Debian 12 package): epan/dissectors/packet-isakmp.c
 * vs_ikev2_encr_algs / vs_ikev2_auth_algs and packet-esp.c
 * esp_encryption_type_vals / esp_authentication_type_vals. When tshark is
 * installed, the generated lines are also fed to it, which rejects unknown names.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileKeyLog,
  formatEspKeyLine,
  formatIkeKeyLine,
  keyLogPaths,
  tsharkIkeEncrName,
} from '../../../src/daemon/keylog.js';
import { EncrId, IntegId } from '../../../src/iana/ikev2.js';
import type { ChildKeyLogEntry, IkeKeyLogEntry } from '../../../src/ike/ports.js';

const bytes = (n: number, start: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

const IKE_CBC: IkeKeyLogEntry = {
  spiI: bytes(8, 0x01),
  spiR: bytes(8, 0x11),
  skEi: bytes(32, 0x20),
  skEr: bytes(32, 0x40),
  skAi: bytes(32, 0x60),
  skAr: bytes(32, 0x80),
  encrId: EncrId.ENCR_AES_CBC,
  encrKeyBits: 256,
  integId: IntegId.AUTH_HMAC_SHA2_256_128,
};
const IKE_GCM: IkeKeyLogEntry = {
  ...IKE_CBC,
  skEi: bytes(20, 0xa0),
  skEr: bytes(20, 0xb0),
  skAi: new Uint8Array(0),
  skAr: new Uint8Array(0),
  encrId: EncrId.ENCR_AES_GCM_16,
  encrKeyBits: 128,
  integId: IntegId.NONE,
};
const ESP_GCM: ChildKeyLogEntry = {
  spi: 0xc1234567,
  src: '192.0.2.1',
  dst: '198.51.100.2',
  encrId: EncrId.ENCR_AES_GCM_16,
  encrKeyBits: 128,
  encrKey: bytes(20, 0x00),
  integId: IntegId.NONE,
  integKey: new Uint8Array(0),
};
const ESP_CBC6: ChildKeyLogEntry = {
  spi: 0x00000abc,
  src: '2001:db8::1',
  dst: '2001:db8::2',
  encrId: EncrId.ENCR_AES_CBC,
  encrKeyBits: 128,
  encrKey: bytes(16, 0x10),
  integId: IntegId.AUTH_HMAC_SHA1_96,
  integKey: bytes(20, 0x30),
};

describe('key log formats', () => {
  test('IKE SA line: hex unquoted, algorithm names quoted (LAB.md §7)', () => {
    assert.equal(
      formatIkeKeyLine(IKE_CBC),
      '0102030405060708,1112131415161718,' +
        '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f,' +
        '404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f,' +
        '"AES-CBC-256 [RFC3602]",' +
        '606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f,' +
        '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f,' +
        '"HMAC_SHA2_256_128 [RFC4868]"',
    );
    assert.match(formatIkeKeyLine(IKE_GCM), /,"AES-GCM-128 with 16 octet ICV \[RFC5282\]",,,"NONE \[RFC4306\]"$/);
  });

  test('IKE algorithm names', () => {
    assert.equal(tsharkIkeEncrName(EncrId.ENCR_AES_CTR, 192), 'AES-CTR-192 [RFC5930]');
    assert.equal(tsharkIkeEncrName(EncrId.ENCR_AES_GCM_8, 256), 'AES-GCM-256 with 8 octet ICV [RFC5282]');
    assert.equal(tsharkIkeEncrName(EncrId.ENCR_3DES, 192), '3DES [RFC2451]');
    assert.equal(tsharkIkeEncrName(EncrId.ENCR_AES_CBC, 100), undefined);
    assert.equal(tsharkIkeEncrName(EncrId.ENCR_CHACHA20_POLY1305, 256), undefined);
  });

  test('unsupported algorithms become comment lines without key material', () => {
    const line = formatIkeKeyLine({ ...IKE_GCM, encrId: EncrId.ENCR_CHACHA20_POLY1305, encrKeyBits: 256 });
    assert.match(line, /^# IKE SA 0102030405060708_i 1112131415161718_r: encr 28\/256/);
    assert.ok(!line.includes('a0a1a2'));
    const esp = formatEspKeyLine({ ...ESP_GCM, encrId: EncrId.ENCR_CHACHA20_POLY1305 });
    assert.match(esp, /^# ESP SA 0xc1234567 /);
  });

  test('CHILD SA esp_sa line', () => {
    assert.equal(
      formatEspKeyLine(ESP_GCM),
      '"IPv4","192.0.2.1","198.51.100.2","0xc1234567","AES-GCM with 16 octet ICV [RFC4106]",' +
        '"0x000102030405060708090a0b0c0d0e0f10111213","NULL",""',
    );
    assert.equal(
      formatEspKeyLine(ESP_CBC6),
      '"IPv6","2001:db8::1","2001:db8::2","0x00000abc","AES-CBC [RFC3602]","0x101112131415161718191a1b1c1d1e1f",' +
        '"HMAC-SHA-1-96 [RFC2404]","0x303132333435363738393a3b3c3d3e3f40414243"',
    );
  });

  test('FileKeyLog appends to two 0600 files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-keylog-'));
    try {
      const paths = keyLogPaths(join(dir, 'keys'));
      writeFileSync(paths.ikePath, '# existing\n', { mode: 0o644 });
      const kl = new FileKeyLog(paths);
      kl.ikeSaKeys(IKE_CBC);
      kl.ikeSaKeys(IKE_GCM);
      kl.childSaKeys(ESP_GCM);
      kl.close();
      assert.equal(statSync(paths.ikePath).mode & 0o777, 0o600);
      assert.equal(statSync(paths.espPath).mode & 0o777, 0o600);
      const ike = readFileSync(paths.ikePath, 'utf8').split('\n');
      assert.equal(ike[0], '# existing');
      assert.equal(ike[1], formatIkeKeyLine(IKE_CBC));
      assert.equal(ike[2], formatIkeKeyLine(IKE_GCM));
      assert.equal(readFileSync(paths.espPath, 'utf8'), `${formatEspKeyLine(ESP_GCM)}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tshark accepts every generated line', (t) => {
    if (!existsSync('/usr/bin/tshark')) {
      t.skip('tshark not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'kw-tshark-'));
    try {
      // an empty classic pcap (global header only, LINKTYPE_ETHERNET)
      const pcap = join(dir, 'empty.pcap');
      writeFileSync(pcap, Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
      const ikeEntries: IkeKeyLogEntry[] = [
        IKE_CBC,
        IKE_GCM,
        { ...IKE_CBC, encrId: EncrId.ENCR_AES_CTR, encrKeyBits: 128, skEi: bytes(20, 1), skEr: bytes(20, 2), integId: IntegId.AUTH_HMAC_SHA2_512_256, skAi: bytes(64, 3), skAr: bytes(64, 4) },
        { ...IKE_CBC, encrId: EncrId.ENCR_3DES, encrKeyBits: 192, skEi: bytes(24, 1), skEr: bytes(24, 2), integId: IntegId.AUTH_HMAC_SHA1_96, skAi: bytes(20, 3), skAr: bytes(20, 4) },
        { ...IKE_CBC, integId: IntegId.AUTH_AES_XCBC_96 },
      ];
      const espEntries: ChildKeyLogEntry[] = [
        ESP_GCM,
        ESP_CBC6,
        { ...ESP_CBC6, integId: IntegId.AUTH_HMAC_SHA2_384_192, integKey: bytes(48, 5) },
        { ...ESP_GCM, encrId: EncrId.ENCR_AES_CTR, encrKeyBits: 128, integId: IntegId.AUTH_AES_CMAC_96, integKey: bytes(16, 1) },
      ];
      const args = ['-r', pcap, '-o', 'esp.enable_encryption_decode:TRUE'];
      for (const e of ikeEntries) args.push('-o', `uat:ikev2_decryption_table:${formatIkeKeyLine(e)}`);
      for (const e of espEntries) args.push('-o', `uat:esp_sa:${formatEspKeyLine(e)}`);
      const r = spawnSync('/usr/bin/tshark', args, { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      // and tshark does reject a name it does not know, so the check above means something
      const bad = spawnSync('/usr/bin/tshark', ['-r', pcap, '-o', `uat:esp_sa:${formatEspKeyLine(ESP_GCM).replace('AES-GCM', 'AES-GXM')}`], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.notEqual(bad.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
