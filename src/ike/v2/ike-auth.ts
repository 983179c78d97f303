/**
 * IKE_AUTH (RFC 7296 §1.2) with the first CHILD SA:
 *
 *   HDR, SK {IDi, [IDr,] AUTH, [N(INITIAL_CONTACT),] [N(USE_TRANSPORT_MODE),] SAi2, TSi, TSr}  -->
 *                         <--  HDR, SK {IDr, AUTH, [N(USE_TRANSPORT_MODE),] SAr2, TSi, TSr}
 *
 * A failed CHILD SA does not fail the IKE SA (§1.2: the response then carries
 * an error notify instead of SAr2/TSi/TSr); a failed AUTH does (§2.21.2).
 */
import type { ChildConfig, ConnectionConfig } from '../../config/model.js';
import { AuthMethod, ExchangeType, NotifyType, PayloadType, nameOf } from '../../iana/ikev2.js';
import { idToString, selectPeerConfig } from '../../policy/peers.js';
import { bytesEqual } from '../../util/bytes.js';
import type { Payload } from '../../wire/ikev2/types.js';
import type { IkeSa, RequestExchange, ResponseOutcome } from '../ike-sa.js';
import { idPayload, localIdentity, type Identity } from './auth-psk.js';
import { buildOurAuth, checkPeerAuth } from './auth-round.js';
import { completeChildAsInitiator, prepareChildRequest, respondChild, type ChildOutcome, type ChildRequest } from './child-negotiation.js';
import { markEstablished } from './establish.js';
import { addressBytes } from './natd.js';
import { describeNotify } from './notify-text.js';
import { findNotify, findPayload, firstErrorNotify, notify } from './payloads.js';

export interface AuthResult {
  readonly ok: boolean;
  readonly reason?: string;
  readonly child?: ChildOutcome;
}

export class IkeAuthInitiator implements RequestExchange {
  readonly name = 'IKE_AUTH';
  readonly exchangeType = ExchangeType.IKE_AUTH;
  private childReq: ChildRequest | undefined;
  private localId: Identity | undefined;

  constructor(
    private readonly sa: IkeSa,
    private readonly conn: ConnectionConfig,
    private readonly childCfg: ChildConfig | undefined,
    private readonly onDone: (r: AuthResult) => void,
  ) {}

  private fail(kind: 'auth' | 'peer-notify' | 'internal', message: string, detail: Record<string, unknown>): ResponseOutcome {
    const sa = this.sa;
    sa.ctx.fail({
      connection: this.conn.name,
      ikeSaId: sa.uniqueId,
      peer: `${sa.remote.address}[${sa.remote.port}]`,
      kind,
      exchange: 'IKE_AUTH',
      message,
      detail,
    });
    this.childReq?.child.remove(message);
    this.onDone({ ok: false, reason: message });
    sa.destroy(message);
    return 'done';
  }

  async build(): Promise<Payload[]> {
    const sa = this.sa;
    const localSpec = this.conn.local[0]?.id;
    const remoteSpec = this.conn.remote[0]?.id;
    this.localId = localIdentity(localSpec, sa.local.address, addressBytes);
    const remoteId: Identity | undefined =
      remoteSpec !== undefined && !remoteSpec.any ? { type: remoteSpec.type, data: remoteSpec.data } : undefined;
    const idi = idPayload(PayloadType.IDi, this.localId);
    sa.localId = this.localId;
    sa.localIdText = idToString(this.localId.type, this.localId.data);
    const out: Payload[] = [idi];
    if (remoteId !== undefined) out.push(idPayload(PayloadType.IDr, remoteId));
    out.push(await buildOurAuth(sa, this.conn, this.localId, remoteId, idi));
    // §2.4: INITIAL_CONTACT when we have no other IKE SA with this peer.
    const others = sa.ctx.table.all().some((o) => o !== sa && o.conn?.name === this.conn.name && o.state === 'established');
    if (!others) out.push(notify(NotifyType.INITIAL_CONTACT));
    if (this.childCfg !== undefined) {
      this.childReq = await prepareChildRequest(sa, this.childCfg, false);
      out.push(...this.childReq.payloads);
    }
    return out;
  }

  async onResponse(payloads: readonly Payload[]): Promise<ResponseOutcome> {
    const sa = this.sa;
    const idr = findPayload(payloads, PayloadType.IDr);
    const auth = findPayload(payloads, PayloadType.AUTH);
    if (idr === undefined || auth === undefined) {
      const err = firstErrorNotify(payloads);
      if (err !== undefined) {
        return this.fail('peer-notify', `peer answered IKE_AUTH with ${describeNotify(err.notifyType)}`, { notify: nameOf(NotifyType, err.notifyType) });
      }
      return this.fail('internal', 'IKE_AUTH response lacks IDr or AUTH', {});
    }
    const received = idToString(idr.idType, idr.data);
    const remoteSpec = this.conn.remote[0]?.id;
    if (remoteSpec !== undefined && !remoteSpec.any && (remoteSpec.type !== idr.idType || !bytesEqual(remoteSpec.data, idr.data))) {
      return this.fail('auth', `responder identity ${received} does not match the configured remote id ${remoteSpec.text}`, {
        receivedId: received,
        expected: remoteSpec.text,
      });
    }
    const localId = this.localId;
    if (localId === undefined) return this.fail('internal', 'no local identity', {});
    // each direction has its own method (auth-round.ts)
    const check = checkPeerAuth(sa, this.conn, localId, idr, auth);
    if (!check.ok) return this.fail('auth', check.message, check.detail);
    sa.remoteId = { type: idr.idType, data: idr.data };
    sa.remoteIdText = received;
    markEstablished(sa);
    let child: ChildOutcome | undefined;
    if (this.childReq !== undefined) {
      child = await completeChildAsInitiator(sa, this.childReq, payloads, 'IKE_AUTH', { ni: sa.ni, nr: sa.nr });
    }
    this.onDone({ ok: true, ...(child ? { child } : {}) });
    return 'done';
  }

