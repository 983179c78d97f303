/**
 * Keys in the config, through the KeyReader port (no file or crypto access
 * here): `pubkeys` and Keyway's `private_key` in auth rounds, swanctl.conf(5)
 * private key secrets (`rsa`, `ecdsa`, `pkcs8`, `private<suffix> { file secret }`),
 * and which private key a local `auth = pubkey` round signs with.
 *
 * As strongSwan does with raw keys, a local round names its own PUBLIC key
 * (`pubkeys = ours.pub.pem`) and signs with the loaded private key whose
 * public key is the same (SubjectPublicKeyInfo DER compared byte for byte).
 * Key bytes and passphrases never appear in messages.
 */
import type { AstKeyValue, AstSection } from './parser.js';
import type { KeyFile, PrivateKeySecret } from './model.js';
import { splitList } from './values.js';
import { addError, addWarning, findKv, readSection, show, valuePos } from './validate-common.js';
import type { Ctx, Field, KeyReadFailure, PrivateKeyData } from './validate-common.js';

/** The four swanctl private key secret types Keyway loads (pkcs12: not yet). */
export type KeySecretKind = 'rsa' | 'ecdsa' | 'pkcs8' | 'private';

const keyError = (ctx: Ctx, kv: AstKeyValue, offset: number, kind: string, written: string, path: string, f: KeyReadFailure): void =>
  addError(ctx, kv.valueLine, valuePos(ctx, kv, offset).column, `cannot load the ${kind} key '${show(written)}' for '${path}': ${f.reason}`, f.hint);

/** One DER TLV inside [at, limit): tag and body bounds; lengths up to 3 octets (X.690 §8.1.3). */
function tlvAt(b: Uint8Array, at: number, limit: number): { tag: number; start: number; end: number } | undefined {
  const tag = b[at];
  const first = b[at + 1];
  if (tag === undefined || first === undefined || at + 2 > limit) return undefined;
  let start = at + 2;
  let len = first;
  if (first >= 0x80) {
    const n = first & 0x7f;
    if (n < 1 || n > 3 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[start + i] ?? 0);
    start += n;
  }
  return start + len > limit ? undefined : { tag, start, end: start + len };
}

/**
 * Bits of the modulus n of an RSA SubjectPublicKeyInfo (RFC 5280 §4.1.2.7,
 * RFC 8017 A.1.1), read here so the validator stays free of node:crypto:
 *   SEQUENCE { AlgorithmIdentifier, BIT STRING { 0x00, SEQUENCE { INTEGER n, INTEGER e } } }
 * Undefined for anything else (the reader vouches for the key; this only measures it).
 */
export function rsaModulusBits(spki: Uint8Array): number | undefined {
  const top = tlvAt(spki, 0, spki.length);
  if (top?.tag !== 0x30) return undefined;
  const alg = tlvAt(spki, top.start, top.end);
  const bits = alg?.tag === 0x30 ? tlvAt(spki, alg.end, top.end) : undefined;
  if (bits?.tag !== 0x03 || spki[bits.start] !== 0) return undefined;
  const key = tlvAt(spki, bits.start + 1, bits.end);
  const n = key?.tag === 0x30 ? tlvAt(spki, key.start, key.end) : undefined;
  if (n?.tag !== 0x02) return undefined;
  let i = n.start;
  while (i < n.end && spki[i] === 0) i++;
  const top8 = spki[i];
  if (top8 === undefined || i >= n.end) return undefined;
  return (n.end - i - 1) * 8 + (32 - Math.clz32(top8));
}

/**
 * NIST SP 800-131A Rev. 2 §3: RSA signatures need at least 2048 bits (shorter
 * ones are disallowed for signing, legacy use only for verifying). A warning,
 * not an error: old peers still have such keys, and strongSwan loads them.
 */
function warnShortRsa(ctx: Ctx, line: number, what: string, file: string, keyType: string, spki: Uint8Array): void {
  if (keyType !== 'rsa') return;
  const bits = rsaModulusBits(spki);
  if (bits === undefined || bits >= 2048) return;
  addWarning(ctx, line, `'${what}' is a ${bits}-bit RSA key (${show(file)}); NIST SP 800-131A allows RSA signatures from 2048 bits: replace it with a 3072-bit key`);
}

const TYPE_NAMES: Readonly<Record<string, string>> = { ec: 'an EC', ed25519: 'an Ed25519' };

/** How a round's `pubkeys` are used: `remote` = the peer's keys (verified), `ikeVersion` the connection's. */
export interface PubkeysUse {
  readonly remote: boolean;
  readonly ikeVersion: number | undefined;
}

