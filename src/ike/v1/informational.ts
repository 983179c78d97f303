/**
 * Informational exchanges (RFC 2409 §5.7, RFC 2408 §3.14-3.15, RFC 3706):
 * Delete of the ISAKMP SA or of IPsec SAs, error notifications, and DPD
 * R-U-THERE / R-U-THERE-ACK. Protected ones carry HASH(1) =
 * prf(SKEYID_a, M-ID | N/D), checked in constant time before anything else.
 * While phase 1 is under way they go to phase1-notify.ts.
 */
import { hashEqual, quickHash1 } from '../../crypto/keymat-v1.js';
import { Doi, nameOfV1, V1Notify, V1Payload, V1Protocol } from '../../iana/ikev1.js';
import { concatBytes } from '../../util/bytes.js';
import { allV1 } from '../../wire/ikev1/chain.js';
import type { PayloadEntry } from '../../wire/ikev1/types.js';
import { spiBytes, spiNumber } from './child-install.js';
import { dpdAck } from './dpd.js';
import { phase1Informational } from './phase1-notify.js';
import { afterHash } from './quick-common.js';
import { quickRefused } from './quick-mode.js';
import { sendInformational, v1Fail } from './report.js';
import type { V1Child } from './v1-child.js';
import type { V1Sa } from './v1-sa.js';

/** HASH(1) = prf(SKEYID_a, M-ID | N/D) over the payloads after the HASH payload, compared in constant time. */
function hash1Verifies(sa: V1Sa, mid: number, entries: readonly PayloadEntry[], plain: Uint8Array): boolean {
  const split = afterHash(entries, plain);
  const h = sa.hash;
  const keys = sa.keys;
  return split !== undefined && h !== undefined && keys !== undefined && hashEqual(quickHash1(h, keys.skeyidA, mid, split.rest), split.hash);
}

/** A received Informational message; `plain` is the decrypted chain (undefined if it came in clear). */
export function handleInformational(sa: V1Sa, mid: number, entries: readonly PayloadEntry[], plain: Uint8Array | undefined): void {
  const ctx = sa.ctx;
  const verified = plain !== undefined && hash1Verifies(sa, mid, entries, plain);
  if (sa.inPhase1) {
    phase1Informational(sa, entries, plain !== undefined, verified);
    return;
  }
  if (plain === undefined) {
    // RFC 2408 §4.8: after phase 1, unprotected notifications are not to be trusted
    ctx.counters.inc('v1.rx.drop.unprotected');
    return;
  }
  if (!verified) {
    ctx.counters.inc('v1.rx.drop.hash');
    return;
  }
  for (const n of allV1(entries, V1Payload.N)) {
    if (n.notifyType === V1Notify.R_U_THERE) {
      // RFC 3706 §5: answer with the same sequence number
      sendInformational(sa, { ...n, notifyType: V1Notify.R_U_THERE_ACK });
      ctx.counters.inc('v1.dpd.answered');
      continue;
    }
    if (n.notifyType === V1Notify.R_U_THERE_ACK) {
      dpdAck(sa, n.data);
      continue;
    }
    if (n.notifyType === V1Notify.INITIAL_CONTACT || n.notifyType === V1Notify.RESPONDER_LIFETIME) continue;
    if (n.notifyType < 16384) {
      // an error notification (RFC 2408 §3.14.1 types 1-16383)
      const name = nameOfV1(V1Notify, n.notifyType);
      v1Fail(sa, 'peer-notify', 'Informational', `peer sent ${name}`, { notify: name, code: n.notifyType });
      // a refused Quick Mode fails now instead of timing out (which would re-negotiate phase 1)
      if (n.protocolId !== V1Protocol.ISAKMP) quickRefused(sa, n.spi, `peer sent ${name}`);
    }
  }
  for (const d of allV1(entries, V1Payload.D)) {
    if (d.protocolId === V1Protocol.ISAKMP) {
      ctx.counters.inc('v1.delete.received.ike');
      sa.destroy('deleted by peer');
      return;
    }
    for (const spi of d.spis) {
      const spiValue = d.spiSize === 4 ? spiNumber(spi) : -1;
      const child = [...sa.children.values()].find((c) => c.spiOut === spiValue);
      if (child !== undefined) {
        ctx.counters.inc('v1.delete.received.child');
        child.remove('deleted by peer');
      }
    }
  }
}

export function sendChildDelete(child: V1Child): void {
  sendInformational(child.sa, { type: V1Payload.D, doi: Doi.IPSEC, protocolId: V1Protocol.IPSEC_ESP, spiSize: 4, spis: [spiBytes(child.spiIn)] });
  child.sa.ctx.counters.inc('v1.delete.sent.child');
}

/** Deletes the IPsec SAs, then the ISAKMP SA (as strongSwan does), and tears down locally. */
export function deleteIsakmpSa(sa: V1Sa, reason: string): void {
  if (sa.state === 'established') {
    for (const c of [...sa.children.values()]) sendChildDelete(c);
    sendInformational(sa, { type: V1Payload.D, doi: Doi.IPSEC, protocolId: V1Protocol.ISAKMP, spiSize: 16, spis: [concatBytes(sa.spiI, sa.spiR)] });
    sa.ctx.counters.inc('v1.delete.sent.ike');
    sa.transition('deleting', reason);
  }
  sa.destroy(reason);
}
