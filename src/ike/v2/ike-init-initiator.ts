/**
 * IKE_SA_INIT, initiator side (RFC 7296 §1.2):
 *
 *   HDR, [N(COOKIE),] SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP)  -->
 *                                    <--  HDR, SAr1, KEr, Nr, N(NAT_DETECTION_*)
 *
 * Handles the two "try again" answers: N(COOKIE) (§2.6) and
 * N(INVALID_KE_PAYLOAD) (§1.2, §2.7), then derives the keys and hands over to
 * IKE_AUTH.
 */
import type { ConnectionConfig } from '../../config/model.js';
import type { PendingKeyExchange } from '../../crypto/ke/exchanger.js';
import { CryptoError } from '../../util/errors.js';
import { ExchangeType, KeId, NotifyType, PayloadType, nameOf } from '../../iana/ikev2.js';
import { proposalsToWire, validateResponseProposal } from '../../policy/proposals.js';
import { bytesEqual } from '../../util/bytes.js';
import { decodeHeader } from '../../wire/ikev2/header.js';
import type { Payload, Proposal } from '../../wire/ikev2/types.js';
import type { IkeSa, RequestExchange, ResponseOutcome } from '../ike-sa.js';
import { establishIkeKeys } from './ike-keys.js';
import { forceEncap, natdHash } from './natd.js';
import { findNotify, findPayload, firstErrorNotify, notifies, notify } from './payloads.js';
import { describeNotify } from './notify-text.js';
import { rememberPeerSigHashes, sigHashNotify } from './sig-hash-notify.js';

const NONCE_LENGTH = 32;
const MAX_COOKIE_ROUNDS = 3;
const EMPTY = new Uint8Array(0);

export class IkeInitInitiator implements RequestExchange {
  readonly name = 'IKE_SA_INIT';
  readonly exchangeType = ExchangeType.IKE_SA_INIT;
  readonly cleartext = true;
  private group: number;
  private ke: PendingKeyExchange | undefined;
  private cookie: Uint8Array | undefined;
  private cookieRounds = 0;
  private readonly triedGroups = new Set<number>();
  private sent: Proposal[] = [];

  constructor(
    private readonly sa: IkeSa,
    private readonly conn: ConnectionConfig,
    private readonly onDone: (ok: boolean, reason?: string) => void,
  ) {
    // The first KE method of the first proposal is our guess (§1.2).
    this.group = conn.proposals[0]?.ke[0] ?? KeId.CURVE25519;
  }

  async build(): Promise<Payload[]> {
    const ctx = this.sa.ctx;
    if (this.ke === undefined || this.ke.group !== this.group) {
      this.ke?.dispose();
      this.ke = undefined;
      this.ke = await ctx.ke.initiate(this.group, { modpExponent: ctx.config.daemon.modpExponent });
      this.triedGroups.add(this.group);
    }
    if (this.sa.ni.length === 0) this.sa.ni = ctx.rng.bytes(NONCE_LENGTH);
    this.sent = proposalsToWire(this.conn.proposals, 'ike', EMPTY);
    const zero = new Uint8Array(8);
    const payloads: Payload[] = [];
    // §2.6: the COOKIE notify MUST be the first payload when echoed back.
    if (this.cookie !== undefined) payloads.push(notify(NotifyType.COOKIE, this.cookie));
    payloads.push(
      { type: PayloadType.SA, critical: false, proposals: this.sent },
      { type: PayloadType.KE, critical: false, group: this.group, data: this.ke.publicValue },
      { type: PayloadType.NONCE, critical: false, data: this.sa.ni },
      notify(NotifyType.NAT_DETECTION_SOURCE_IP, this.natSourceHash(zero)),
      notify(NotifyType.NAT_DETECTION_DESTINATION_IP, natdHash(this.sa.spiI, zero, this.sa.remote)),
      // RFC 7427 §4: the hashes we accept in signature AUTH
      sigHashNotify(),
    );
    return payloads;
  }

  /** With encap = yes we send a bogus source hash so both sides believe there is a NAT (like strongSwan). */
  private natSourceHash(spiR: Uint8Array): Uint8Array {
    if (forceEncap(this.sa.ctx, this.conn)) return this.sa.ctx.rng.bytes(20);
    return natdHash(this.sa.spiI, spiR, this.sa.local);
  }

