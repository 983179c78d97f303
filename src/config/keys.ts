/**
 * Key files named by the config (`pubkeys`, `private_key`, secrets
 * `rsa-`/`ecdsa-`/`pkcs8-`/`private-<name> { file }`). With load.ts, the only
 * config module that touches the file system and node:crypto: the validator
 * sees keys through the KeyReader port (validate-common.ts).
 *
 * Accepted, PEM or DER (swanctl reads both, swanctl --load-creds):
 *   private: PKCS#8 (RFC 5958, also encrypted: EncryptedPrivateKeyInfo),
 *            PKCS#1 RSAPrivateKey (RFC 8017 A.1.2, also legacy PEM encryption),
 *            SEC1 ECPrivateKey (RFC 5915)
 *   public:  SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), PKCS#1 RSAPublicKey
 * Results are re-encoded as PKCS#8 / SPKI DER. Failures carry a reason and a
 * hint, never key bytes or the passphrase.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { KeyData, KeyReader, KeyReadFailure, KeyReadResult, PrivateKeyData } from './validate-common.js';

/** A key file is a few KiB at most (RSA-16384 PEM ≈ 12 KiB); the cap bounds what a typo can make us read. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

const fail = (reason: string, hint: string): KeyReadFailure => ({ ok: false, reason, hint });
const codeOf = (e: unknown): string => (typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : 'unknown error');

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a folder in the path is not a directory',
  ELOOP: 'too many symbolic links',
};

/**
 * Read a small regular file. O_NONBLOCK so a FIFO cannot block the open; type
 * and size are checked on the open descriptor before any byte is read, and the
 * mode comes from the same descriptor (no check-then-open race).
 */
function readSmallFile(full: string): { ok: true; bytes: Buffer; mode: number } | KeyReadFailure {
  let fd: number;
  try {
    fd = openSync(full, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = codeOf(e);
    return fail(`${READ_ERRORS[code] ?? 'cannot open'}: ${full} (${code})`, 'check the path; relative paths start from the config file\'s folder');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(`not a regular file: ${full}`, 'give the path of a key file');
    if (st.size > MAX_KEY_FILE_BYTES) return fail(`larger than ${MAX_KEY_FILE_BYTES / 1024} KiB: ${full}`, 'give the path of a single key file');
    const buf = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) return fail(`larger than ${MAX_KEY_FILE_BYTES / 1024} KiB: ${full}`, 'give the path of a single key file');
    }
    if (n === 0) return fail(`empty file: ${full}`, 'give the path of a PEM or DER key file');
    return { ok: true, bytes: buf.subarray(0, n), mode: st.mode };
  } catch (e) {
    return fail(`cannot read ${full} (${codeOf(e)})`, 'check the file');
  } finally {
    closeSync(fd);
  }
}

interface PemBlock {
  readonly label: string;
  readonly text: string;
}

/** RFC 7468 §2 textual encoding: the complete BEGIN/END blocks in a file. */
function pemBlocks(bytes: Buffer): PemBlock[] | undefined {
  const text = bytes.toString('latin1');
  if (!text.includes('-----BEGIN ')) return undefined;
  const out: PemBlock[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]{1,40})-----[\s\S]*?-----END \1-----/g)) {
    out.push({ label: m[1] ?? '', text: m[0] });
  }
  return out;
}

/** What a file holds, for the "not a ... key" reasons. */
function describe(blocks: readonly PemBlock[]): string {
  const labels = [...new Set(blocks.map((b) => b.label))];
  return labels.length === 0 ? 'a damaged PEM file (no complete BEGIN/END block)' : `PEM ${labels.map((l) => `'${l}'`).join(', ')}`;
}

const NO_PASSPHRASE_HINT =
  'load the key in secrets { private-<name> { file = <path>  secret = "<passphrase>" } } and name its public key in local { pubkeys = <public key file> }';

/** Turns a parse exception into a reason; the exception's text (which may quote input) is not used. */
function parseFailure(e: unknown, what: string, passphrase: Uint8Array | undefined, encrypted: boolean): KeyReadFailure {
  const code = codeOf(e);
  if (code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED') {
    return fail('the key is encrypted and no passphrase is configured', NO_PASSPHRASE_HINT);
  }
  if (passphrase !== undefined && (encrypted || code === 'ERR_OSSL_BAD_DECRYPT')) {
    return fail(`wrong passphrase, or a damaged file (${code})`, 'check secret = ... in the secrets section that loads this key');
  }
  return fail(`not a valid ${what} (${code})`, 'expected a PEM or DER key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC) for private keys, SubjectPublicKeyInfo or PKCS#1 for public keys');
}

