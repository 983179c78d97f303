/**
 * The authentication payload of Main Mode's last two messages (RFC 2409 §5):
 *   pre-shared key:  HDR*, IDii, HASH_I     /  HDR*, IDir, HASH_R
 *   signatures:      HDR*, IDii, [CERT,] SIG_I  /  HDR*, IDir, [CERT,] SIG_R   (§5.1)
 * SIG_I/SIG_R sign HASH_I/HASH_R (sig-v1.ts). Raw public keys from the
 * config stand in for certificates (no CERT payload is sent; X.509 is its
 * own issue); a CERT the peer sends is ignored, the configured key decides.
 */
import { V1Payload } from '../../iana/ikev1.js';
import { idToString } from '../../policy/ids.js';
import { CryptoError } from '../../util/errors.js';
import { findV1 } from '../../wire/ikev1/chain.js';
import type { IdPayload, IsakmpPayload, PayloadEntry } from '../../wire/ikev1/types.js';
import { modeName, usesSignatures, verifyPeerHash } from './phase1-common.js';
import { authHash } from './phase1-keys.js';
import { v1Fail } from './report.js';
import { signerOf, verifyWithConn } from './signing.js';
import type { V1Sa } from './v1-sa.js';

/** Our HASH or SIG payload over our ID payload body; undefined (reported, SA destroyed) when we cannot sign. */
export async function ourAuthPayload(sa: V1Sa, who: 'I' | 'R', idB: Uint8Array): Promise<IsakmpPayload | undefined> {
  const hash = authHash(sa, who, idB);
  if (!usesSignatures(sa)) return { type: V1Payload.HASH, data: hash };
  const key = sa.conn?.local[0]?.privateKey;
  if (key === undefined) {
    v1Fail(sa, 'config', modeName(sa), `connection ${sa.connectionName} uses auth = pubkey but no private key is loaded for its local round (secrets { rsa-... } matching local pubkeys, or private_key)`, {});
    sa.destroy('no private key');
    return undefined;
  }
  try {
    return { type: V1Payload.SIG, data: await signerOf(sa.ctx).sign({ file: key.file }, 'rsa-pkcs1-raw', hash) };
  } catch (e) {
    if (!(e instanceof CryptoError)) throw e;
    v1Fail(sa, 'config', modeName(sa), `cannot sign with ${key.file}: ${e.message}`, {});
    sa.destroy('signing failed');
    return undefined;
  }
}

/** The auth payload the negotiated method needs is present (else the message is dropped unanswered). */
export function hasPeerAuth(sa: V1Sa, entries: readonly PayloadEntry[]): boolean {
  return findV1(entries, usesSignatures(sa) ? V1Payload.SIG : V1Payload.HASH) !== undefined;
}

/**
 * Checks the peer's HASH_I/R (constant time) or SIG_I/R (with a public key
 * the SA's connection trusts for the peer) over its ID payload body.
 * Reports and destroys the SA on failure.
 */
export function verifyPeerAuth(sa: V1Sa, who: 'I' | 'R', id: IdPayload | undefined, idBody: Uint8Array, entries: readonly PayloadEntry[]): boolean {
  if (!usesSignatures(sa)) {
    const hash = findV1(entries, V1Payload.HASH);
    return hash !== undefined && verifyPeerHash(sa, who, id, idBody, hash.data);
  }
  if (id !== undefined) sa.remoteIdText = idToString(id.idType, id.data);
  const sig = findV1(entries, V1Payload.SIG);
  const conn = sa.conn;
  if (sig === undefined || conn === undefined) return false;
  if ((conn.remote[0]?.pubkeys ?? []).length === 0) {
    v1Fail(sa, 'config', modeName(sa), `connection ${conn.name} uses auth = pubkey but its remote section has no pubkeys`, { id: sa.remoteIdText });
    sa.destroy('no peer public key');
    return false;
  }
  if (!verifyWithConn(conn, authHash(sa, who, idBody), sig.data)) {
    v1Fail(sa, 'auth', modeName(sa), `SIG_${who} from ${sa.remoteIdText} does not verify with the public key(s) of connection ${conn.name}`, { id: sa.remoteIdText });
    sa.destroy('authentication failed');
    return false;
  }
  return true;
}