  async onResponse(payloads: readonly Payload[], raw: Uint8Array): Promise<ResponseOutcome> {
    await Promise.resolve();
    const sa = this.sa;
    const ctx = sa.ctx;
    const cookie = findNotify(payloads, NotifyType.COOKIE);
    if (cookie !== undefined) {
      if (++this.cookieRounds > MAX_COOKIE_ROUNDS || cookie.data.length === 0 || cookie.data.length > 64) {
        return this.failWith('peer keeps demanding COOKIEs', 'peer-notify', { notify: 'COOKIE' });
      }
      ctx.counters.inc('ike.init.cookie.received');
      this.cookie = cookie.data;
      return 'retry';
    }
    const invalidKe = findNotify(payloads, NotifyType.INVALID_KE_PAYLOAD);
    if (invalidKe !== undefined) {
      const wanted = invalidKe.data.length === 2 ? ((invalidKe.data[0] ?? 0) << 8) | (invalidKe.data[1] ?? 0) : -1;
      const allowed = this.conn.proposals.some((p) => p.ke.includes(wanted));
      ctx.counters.inc('ike.init.invalid_ke.received');
      if (!allowed || this.triedGroups.has(wanted)) {
        return this.failWith(
          `peer requested key exchange ${nameOf(KeId, wanted)}, which we do not allow or already tried`,
          'ke',
          { requested: nameOf(KeId, wanted), configured: this.conn.proposals.map((p) => p.text) },
        );
      }
      ctx.log('info', 'ike.init.invalid_ke', { ...sa.logFields, from: nameOf(KeId, this.group), to: nameOf(KeId, wanted) });
      this.group = wanted;
      return 'retry';
    }
    const err = firstErrorNotify(payloads);
    if (err !== undefined) {
      return this.failWith(`peer answered IKE_SA_INIT with ${describeNotify(err.notifyType)}`, 'peer-notify', {
        notify: nameOf(NotifyType, err.notifyType),
        offered: this.conn.proposals.map((p) => p.text),
      });
    }
    const saP = findPayload(payloads, PayloadType.SA);
    const keP = findPayload(payloads, PayloadType.KE);
    const nonce = findPayload(payloads, PayloadType.NONCE);
    if (saP === undefined || keP === undefined || nonce === undefined || saP.proposals.length !== 1) {
      return this.failWith('IKE_SA_INIT response lacks SA, KE or Nonce', 'internal', {});
    }
    const proposal = saP.proposals[0];
    if (proposal === undefined) return this.failWith('empty SA payload', 'internal', {});
    const sel = validateResponseProposal(this.sent, proposal);
    if ('error' in sel) return this.failWith(`responder chose an invalid proposal: ${sel.error}`, 'proposal', {});
    if (sel.keId !== this.group || keP.group !== this.group) {
      return this.failWith(`responder KE group ${nameOf(KeId, keP.group)} does not match ${nameOf(KeId, this.group)}`, 'ke', {});
    }
    if (nonce.data.length < 16 || nonce.data.length > 256) return this.failWith('bad responder nonce length', 'internal', {});
    const ke = this.ke;
    if (ke === undefined) return this.failWith('no KE state', 'internal', {});
    let shared: Uint8Array;
    try {
      shared = await ke.computeSharedSecret(keP.data);
    } catch (e) {
      if (e instanceof CryptoError) return this.failWith(`invalid KE value from responder: ${e.message}`, 'ke', {});
      throw e;
    }
    const header = decodeHeader(raw);
    sa.spiR = header.spiR;
    ctx.table.add(sa); // no-op for the index by our SPI; keeps the table consistent
    sa.nr = nonce.data;
    sa.initResponse = raw;
    rememberPeerSigHashes(sa, payloads);
    // §2.23 NAT detection: compare the peer's view with ours.
    const src = notifies(payloads, NotifyType.NAT_DETECTION_SOURCE_IP);
    const dst = notifies(payloads, NotifyType.NAT_DETECTION_DESTINATION_IP);
    if (src.length > 0 && dst.length > 0) {
      const expectRemote = natdHash(sa.spiI, sa.spiR, sa.remote);
      const expectLocal = natdHash(sa.spiI, sa.spiR, sa.local);
      sa.natRemote = !src.some((n) => bytesEqual(n.data, expectRemote));
      sa.natLocal = forceEncap(ctx, this.conn) || !dst.some((n) => bytesEqual(n.data, expectLocal));
    }
    establishIkeKeys(sa, sel, shared);
    if (sa.natLocal || sa.natRemote) {
      // §2.23: "the initiator MUST ... switch to port 4500" once a NAT is detected.
      const natPort = ctx.config.daemon.natPort;
      sa.local = { address: sa.local.address, port: natPort };
      sa.remote = { address: sa.remote.address, port: this.conn.remotePort === 500 ? 4500 : this.conn.remotePort };
      ctx.log('info', 'ike.nat.detected', { ...sa.logFields, natLocal: sa.natLocal, natRemote: sa.natRemote });
    }
    sa.nextRequestId = 1;
    sa.transition('authenticating');
    this.onDone(true);
    return 'done';
  }

  private failWith(message: string, kind: 'peer-notify' | 'ke' | 'proposal' | 'internal', detail: Record<string, unknown>): ResponseOutcome {
    const sa = this.sa;
    this.ke?.dispose();
    sa.ctx.fail({
      connection: this.conn.name,
      ikeSaId: sa.uniqueId,
      peer: `${sa.remote.address}[${sa.remote.port}]`,
      kind,
      exchange: 'IKE_SA_INIT',
      message,
      detail,
    });
    this.onDone(false, message);
    sa.destroy(message);
    return 'done';
  }

  onAbort(reason: string): void {
    this.ke?.dispose();
    this.onDone(false, reason);
  }
}