/** What Keyway signs and verifies with (src/crypto/sig-v2.ts keyFamily, sig-v1.ts: RSA). */
const SUPPORTED = 'Keyway signs and verifies with RSA, ECDSA P-256/P-384/P-521 and Ed25519 keys';
const MAKE_RSA = 'openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out key.pem';
const MAKE_EC = 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem';
const MAKE_ED = 'openssl genpkey -algorithm ED25519 -out key.pem';
/** node:crypto namedCurve names of the curves with an ECDSA method (RFC 4754 methods 9-11, RFC 7427). */
const EC_CURVES: readonly string[] = ['prime256v1', 'secp384r1', 'secp521r1'];

/**
 * Keys no IKE version of Keyway can use, refused when the config loads
 * rather than at the first signature: EC on other curves (brainpool,
 * secp256k1: sig-v2.ts signs and verifies ECDSA on the RFC 4754 curves
 * only), Ed448 (RFC 8420 allows it; not implemented), DSA
 * (RFC 8247 §3.2: MUST NOT), RSA keys restricted to RSASSA-PSS (RFC 4055
 * id-RSASSA-PSS: the IKEv1 and classic IKEv2 methods need PKCS#1 v1.5), and
 * key-agreement keys. Undefined when the key is usable.
 */
function unusable(full: string, key: KeyObject): KeyReadFailure | undefined {
  // a string: node's KeyType list lacks 'dh', which createPrivateKey can still return
  const type: string = key.asymmetricKeyType ?? 'unknown';
  const why = (what: string, hint: string): KeyReadFailure => fail(`${full} holds ${what}; ${SUPPORTED}`, hint);
  switch (type) {
    case 'rsa':
    case 'ed25519':
      return undefined;
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve !== undefined && EC_CURVES.includes(curve)) return undefined;
      return why(`an EC key on ${curve === undefined ? 'explicit curve parameters' : `curve ${curve}`}`, `use a P-256, P-384 or P-521 key, e.g. ${MAKE_EC}, or an RSA or Ed25519 key`);
    }
    case 'ed448':
      return why('an Ed448 key', `use an Ed25519 key, e.g. ${MAKE_ED}, or an RSA or ECDSA key`);
    case 'dsa':
      return why('a DSA key', `use an RSA key, e.g. ${MAKE_RSA}, or an ECDSA or Ed25519 key; RFC 8247 forbids DSA in IKEv2`);
    case 'rsa-pss':
      return why('an RSASSA-PSS-restricted RSA key (id-RSASSA-PSS), not a plain RSA (rsaEncryption) key', `make a plain RSA key, e.g. ${MAKE_RSA}; Keyway still signs IKEv2 AUTH with RSASSA-PSS`);
    case 'x25519':
    case 'x448':
    case 'dh':
      return why(`${type === 'dh' ? 'a DH' : `an ${type.toUpperCase()}`} key-agreement key, which cannot sign`, `use a signature key, e.g. ${MAKE_RSA}, or an ECDSA or Ed25519 key`);
    default:
      return why(`a key of type ${type}`, `use an RSA key, e.g. ${MAKE_RSA}, or an ECDSA or Ed25519 key`);
  }
}

function privateResult(full: string, key: KeyObject): KeyReadResult<PrivateKeyData> {
  const bad = unusable(full, key);
  if (bad !== undefined) return bad;
  return {
    ok: true,
    key: {
      file: full,
      der: new Uint8Array(key.export({ type: 'pkcs8', format: 'der' })),
      publicDer: new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' })),
      keyType: key.asymmetricKeyType ?? 'unknown',
    },
  };
}

/** Parse private key bytes (PEM or DER). Exported for tests; `full` only names the file in results. */
export function parsePrivateKey(full: string, bytes: Buffer, passphrase: Uint8Array | undefined): KeyReadResult<PrivateKeyData> {
  const copy = passphrase === undefined ? undefined : Buffer.from(passphrase);
  try {
    return parsePrivate(full, bytes, passphrase, copy === undefined ? {} : { passphrase: copy });
  } finally {
    copy?.fill(0);
  }
}

