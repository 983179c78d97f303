/**
 * IKE SA keys for tshark's ikev2_decryption_table, from either side:
 *  - strongSwan: Debian's build has no key-export plugin, but at `ike = 4`
 *    charon dumps SK_ei/SK_er/SK_ai/SK_ar (RFC 7296 §2.14) as hex chunks:
 *        <gw|1> Sk_ai secret => 32 bytes @ 0x...
 *        <gw|1>    0: E3 37 09 D5 ...  .7.."n.o
 *  - Keyway: its `keylog` file already holds finished UAT lines.
 * For AEAD suites SK_e includes the salt (RFC 5282 §7.1: 4 octets for GCM).
 */

export interface IkeKeys {
  readonly skEi: string;
  readonly skEr: string;
  /** empty for AEAD */
  readonly skAi: string;
  readonly skAr: string;
}

/** Read one named secret dump (e.g. "Sk_ei") from the Nth IKE SA in a charon log. */
function dump(lines: readonly string[], start: number, label: string): { hex: string; next: number } | undefined {
  const head = new RegExp(`\\b${label} secret => (\\d+) bytes`);
  for (let i = start; i < lines.length; i += 1) {
    const m = head.exec(lines[i] ?? '');
    if (m === null) continue;
    const want = Number(m[1]);
    let hex = '';
    for (let j = i + 1; j < lines.length && hex.length < want * 2; j += 1) {
      // "   16: EC 04 49 ...  ascii" — hex bytes sit between the offset and two spaces
      const row = /\]\s(?:<[^>]*>\s)?\s*\d+: ((?:[0-9A-F]{2} ){1,16})/.exec(lines[j] ?? '');
      if (row === null || row[1] === undefined) break;
      hex += row[1].replace(/ /g, '').toLowerCase();
    }
    if (hex.length !== want * 2) return undefined;
    return { hex, next: i + 1 };
  }
  return undefined;
}

/**
 * All IKE SA key sets dumped in a charon log at ike=4, in order. (Charon
 * dumps Sk_d, Sk_ai, Sk_ar, Sk_ei, Sk_er, Sk_pi, Sk_pr per derivation; AEAD
 * suites have no Sk_ai/Sk_ar.)
 */
export function keysFromCharonLog(log: string): IkeKeys[] {
  const lines = log.split('\n');
  const out: IkeKeys[] = [];
  let pos = 0;
  for (;;) {
    const d = dump(lines, pos, 'Sk_d');
    if (d === undefined) return out;
    // the next Sk_d bounds this derivation
    const nextD = dump(lines, d.next, 'Sk_d');
    const end = nextD === undefined ? lines.length : nextD.next - 1;
    const slice = lines.slice(0, end);
    const ei = dump(slice, d.next, 'Sk_ei');
    const er = dump(slice, d.next, 'Sk_er');
    const ai = dump(slice, d.next, 'Sk_ai');
    const ar = dump(slice, d.next, 'Sk_ar');
    if (ei !== undefined && er !== undefined) {
      out.push({ skEi: ei.hex, skEr: er.hex, skAi: ai?.hex ?? '', skAr: ar?.hex ?? '' });
    }
    pos = d.next;
  }
}

/** tshark's IKEv2 encryption algorithm name for a strongSwan/Keyway name + key size. */
export function tsharkEncrName(alg: string, keyBits: number): string | undefined {
  switch (alg) {
    case 'AES_CBC':
      return `AES-CBC-${keyBits} [RFC3602]`;
    case 'AES_CTR':
      return `AES-CTR-${keyBits} [RFC5930]`;
    case 'AES_GCM_8':
    case 'AES_GCM_12':
    case 'AES_GCM_16':
      return `AES-GCM-${keyBits} with ${alg.slice(8)} octet ICV [RFC5282]`;
    case 'AES_CCM_8':
    case 'AES_CCM_12':
    case 'AES_CCM_16':
      return `AES-CCM-${keyBits} with ${alg.slice(8)} octet ICV [RFC5282]`;
    case '3DES':
      return '3DES [RFC2451]';
    default:
      return undefined; // e.g. CHACHA20_POLY1305: not supported by tshark 4.0
  }
}

/** tshark's IKEv2 integrity algorithm name; AEAD (undefined) maps to NONE. */
export function tsharkIntegName(alg: string | undefined): string | undefined {
  switch (alg) {
    case undefined:
    case '':
      return 'NONE [RFC4306]';
    case 'HMAC_MD5_96':
      return 'HMAC_MD5_96 [RFC2403]';
    case 'HMAC_SHA1_96':
      return 'HMAC_SHA1_96 [RFC2404]';
    case 'HMAC_SHA2_256_128':
      return 'HMAC_SHA2_256_128 [RFC4868]';
    case 'HMAC_SHA2_384_192':
      return 'HMAC_SHA2_384_192 [RFC4868]';
    case 'HMAC_SHA2_512_256':
      return 'HMAC_SHA2_512_256 [RFC4868]';
    default:
      return undefined; // e.g. AES_XCBC_96: not supported by tshark 4.0
  }
}

/** One ikev2_decryption_table line: hex unquoted, names quoted. */
export function uatLine(spiI: string, spiR: string, k: IkeKeys, encr: string, integ: string): string {
  return `${spiI},${spiR},${k.skEi},${k.skEr},"${encr}",${k.skAi},${k.skAr},"${integ}"`;
}