/**
 * `pubkeys = a.pem, b.pem`: public keys (SPKI DER). The peer's keys of a
 * `version = 1` connection must be RSA: IKEv1 verifies RSA signatures only
 * (RFC 2409 §5.1, sig-v1.ts); the peer's short RSA keys warn. A local round's
 * keys only pick our private key, which is checked itself.
 */
export function pubkeysField(use: PubkeysUse): Field<KeyFile[]> {
  return (ctx, kv, path) => {
    const out: KeyFile[] = [];
    let failed = false;
    for (const { item, offset } of splitList(kv.value)) {
      if (item === '') {
        addError(ctx, kv.valueLine, kv.valueColumn, `empty file name in '${path}${kv.key}'`, 'give comma-separated public key files');
        return undefined;
      }
      const r = ctx.keys.readPublicKey(item);
      if (!r.ok) {
        keyError(ctx, kv, offset, 'public', item, `${path}${kv.key}`, r);
        failed = true;
      } else if (use.remote && use.ikeVersion === 1 && r.key.keyType !== 'rsa') {
        addError(
          ctx, kv.valueLine, valuePos(ctx, kv, offset).column,
          `'${path}${kv.key}' names ${TYPE_NAMES[r.key.keyType] ?? `a ${r.key.keyType}`} key ('${show(item)}'); connections with version = 1 verify RSA signatures only (IKEv1, RFC 2409 §5.1)`,
          'name the peer\'s RSA public key here, or set version = 2: IKEv2 also verifies ECDSA and Ed25519 signatures',
        );
        failed = true;
      } else {
        if (use.remote) warnShortRsa(ctx, kv.valueLine, `${path}${kv.key}`, r.key.file, r.key.keyType, r.key.der);
        out.push({ file: r.key.file, der: r.key.der });
      }
    }
    return failed ? undefined : out;
  };
}

/** Keyway's `private_key = file` shorthand (no passphrase: encrypted keys go through secrets). */
export const privateKeyField: Field<PrivateKeyData> = (ctx, kv, path) => {
  const r = ctx.keys.readPrivateKey(kv.value, undefined);
  if (r.ok) {
    warnShortRsa(ctx, kv.valueLine, `${path}${kv.key}`, r.key.file, r.key.keyType, r.key.publicDer);
    return r.key;
  }
  keyError(ctx, kv, 0, 'private', kv.value, `${path}${kv.key}`, r);
  return undefined;
};

/** What each secret type must hold (swanctl dirs: rsa = PKCS#1 RSA, ecdsa = plain EC; pkcs8/private: any). */
const KIND_TYPES: Readonly<Record<KeySecretKind, readonly string[] | undefined>> = {
  rsa: ['rsa'],
  ecdsa: ['ec'],
  pkcs8: undefined,
  private: undefined,
};

/** secrets.<kind><suffix> { file = path  secret = passphrase }. */
export function readKeySecret(ctx: Ctx, s: AstSection, kind: KeySecretKind): PrivateKeySecret | undefined {
  const path = `secrets.${s.name}.`;
  const fileField: Field<string> = (c, kv) => {
    if (kv.value !== '') return kv.value;
    addError(c, kv.valueLine, kv.valueColumn, `'${path}file' is empty`, 'give the path of the private key file');
    return undefined;
  };
  let passphrase: Uint8Array | undefined;
  const v = readSection(ctx, s.entries, { file: fileField }, {
    path,
    prefixed: (kv) => {
      if (kv.key !== 'secret') return false;
      // swanctl passes the passphrase as the literal string (no 0x/0s decoding); never shown
      if (kv.value === '') addError(ctx, kv.valueLine, kv.valueColumn, `'${path}secret' is empty`, 'remove it if the key is not encrypted');
      else passphrase = new TextEncoder().encode(kv.value);
      return true;
    },
  });
  const fileKv = findKv(s.entries, 'file');
  if (fileKv === undefined) {
    addError(ctx, s.line, s.column, `'${path}file' is missing`, `add file = <private key file> (relative paths start from the config file's folder)`);
    return undefined;
  }
  if (v.file === undefined) return undefined;
  const r = ctx.keys.readPrivateKey(v.file, passphrase);
  // the passphrase is not kept: the model holds the decrypted key (as DER) only
  passphrase?.fill(0);
  if (!r.ok) {
    keyError(ctx, fileKv, 0, 'private', v.file, `${path}file`, r);
    return undefined;
  }
  const allowed = KIND_TYPES[kind];
  if (allowed !== undefined && !allowed.includes(r.key.keyType)) {
    addError(ctx, fileKv.valueLine, fileKv.valueColumn, `'${path}file' holds a ${r.key.keyType} key, but a ${kind}<suffix> section takes ${allowed.join('/')} keys`, `rename the section to private-${s.name.slice(kind.length).replace(/^[-_.]/, '') || '<name>'} (any key type)`);
    return undefined;
  }
  warnShortRsa(ctx, fileKv.valueLine, `${path}file`, r.key.file, r.key.keyType, r.key.publicDer);
  return { name: s.name, file: r.key.file, der: r.key.der, publicDer: r.key.publicDer, keyType: r.key.keyType, hasPassphrase: findKv(s.entries, 'secret') !== undefined, line: s.line };
}