  onAbort(reason: string): void {
    this.childReq?.child.remove(reason);
    this.onDone({ ok: false, reason });
  }
}

/** Responder: authenticates the initiator, picks the connection, answers. */
export async function handleAuthRequest(sa: IkeSa, payloads: readonly Payload[], messageId: number): Promise<void> {
  const ctx = sa.ctx;
  const idi = findPayload(payloads, PayloadType.IDi);
  const auth = findPayload(payloads, PayloadType.AUTH);
  const failAuth = (message: string, detail: Record<string, unknown>): void => {
    ctx.counters.inc('ike.auth.failed');
    ctx.fail({
      connection: sa.connectionName || null,
      ikeSaId: sa.uniqueId,
      peer: `${sa.remote.address}[${sa.remote.port}]`,
      kind: 'auth',
      exchange: 'IKE_AUTH',
      message,
      detail,
    });
    // §2.21.2: answer AUTHENTICATION_FAILED and forget the IKE SA.
    sa.sendResponse(ExchangeType.IKE_AUTH, messageId, [notify(NotifyType.AUTHENTICATION_FAILED)]);
    sa.destroy(message);
  };
  if (idi === undefined || auth === undefined) {
    sa.sendResponse(ExchangeType.IKE_AUTH, messageId, [notify(NotifyType.INVALID_SYNTAX)]);
    sa.destroy('IKE_AUTH request lacks IDi or AUTH');
    return;
  }
  const idr = findPayload(payloads, PayloadType.IDr);
  const received = idToString(idi.idType, idi.data);
  const method = auth.method === AuthMethod.SHARED_KEY_MIC ? 'psk' : 'pubkey';
  const pick = selectPeerConfig(
    sa.candidates,
    { type: idi.idType, data: idi.data },
    idr === undefined ? undefined : { type: idr.idType, data: idr.data },
    method,
  );
  if (!pick.ok) {
    failAuth(`no connection accepts identity ${received}: ${pick.diagnostic.reason}`, { ...pick.diagnostic });
    return;
  }
  const conn = pick.connection;
  const localId = localIdentity(conn.local[0]?.id, sa.local.address, addressBytes);
  // each direction has its own method (auth-round.ts)
  const check = checkPeerAuth(sa, conn, localId, idi, auth);
  if (!check.ok) {
    failAuth(check.message, check.detail);
    return;
  }
  sa.conn = conn;
  sa.remoteId = { type: idi.idType, data: idi.data };
  sa.remoteIdText = received;
  sa.localId = localId;
  sa.localIdText = idToString(localId.type, localId.data);
  if (findNotify(payloads, NotifyType.INITIAL_CONTACT) !== undefined) clearOldSas(sa);
  const idrOut = idPayload(PayloadType.IDr, localId);
  let ourAuth: Payload;
  try {
    ourAuth = await buildOurAuth(sa, conn, localId, { type: idi.idType, data: idi.data }, idrOut);
  } catch (e) {
    failAuth(`cannot authenticate ourselves to ${received}: ${e instanceof Error ? e.message : String(e)}`, { receivedId: received, connection: conn.name, localAuth: conn.local[0]?.method ?? 'psk' });
    return;
  }
  const out: Payload[] = [idrOut, ourAuth];
  markEstablished(sa);
  if (findPayload(payloads, PayloadType.SA) !== undefined) {
    const r = await respondChild(sa, payloads, 'IKE_AUTH', { ni: sa.ni, nr: sa.nr, inAuth: true });
    out.push(...r.payloads);
  }
  sa.sendResponse(ExchangeType.IKE_AUTH, messageId, out);
}

/**
 * §2.4 INITIAL_CONTACT: the peer has no other IKE SA with us, so any old
 * ones for the same pair of identities are stale: delete them silently.
 */
function clearOldSas(sa: IkeSa): void {
  if (sa.remoteId === undefined) return;
  // a copy: destroy() removes entries from the index
  for (const other of [...sa.ctx.peers.sasOf(sa.remoteId)]) {
    if (other === sa || other.conn?.name !== sa.conn?.name) continue;
    sa.ctx.counters.inc('ike.initial_contact.cleared');
    other.destroy('replaced: peer sent INITIAL_CONTACT');
  }
}
