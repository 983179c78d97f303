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
import { computePskAuth, idPayload, localIdentity, lookupPsk, verifyPskAuth, type Identity } from './auth-psk.js';
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
  private psk: Uint8Array | undefined;

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
    this.psk = lookupPsk(sa, this.localId, remoteId);
    if (this.psk === undefined) throw new Error(`no pre-shared key found for ${idToString(this.localId.type, this.localId.data)} - ${remoteSpec?.text ?? '%any'}`);
    const idi = idPayload(PayloadType.IDi, this.localId);
    sa.localId = this.localId;
    sa.localIdText = idToString(this.localId.type, this.localId.data);
    const out: Payload[] = [idi];
    if (remoteId !== undefined) out.push(idPayload(PayloadType.IDr, remoteId));
    out.push({ type: PayloadType.AUTH, critical: false, method: AuthMethod.SHARED_KEY_MIC, data: computePskAuth(sa, this.psk, idi) });
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
    if (auth.method !== AuthMethod.SHARED_KEY_MIC) {
      return this.fail('auth', `responder used AUTH method ${nameOf(AuthMethod, auth.method)}, we expect SHARED_KEY_MIC (psk)`, { receivedId: received });
    }
    const localId = this.localId;
    if (localId === undefined) return this.fail('internal', 'no local identity', {});
    const psk = lookupPsk(sa, localId, { type: idr.idType, data: idr.data });
    if (psk === undefined || !verifyPskAuth(sa, psk, idr, auth.data)) {
      return this.fail('auth', `AUTH payload of ${received} does not verify: the pre-shared keys differ`, {
        receivedId: received,
        method: 'psk',
      });
    }
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
  if (auth.method !== AuthMethod.SHARED_KEY_MIC) {
    failAuth(`${received} used AUTH method ${nameOf(AuthMethod, auth.method)}; connection ${conn.name} expects psk`, { receivedId: received });
    return;
  }
  const localId = localIdentity(conn.local[0]?.id, sa.local.address, addressBytes);
  const psk = lookupPsk(sa, localId, { type: idi.idType, data: idi.data });
  if (psk === undefined) {
    failAuth(`no pre-shared key for ${idToString(localId.type, localId.data)} - ${received}`, { receivedId: received, connection: conn.name });
    return;
  }
  if (!verifyPskAuth(sa, psk, idi, auth.data)) {
    failAuth(`AUTH payload of ${received} does not verify: the pre-shared keys differ`, { receivedId: received, connection: conn.name });
    return;
  }
  sa.conn = conn;
  sa.remoteId = { type: idi.idType, data: idi.data };
  sa.remoteIdText = received;
  sa.localId = localId;
  sa.localIdText = idToString(localId.type, localId.data);
  if (findNotify(payloads, NotifyType.INITIAL_CONTACT) !== undefined) clearOldSas(sa);
  const idrOut = idPayload(PayloadType.IDr, localId);
  const out: Payload[] = [
    idrOut,
    { type: PayloadType.AUTH, critical: false, method: AuthMethod.SHARED_KEY_MIC, data: computePskAuth(sa, psk, idrOut) },
  ];
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
  for (const other of sa.ctx.table.all()) {
    if (other === sa || other.remoteId === undefined || sa.remoteId === undefined) continue;
    if (other.conn?.name !== sa.conn?.name) continue;
    if (other.remoteId.type !== sa.remoteId.type || !bytesEqual(other.remoteId.data, sa.remoteId.data)) continue;
    sa.ctx.counters.inc('ike.initial_contact.cleared');
    other.destroy('replaced: peer sent INITIAL_CONTACT');
  }
}