/** Private key types an IKEv2 round can sign with (the reader, keys.ts, already refused other EC curves, Ed448, DSA). */
const V2_KEY_TYPES: readonly string[] = ['rsa', 'ec', 'ed25519'];

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Private keys from secrets, for local rounds to pick from. */
export interface KeySecrets {
  readonly keys: readonly PrivateKeySecret[];
  /** a key secret failed to load (its error is reported already) */
  readonly failed: boolean;
}

/** What readAuth read for a local round, as far as keys go. */
export interface LocalKeys {
  readonly pubkeys: readonly KeyFile[] | undefined;
  readonly privateKey: PrivateKeyData | undefined;
}

/**
 * The private key a local `auth = pubkey` round signs with, as a KeyFile for
 * AuthSpec.privateKey (`ikeVersion` 1: RSA only); undefined (with an error unless one was already
 * reported for the keys) when none. When a key secret failed to load, a
 * missing match would only repeat that error and is not reported.
 */
export function resolveLocalKey(ctx: Ctx, s: AstSection, path: string, got: LocalKeys, secrets: KeySecrets, ikeVersion?: number): KeyFile | undefined {
  const where = `${path}${s.name}`;
  const both =
    `name our public key with pubkeys = ours.pub.pem and load its private key in secrets { rsa-ours { file = ours.key.pem } }, ` +
    'or write private_key = ours.key.pem here (Keyway shorthand)';
  // a key= line that failed to load has its own error already
  if (findKv(s.entries, 'private_key') !== undefined && got.privateKey === undefined) return undefined;
  if (findKv(s.entries, 'pubkeys') !== undefined && got.pubkeys === undefined) return undefined;
  let chosen: { file: string; der: Uint8Array; keyType: string } | undefined;
  if (got.privateKey !== undefined) {
    const own = got.privateKey;
    if (got.pubkeys !== undefined && !got.pubkeys.some((p) => sameBytes(p.der, own.publicDer))) {
      const kv = findKv(s.entries, 'private_key');
      addError(ctx, kv?.line ?? s.line, kv?.column ?? s.column, `'${where}.private_key' does not belong to any key in '${where}.pubkeys'`, 'name the matching public key in pubkeys, or drop pubkeys');
      return undefined;
    }
    chosen = own;
  } else if (got.pubkeys !== undefined) {
    // the first named public key that has its private key loaded
    for (const p of got.pubkeys) {
      chosen = secrets.keys.find((k) => sameBytes(k.publicDer, p.der));
      if (chosen !== undefined) break;
    }
    if (chosen === undefined) {
      if (!secrets.failed) {
        const files = got.pubkeys.map((p) => p.file).join(', ');
        addError(ctx, s.line, s.column, `'${where}' uses auth = pubkey, but no private key in secrets matches its pubkeys (${show(files)})`, both);
      }
      return undefined;
    }
  } else {
    addError(ctx, s.line, s.column, `'${where}' uses auth = pubkey but names no key to sign with`, both);
    return undefined;
  }
  // IKEv1 signs with RSA only (RFC 2409 §5.1 SIG blocks); IKEv2 also with
  // ECDSA (RFC 4754 / RFC 7427) and Ed25519 (RFC 8420)
  if (ikeVersion === 1 && chosen.keyType !== 'rsa') {
    addError(ctx, s.line, s.column, `'${where}' would sign with a ${chosen.keyType} key (${show(chosen.file)}); connections with version = 1 sign with RSA keys only for now (IKEv1 RSA signatures, RFC 2409 §5.1); ECDSA and Ed25519 keys need IKEv2`, 'use an RSA private key for IKEv1 (e.g. openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072), or version = 2 for ECDSA/Ed25519 keys');
    return undefined;
  }
  if (!V2_KEY_TYPES.includes(chosen.keyType)) {
    addError(ctx, s.line, s.column, `'${where}' would sign with a ${chosen.keyType} key (${show(chosen.file)}); Keyway signs with RSA, ECDSA (P-256/384/521) and Ed25519 keys`, 'use an RSA, EC or Ed25519 private key');
    return undefined;
  }
  return { file: chosen.file, der: chosen.der };
}
