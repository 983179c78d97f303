/**
 * One authentication round per direction (RFC 7296 §2.15: each peer picks
 * its own method): `local.auth` says how we prove ourselves, `remote.auth`
 * what we demand of the peer, independently (psk one way and pubkey the
 * other is fine, as with swanctl).
 */
import type { AuthSpec, ConnectionConfig } from '../../config/model.js';
import { AuthMethod, PayloadType, nameOf } from '../../iana/ikev2.js';
import { idToString } from '../../policy/peers.js';
import type { AuthPayload, IdPayload } from '../../wire/ikev2/types.js';
import type { IkeSa } from '../ike-sa.js';
import { signerOf } from '../v1/signing.js';
import { computePskAuth, lookupPsk, ourSignedOctets, peerSignedOctets, verifyPskAuth, type Identity } from './auth-psk.js';
import { localSignature, rawPublicKeys, sigAuthPayload, verifySigAuth, type TrustedKeys } from './auth-sig.js';
import { peerSigHashes } from './sig-hash-notify.js';

const SIGNATURE_METHODS: readonly number[] = [
  AuthMethod.RSA_SIG, AuthMethod.ECDSA_SHA256_P256, AuthMethod.ECDSA_SHA384_P384, AuthMethod.ECDSA_SHA512_P521, AuthMethod.DIGITAL_SIGNATURE,
];

/**
 * Our AUTH payload for `conn.local[0]`. Throws when the round has no usable
 * credential (no PSK for the identities, a key that cannot sign). As
 * initiator the failure is recorded here (`config`: our side's setup, named
 * with the key file and the reason) and the IKE SA forgotten, since the request
 * cannot be sent (RFC 7296 §2.15: AUTH is mandatory in IKE_AUTH) and nothing
 * else would record why; the responder's caller (ike-auth.ts) records its
 * own `auth` failure and answers AUTHENTICATION_FAILED (§2.21.2).
 */
export async function buildOurAuth(sa: IkeSa, conn: ConnectionConfig, localId: Identity, remoteId: Identity | undefined, ourId: IdPayload): Promise<AuthPayload> {
  try {
    return await ourAuth(sa, conn, localId, remoteId, ourId);
  } catch (e) {
    // (an SA torn down while the Signer worked needs no record of this)
    if (sa.isOriginalInitiator && sa.state !== 'destroyed') {
      const f = ownAuthFailure(conn, localId, remoteId, e);
      sa.ctx.fail({ connection: conn.name, ikeSaId: sa.uniqueId, peer: `${sa.remote.address}[${sa.remote.port}]`, kind: 'config', exchange: 'IKE_AUTH', message: f.message, detail: f.detail });
      sa.destroy(f.message);
    }
    throw e;
  }
}

/** The failure record's text when we cannot authenticate ourselves (key file and reason; never key material). */
function ownAuthFailure(conn: ConnectionConfig, localId: Identity, remoteId: Identity | undefined, e: unknown): { message: string; detail: Record<string, unknown> } {
  const round = conn.local[0];
  const method = round?.method ?? 'psk';
  const reason = e instanceof Error ? e.message : String(e);
  const ids = { localId: idToString(localId.type, localId.data), remoteId: remoteId === undefined ? '%any' : idToString(remoteId.type, remoteId.data) };
  const key = round?.privateKey?.file;
  if (method === 'pubkey' && key !== undefined) {
    return {
      message: `cannot sign IKE_AUTH for connection ${conn.name} with ${key}: ${reason}`,
      detail: { localAuth: method, key, reason, ...ids, hint: `check the key file (keyway check-config) and that it is an RSA, ECDSA P-256/384/521 or Ed25519 key` },
    };
  }
  const idB = remoteId === undefined ? '' : `  id-b = ${ids.remoteId}`;
  const hint = method === 'psk' ? `add secrets { ike-<name> { id-a = ${ids.localId}${idB}  secret = ... } }` : 'set local auth = psk or pubkey';
  return { message: `cannot authenticate IKE_AUTH for connection ${conn.name}: ${reason}`, detail: { localAuth: method, reason, ...ids, hint } };
}

