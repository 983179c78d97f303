/**
 * Debug key log (LAB.md §7): writes every IKE SA's and CHILD SA's keys in the
 * two Wireshark/tshark UAT formats, so an independent dissector can decrypt
 * and integrity-check every byte we send. OFF by default; the files are
 * created 0600 and hold live secrets, so use this only in a lab.
 *
 * Two files, because each UAT table is its own file:
 *   <path>          ikev2_decryption_table lines (IKE SAs)
 *   <path>.esp_sa   esp_sa lines (CHILD SAs)
 *
 * Using them with tshark:
 *   - copy them into the personal configuration directory, where tshark loads
 *     UAT tables by name:
 *       cp keys.log        ~/.config/wireshark/ikev2_decryption_table
 *       cp keys.log.esp_sa ~/.config/wireshark/esp_sa
 *       tshark -r cap.pcap -d udp.port==4500,isakmp -o esp.enable_encryption_decode:TRUE -V
 *   - or pass single lines on the command line:
 *       tshark -r cap.pcap -o "uat:ikev2_decryption_table:<one line>" \
 *              -o esp.enable_encryption_decode:TRUE -o "uat:esp_sa:<one line>"
 *
 * Line formats (tshark 4.0, packet-isakmp.c / packet-esp.c UAT definitions):
 *   SPIi,SPIr,SK_ei,SK_er,"<encr>",SK_ai,SK_ar,"<integ>"      (hex unquoted)
 *   "IPv4|IPv6","src","dst","0xSPI","<encr>","0xKEY","<auth>","0xKEY"
 * Encryption keys include the salt/nonce (RFC 5282 §7.1, RFC 4106 §8.1,
 * RFC 3686 §5.1, RFC 5930 §2), which is what tshark expects.
 * Algorithms tshark 4.0.17 cannot decrypt (ChaCha20-Poly1305 for IKE and
 * ESP; it has no AES-XCBC/CMAC checker) are written as a '#' comment line
 * (UAT files allow comments) or, for integrity only, as the "ANY n-bits
 * [No Checking]" entry so decryption still works.
 */
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { EncrId, IntegId } from '../iana/ikev2.js';
import type { ChildKeyLogEntry, IkeKeyLogEntry, KeyLog } from '../ike/ports.js';

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

const AES_BITS = new Set([128, 192, 256]);
const GCM_ICV: ReadonlyMap<number, number> = new Map([
  [EncrId.ENCR_AES_GCM_8, 8],
  [EncrId.ENCR_AES_GCM_12, 12],
  [EncrId.ENCR_AES_GCM_16, 16],
]);
const CCM_ICV: ReadonlyMap<number, number> = new Map([
  [EncrId.ENCR_AES_CCM_8, 8],
  [EncrId.ENCR_AES_CCM_12, 12],
  [EncrId.ENCR_AES_CCM_16, 16],
]);

/** tshark's ikev2_decryption_table encryption name, or undefined if unsupported. */
export function tsharkIkeEncrName(encrId: number, keyBits: number): string | undefined {
  if (encrId === EncrId.ENCR_3DES) return '3DES [RFC2451]';
  if (encrId === EncrId.ENCR_NULL) return 'NULL [RFC2410]';
  if (!AES_BITS.has(keyBits)) return undefined;
  if (encrId === EncrId.ENCR_AES_CBC) return `AES-CBC-${keyBits} [RFC3602]`;
  if (encrId === EncrId.ENCR_AES_CTR) return `AES-CTR-${keyBits} [RFC5930]`;
  const gcm = GCM_ICV.get(encrId);
  if (gcm !== undefined) return `AES-GCM-${keyBits} with ${gcm} octet ICV [RFC5282]`;
  const ccm = CCM_ICV.get(encrId);
  if (ccm !== undefined) return `AES-CCM-${keyBits} with ${ccm} octet ICV [RFC5282]`;
  // ENCR_CHACHA20_POLY1305: absent from tshark 4.0's IKEv2 table.
  return undefined;
}

/** tshark's ikev2_decryption_table integrity name, or undefined if unsupported. */
export function tsharkIkeIntegName(integId: number): string | undefined {
  switch (integId) {
    case IntegId.NONE:
      return 'NONE [RFC4306]';
    case IntegId.AUTH_HMAC_MD5_96:
      return 'HMAC_MD5_96 [RFC2403]';
    case IntegId.AUTH_HMAC_SHA1_96:
      return 'HMAC_SHA1_96 [RFC2404]';
    case IntegId.AUTH_HMAC_SHA2_256_128:
      return 'HMAC_SHA2_256_128 [RFC4868]';
    case IntegId.AUTH_HMAC_SHA2_384_192:
      return 'HMAC_SHA2_384_192 [RFC4868]';
    case IntegId.AUTH_HMAC_SHA2_512_256:
      return 'HMAC_SHA2_512_256 [RFC4868]';
    case IntegId.AUTH_AES_XCBC_96:
    case IntegId.AUTH_AES_CMAC_96:
      // No AES-XCBC-MAC-96 [RFC3566] / AES-CMAC-96 [RFC4494] entry in tshark 4.0:
      // decrypt anyway and skip the ICV check.
      return 'ANY 96-bits of Authentication [No Checking]';
    default:
      return undefined;
  }
}

