/**
 * Connection (peer config) selection.
 *
 *  1. IKE_SA_INIT: candidateConnectionsForInit ranks connections by how well
 *     the packet's addresses match local_addrs/remote_addrs.
 *  2. IKE_AUTH: selectPeerConfig picks among those candidates by the
 *     initiator's IDi, optional IDr (RFC 7296 §2.15, §3.5) and AUTH method.
 */
import { AuthMethod } from '../iana/ikev2.js';
import type { AuthMethodName, ConnectionConfig } from '../config/model.js';
import { matchAddressList, AddrMatch } from './addr-match.js';
import { IdMatch, idToString, matchIdentity, type IdLike } from './ids.js';
import { parseIp } from './ip.js';

export { findPsk } from './psk.js';
export { idToString, matchIdentity, IdMatch, type IdLike } from './ids.js';

/**
 * Connections usable for an IKE SA between `local` and `remote`, best first:
 * the sum of the local and remote address match (exact IP > subnet/range >
 * %any); both sides must match. Equal scores keep config order.
 */
export function candidateConnectionsForInit(
  conns: readonly ConnectionConfig[],
  local: string,
  remote: string,
  version: 1 | 2 = 2,
): ConnectionConfig[] {
  const scored: { c: ConnectionConfig; score: number; i: number }[] = [];
  // the packet's two addresses are parsed once; the configured lists are parsed once per config
  const localIp = parseIp(local);
  const remoteIp = parseIp(remote);
  conns.forEach((c, i) => {
    if (c.version !== 0 && c.version !== version) return;
    const l = matchAddressList(c.localAddrs, local, localIp);
    const r = matchAddressList(c.remoteAddrs, remote, remoteIp);
    if (l === AddrMatch.NONE || r === AddrMatch.NONE) return;
    scored.push({ c, score: l + r, i });
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.map((s) => s.c);
}

/** AUTH payload method (RFC 7296 §3.8, RFC 7427) -> config method name; undefined if unsupported. */
export function authMethodNameOf(method: number | undefined): AuthMethodName | undefined {
  switch (method) {
    case undefined:
      return 'eap'; // RFC 7296 §2.16: no AUTH payload in the first IKE_AUTH means EAP
    case AuthMethod.SHARED_KEY_MIC:
      return 'psk';
    case AuthMethod.RSA_SIG:
    case AuthMethod.DSS_SIG:
    case AuthMethod.ECDSA_SHA256_P256:
    case AuthMethod.ECDSA_SHA384_P384:
    case AuthMethod.ECDSA_SHA512_P521:
    case AuthMethod.DIGITAL_SIGNATURE:
      return 'pubkey';
    case AuthMethod.NULL_AUTH:
      return 'null';
    default:
      return undefined;
  }
}

export interface PeerSelectDiagnostic {
  readonly receivedId: string;
  readonly receivedIdr?: string;
  readonly considered: readonly { readonly connection: string; readonly rejected: string }[];
  readonly reason: string;
}

export type PeerSelection =
  | { readonly ok: true; readonly connection: ConnectionConfig }
  | { readonly ok: false; readonly diagnostic: PeerSelectDiagnostic };

/**
 * Chooses the connection for a received IDi (and IDr if the initiator named
 * us). Round 0 of the remote auth config must accept IDi and the AUTH method;
 * round 0 of the local auth config must match IDr (an unset local ID matches
 * any IDr). Among acceptable ones the best identity match wins (remote +
 * local match level); ties keep the candidates' order, i.e. the address
 * ranking from candidateConnectionsForInit.
 */
export function selectPeerConfig(
  candidates: readonly ConnectionConfig[],
  idi: IdLike,
  idr: IdLike | undefined,
  authMethod: AuthMethodName,
): PeerSelection {
  const considered: { connection: string; rejected: string }[] = [];
  let best: { c: ConnectionConfig; score: number } | undefined;
  // the text forms are for diagnostics: built only when something is rejected
  let idiCache: string | undefined;
  const idiText = (): string => (idiCache ??= idToString(idi.type, idi.data));
  for (const c of candidates) {
    const remote = c.remote[0];
    const local = c.local[0];
    if (remote === undefined || local === undefined) {
      considered.push({ connection: c.name, rejected: 'no local/remote authentication round configured' });
      continue;
    }
    const rm = matchIdentity(remote.id, idi);
    if (rm === IdMatch.NONE) {
      considered.push({ connection: c.name, rejected: `remote id ${remote.id?.text ?? '%any'} does not match IDi ${idiText()}` });
      continue;
    }
    const lm = idr === undefined ? IdMatch.ANY : matchIdentity(local.id, idr);
    if (lm === IdMatch.NONE) {
      const idrText = idr === undefined ? '' : idToString(idr.type, idr.data);
      considered.push({ connection: c.name, rejected: `local id ${local.id?.text ?? '(address)'} does not match IDr ${idrText}` });
      continue;
    }
    if (remote.method !== authMethod) {
      considered.push({ connection: c.name, rejected: `remote auth is ${remote.method}, peer used ${authMethod}` });
      continue;
    }
    const score = rm * 4 + lm;
    if (best === undefined || score > best.score) best = { c, score };
  }
  if (best !== undefined) return { ok: true, connection: best.c };
  const reason =
    candidates.length === 0
      ? `no connection matches the IKE SA's addresses (IDi ${idiText()})`
      : `no connection accepts IDi ${idiText()}${idr === undefined ? '' : ` / IDr ${idToString(idr.type, idr.data)}`} with ${authMethod} authentication (${candidates.length} considered)`;
  return {
    ok: false,
    diagnostic: {
      receivedId: idiText(),
      ...(idr === undefined ? {} : { receivedIdr: idToString(idr.type, idr.data) }),
      considered,
      reason,
    },
  };
}