async function ourAuth(sa: IkeSa, conn: ConnectionConfig, localId: Identity, remoteId: Identity | undefined, ourId: IdPayload): Promise<AuthPayload> {
  const round = conn.local[0];
  const method = round?.method ?? 'psk';
  if (method === 'psk') {
    const psk = lookupPsk(sa, localId, remoteId);
    if (psk === undefined) throw new Error(`no pre-shared key found for ${idToString(localId.type, localId.data)} - ${remoteId === undefined ? '%any' : idToString(remoteId.type, remoteId.data)}`);
    return { type: PayloadType.AUTH, critical: false, method: AuthMethod.SHARED_KEY_MIC, data: computePskAuth(sa, psk, ourId) };
  }
  if (method === 'pubkey') {
    const { file, choice } = localSignature(round, peerSigHashes(sa));
    const signature = await signerOf(sa.ctx).sign({ file }, choice.scheme, ourSignedOctets(sa, ourId));
    if (sa.ctx.logs('debug')) sa.ctx.log('debug', 'ike.auth.signed', { ...sa.logFields, method: nameOf(AuthMethod, choice.method), scheme: choice.scheme, key: file });
    return sigAuthPayload(choice, signature);
  }
  throw new Error(`local auth = ${method} is not supported for IKEv2 yet`);
}

export type PeerAuthCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly message: string; readonly detail: Record<string, unknown> };

/**
 * Checks the peer's AUTH against `conn.remote[0]`. `localId` picks the PSK
 * (with the peer's identity); `trusted` yields the public keys for pubkey
 * rounds (raw keys by default).
 */
export function checkPeerAuth(
  sa: IkeSa,
  conn: ConnectionConfig,
  localId: Identity,
  peerId: IdPayload,
  auth: AuthPayload,
  trusted: TrustedKeys = rawPublicKeys,
): PeerAuthCheck {
  const round: AuthSpec | undefined = conn.remote[0];
  const expected = round?.method ?? 'psk';
  const received = idToString(peerId.idType, peerId.data);
  const used = nameOf(AuthMethod, auth.method);
  const base = { receivedId: received, connection: conn.name, expectedMethod: expected, receivedMethod: used };
  if (expected === 'psk') {
    if (auth.method !== AuthMethod.SHARED_KEY_MIC) {
      return { ok: false, message: `${received} used AUTH method ${used}; connection ${conn.name} expects psk (SHARED_KEY_MIC)`, detail: base };
    }
    const psk = lookupPsk(sa, localId, { type: peerId.idType, data: peerId.data });
    if (psk === undefined) return { ok: false, message: `no pre-shared key for ${idToString(localId.type, localId.data)} - ${received}`, detail: { ...base, method: 'psk' } };
    if (!verifyPskAuth(sa, psk, peerId, auth.data)) {
      return { ok: false, message: `AUTH payload of ${received} does not verify: the pre-shared keys differ`, detail: { ...base, method: 'psk' } };
    }
    return { ok: true };
  }
  if (expected === 'pubkey' && round !== undefined) {
    if (!SIGNATURE_METHODS.includes(auth.method)) {
      return { ok: false, message: `${received} used AUTH method ${used}; connection ${conn.name} expects a signature (pubkey)`, detail: base };
    }
    const octets = peerSignedOctets(sa, peerId);
    if (octets === undefined) return { ok: false, message: 'no keys for AUTH', detail: base };
    const r = verifySigAuth(trusted(round, { type: peerId.idType, data: peerId.data }), auth.method, auth.data, octets);
    if (!r.ok) {
      return {
        ok: false,
        message: `AUTH payload of ${received} (${used}) does not verify: ${r.reason}`,
        detail: { ...base, method: 'pubkey', ...(r.scheme === undefined ? {} : { scheme: r.scheme }), keysTried: r.tried },
      };
    }
    if (sa.ctx.logs('debug')) sa.ctx.log('debug', 'ike.auth.verified', { ...sa.logFields, method: used, scheme: r.scheme, key: r.key });
    return { ok: true };
  }
  return { ok: false, message: `remote auth = ${expected} is not supported for IKEv2 yet`, detail: base };
}