function parsePrivate(full: string, bytes: Buffer, passphrase: Uint8Array | undefined, pass: { passphrase?: Buffer }): KeyReadResult<PrivateKeyData> {
  const blocks = pemBlocks(bytes);
  if (blocks !== undefined) {
    const block = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
    if (block === undefined) {
      const isPublic = blocks.some((b) => b.label.endsWith('PUBLIC KEY') || b.label === 'CERTIFICATE');
      return fail(`${full} holds ${describe(blocks)}, not a private key`, isPublic ? 'name the private key here; the public key goes in pubkeys' : 'give the path of a PEM private key');
    }
    // RFC 5958 §3 EncryptedPrivateKeyInfo, or RFC 1421 legacy "Proc-Type: 4,ENCRYPTED" headers
    const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type: *4, *ENCRYPTED/m.test(block.text);
    if (encrypted && passphrase === undefined) return fail('the key is encrypted and no passphrase is configured', NO_PASSPHRASE_HINT);
    try {
      return privateResult(full, createPrivateKey({ key: block.text, format: 'pem', ...pass }));
    } catch (e) {
      return parseFailure(e, 'private key', passphrase, encrypted);
    }
  }
  // DER: the encoding does not say which structure it is; try each in turn
  let first: unknown;
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return privateResult(full, createPrivateKey({ key: bytes, format: 'der', type, ...(type === 'pkcs8' ? pass : {}) }));
    } catch (e) {
      const code = codeOf(e);
      // an EncryptedPrivateKeyInfo was recognised: the other types cannot help
      if (type === 'pkcs8' && (code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_BAD_DECRYPT')) return parseFailure(e, 'private key', passphrase, true);
      first ??= e;
    }
  }
  if (parsePublicDer(bytes) !== undefined) return fail(`${full} holds a public key, not a private key`, 'name the private key here; the public key goes in pubkeys');
  return parseFailure(first, 'private key', undefined, false);
}

function parsePublicDer(bytes: Buffer): KeyObject | undefined {
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      return createPublicKey({ key: bytes, format: 'der', type });
    } catch {
      // try the next structure
    }
  }
  return undefined;
}

/** Parse public key bytes (PEM or DER). A private key or a certificate is refused, not converted. */
export function parsePublicKey(full: string, bytes: Buffer): KeyReadResult<KeyData> {
  let key: KeyObject | undefined;
  const blocks = pemBlocks(bytes);
  if (blocks !== undefined) {
    const block = blocks.find((b) => b.label === 'PUBLIC KEY' || b.label === 'RSA PUBLIC KEY');
    if (block === undefined) {
      if (blocks.some((b) => b.label.endsWith('PRIVATE KEY'))) {
        return fail(`${full} holds a private key; pubkeys takes public keys`, `export the public key (openssl pkey -in <key> -pubout -out <key>.pub.pem) and name that; keep the private key in secrets`);
      }
      if (blocks.some((b) => b.label === 'CERTIFICATE')) {
        return fail(`${full} holds a certificate; certificates are not supported yet`, 'extract the raw public key: openssl x509 -in <cert> -pubkey -noout > <cert>.pub.pem');
      }
      return fail(`${full} holds ${describe(blocks)}, not a public key`, 'give the path of a PEM public key (BEGIN PUBLIC KEY)');
    }
    try {
      key = createPublicKey({ key: block.text, format: 'pem' });
    } catch (e) {
      return parseFailure(e, 'public key', undefined, false);
    }
  } else {
    key = parsePublicDer(bytes);
    if (key === undefined) return fail(`${full} is not a public key (SubjectPublicKeyInfo or PKCS#1, PEM or DER)`, 'give the path of a public key file');
  }
  return unusable(full, key) ?? { ok: true, key: { file: full, der: new Uint8Array(key.export({ type: 'spki', format: 'der' })), keyType: key.asymmetricKeyType ?? 'unknown' } };
}

/** The KeyReader over the file system; relative paths start from the config file's folder. */
export function fileKeyReader(configFile: string): KeyReader {
  const base = dirname(resolve(configFile));
  return {
    readPrivateKey(file, passphrase) {
      const full = resolve(base, file);
      const r = readSmallFile(full);
      if (!r.ok) return r;
      try {
        const k = parsePrivateKey(full, r.bytes, passphrase);
        // as ssh refuses a loose identity file: a private key readable by group or others is refused
        // (checked once the file is known to hold one, so a misnamed public key gets the better message)
        if (k.ok && (r.mode & 0o044) !== 0) {
          return fail(`the private key file ${full} is readable by group or others (mode 0${(r.mode & 0o777).toString(8)}); secret files must not be`, `chmod 600 ${full}`);
        }
        return k;
      } finally {
        // do not leave the key's bytes in a buffer the GC may keep around
        r.bytes.fill(0);
      }
    },
    readPublicKey(file) {
      const full = resolve(base, file);
      const r = readSmallFile(full);
      return r.ok ? parsePublicKey(full, r.bytes) : r;
    },
  };
}