/** tshark's esp_sa encryption name, or undefined if unsupported. */
export function tsharkEspEncrName(encrId: number): string | undefined {
  switch (encrId) {
    case EncrId.ENCR_NULL:
      return 'NULL';
    case EncrId.ENCR_3DES:
      return 'TripleDES-CBC [RFC2451]';
    case EncrId.ENCR_DES:
      return 'DES-CBC [RFC2405]';
    case EncrId.ENCR_AES_CBC:
      return 'AES-CBC [RFC3602]';
    case EncrId.ENCR_AES_CTR:
      return 'AES-CTR [RFC3686]';
    default: {
      const icv = GCM_ICV.get(encrId);
      return icv === undefined ? undefined : `AES-GCM with ${icv} octet ICV [RFC4106]`;
    }
  }
}

/** tshark's esp_sa authentication name, or undefined if unsupported. */
export function tsharkEspAuthName(integId: number): string | undefined {
  switch (integId) {
    case IntegId.NONE:
      return 'NULL';
    case IntegId.AUTH_HMAC_MD5_96:
      return 'HMAC-MD5-96 [RFC2403]';
    case IntegId.AUTH_HMAC_SHA1_96:
      return 'HMAC-SHA-1-96 [RFC2404]';
    case IntegId.AUTH_HMAC_SHA2_256_128:
      return 'HMAC-SHA-256-128 [RFC4868]';
    case IntegId.AUTH_HMAC_SHA2_384_192:
      return 'HMAC-SHA-384-192 [RFC4868]';
    case IntegId.AUTH_HMAC_SHA2_512_256:
      return 'HMAC-SHA-512-256 [RFC4868]';
    case IntegId.AUTH_AES_XCBC_96:
    case IntegId.AUTH_AES_CMAC_96:
      return 'ANY 96 bit authentication [no checking]';
    default:
      return undefined;
  }
}

/** One ikev2_decryption_table line (no newline), or a '#' comment if tshark cannot use it. */
export function formatIkeKeyLine(e: IkeKeyLogEntry): string {
  const encr = tsharkIkeEncrName(e.encrId, e.encrKeyBits);
  const integ = tsharkIkeIntegName(e.integId);
  if (encr === undefined || integ === undefined) {
    return `# IKE SA ${hex(e.spiI)}_i ${hex(e.spiR)}_r: encr ${e.encrId}/${e.encrKeyBits} integ ${e.integId} not supported by tshark`;
  }
  // tshark checks SK_a* lengths against the algorithm; the "[No Checking]" entries take none.
  const noCheck = integ.startsWith('ANY ');
  const ai = noCheck ? '' : hex(e.skAi);
  const ar = noCheck ? '' : hex(e.skAr);
  return [hex(e.spiI), hex(e.spiR), hex(e.skEi), hex(e.skEr), `"${encr}"`, ai, ar, `"${integ}"`].join(',');
}

/** One esp_sa line (no newline), or a '#' comment if tshark cannot use it. */
export function formatEspKeyLine(e: ChildKeyLogEntry): string {
  const spi = `0x${(e.spi >>> 0).toString(16).padStart(8, '0')}`;
  const encr = tsharkEspEncrName(e.encrId);
  const auth = tsharkEspAuthName(e.integId);
  if (encr === undefined || auth === undefined) {
    return `# ESP SA ${spi} ${e.src} -> ${e.dst}: encr ${e.encrId}/${e.encrKeyBits} integ ${e.integId} not supported by tshark`;
  }
  const family = isIPv6(e.src) ? 'IPv6' : 'IPv4';
  const encrKey = e.encrKey.length > 0 ? `0x${hex(e.encrKey)}` : '';
  const authKey = e.integKey.length > 0 && auth.startsWith('HMAC') ? `0x${hex(e.integKey)}` : '';
  return [family, e.src, e.dst, spi, encr, encrKey, auth, authKey].map((f) => `"${f}"`).join(',');
}

export interface FileKeyLogPaths {
  readonly ikePath: string;
  readonly espPath: string;
}

/** The two file names used for a configured key log path. */
export function keyLogPaths(base: string): FileKeyLogPaths {
  return { ikePath: base, espPath: `${base}.esp_sa` };
}

/**
 * Appends key lines synchronously, so lines are on disk before the first
 * packet that uses the keys is sent (a capture started now can be decrypted).
 */
export class FileKeyLog implements KeyLog {
  #ikeFd: number | undefined;
  #espFd: number | undefined;

  constructor(paths: FileKeyLogPaths) {
    this.#ikeFd = openPrivate(paths.ikePath);
    try {
      this.#espFd = openPrivate(paths.espPath);
    } catch (e) {
      closeSync(this.#ikeFd);
      throw e;
    }
  }

  /** Failed writes (disk full, ...): counted, never thrown into the engine. */
  writeErrors = 0;

  ikeSaKeys(entry: IkeKeyLogEntry): void {
    this.#append(this.#ikeFd, formatIkeKeyLine(entry));
  }

  childSaKeys(entry: ChildKeyLogEntry): void {
    this.#append(this.#espFd, formatEspKeyLine(entry));
  }

  #append(fd: number | undefined, line: string): void {
    if (fd === undefined) return;
    try {
      writeSync(fd, `${line}\n`);
    } catch {
      this.writeErrors++;
    }
  }

  close(): void {
    for (const fd of [this.#ikeFd, this.#espFd]) if (fd !== undefined) closeSync(fd);
    this.#ikeFd = undefined;
    this.#espFd = undefined;
  }
}

/** Opens for append with mode 0600, and tightens a pre-existing file to 0600 too. */
function openPrivate(path: string): number {
  const fd = openSync(path, 'a', 0o600);
  fchmodSync(fd, 0o600);
  return fd;
}
