/** Phase 1 identities and PSK lookup for IKEv1 (RFC 2407 §4.6.2, RFC 2409 §5.4). */
import type { ConnectionConfig } from '../../config/model.js';
import { V1IdType, V1Payload } from '../../iana/ikev1.js';
import { ipToBytes, parseIp } from '../../policy/ip.js';
import { findPsk } from '../../policy/psk.js';
import type { IdLike } from '../../policy/ids.js';
import type { IdPayload } from '../../wire/ikev1/types.js';
import type { EngineContext } from '../context.js';

/** Our ID: the configured one (IKEv1 and IKEv2 share the ID type numbers used) or our address. */
export function localIdentity(conn: ConnectionConfig, localAddress: string): IdLike {
  const spec = conn.local[0]?.id;
  if (spec !== undefined && !spec.any) return { type: spec.type, data: spec.data };
  const ip = parseIp(localAddress);
  if (ip === undefined) return { type: V1IdType.ID_FQDN, data: new Uint8Array(0) };
  return { type: ip.family === 4 ? V1IdType.ID_IPV4_ADDR : V1IdType.ID_IPV6_ADDR, data: ipToBytes(ip.family, ip.value) };
}

/** RFC 2407 §4.6.2: "During Phase I negotiations, the ID port and protocol fields MUST be set to zero or to UDP port 500." */
export function idPayload(id: IdLike): IdPayload {
  return { type: V1Payload.ID, idType: id.type, protocolId: 0, port: 0, data: id.data };
}

/**
 * Main Mode with pre-shared keys must pick the key before the peer's
 * identity is known (RFC 2409 §5.4: SKEYID needs it before MM5), so the
 * connection chosen by addresses names the identities used for the lookup.
 */
export function pskFor(ctx: EngineContext, conn: ConnectionConfig, localAddress: string): Uint8Array | undefined {
  const remote = conn.remote[0]?.id;
  return findPsk(ctx.config.secrets, localIdentity(conn, localAddress), remote === undefined || remote.any ? undefined : { type: remote.type, data: remote.data });
}
