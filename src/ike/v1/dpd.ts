/**
 * Dead Peer Detection for IKEv1 (RFC 3706), the initiating side.
 *
 * §5.3: only when the peer is idle (nothing authenticated arrived for
 * dpd_delay) do we send R-U-THERE; §5.5: the notification carries the
 * ISAKMP SA's cookies as SPI (CKY-I | CKY-R) and a 32-bit sequence number,
 * incremented for every R-U-THERE, and the R-U-THERE-ACK echoes it. While
 * unanswered, a new R-U-THERE goes out every dpd_delay; after dpd_timeout
 * (strongSwan's default 150 s when unset) without any authenticated message
 * the peer is declared dead: the ISAKMP SA and its IPsec SAs go, and each
 * child's dpd_action applies (clear | trap | restart), as for IKEv2.
 */
import { Doi, V1Notify, V1Payload, V1Protocol } from '../../iana/ikev1.js';
import { u32 } from '../../crypto/keymat-v1.js';
import { ByteReader, concatBytes } from '../../util/bytes.js';
import type { ChildConfig } from '../../config/model.js';
import { sendInformational, v1Fail } from './report.js';
import type { V1Sa } from './v1-sa.js';

/** strongSwan's dpd_timeout default for IKEv1 (swanctl.conf(5)) */
const DEFAULT_DPD_TIMEOUT_S = 150;

/** Starts (or re-arms) the DPD timer of an established ISAKMP SA; no-op without dpd_delay or peer support. */
export function armDpdV1(sa: V1Sa, atMs?: number): void {
  const delay = (sa.conn?.dpdDelay ?? 0) * 1000;
  if (delay <= 0 || sa.state !== 'established') return;
  if (!sa.dpd) {
    // RFC 3706 §5.1: DPD is used only when both sides sent the vendor ID
    sa.ctx.counters.inc('v1.dpd.unsupported');
    return;
  }
  const due = atMs ?? Math.max(sa.lastInboundMs + delay, sa.ctx.clock.nowMs());
  sa.setDpdTimer(due, () => void sa.run('dpd timer', () => dpdTick(sa)));
}

function dpdTick(sa: V1Sa): void {
  const conn = sa.conn;
  if (sa.state !== 'established' || conn === undefined) return;
  const now = sa.ctx.clock.nowMs();
  const delay = conn.dpdDelay * 1000;
  const timeout = (conn.dpdTimeout > 0 ? conn.dpdTimeout : DEFAULT_DPD_TIMEOUT_S) * 1000;
  const probe = sa.dpdProbe;
  // anything authenticated since the first unanswered R-U-THERE proves the peer alive
  if (probe.since !== undefined && sa.lastInboundMs >= probe.since) probe.since = undefined;
  if (probe.since === undefined && now - sa.lastInboundMs < delay) {
    armDpdV1(sa);
    return;
  }
  if (probe.since !== undefined && now - probe.since >= timeout) {
    declareDead(sa, timeout / 1000);
    return;
  }
  // RFC 3706 §5.5: a fresh sequence number for each R-U-THERE
  probe.seq = (probe.seq + 1) >>> 0;
  probe.since ??= now;
  sendInformational(sa, { type: V1Payload.N, doi: Doi.IPSEC, protocolId: V1Protocol.ISAKMP, notifyType: V1Notify.R_U_THERE, spi: concatBytes(sa.spiI, sa.spiR), data: u32(probe.seq) });
  sa.ctx.counters.inc('v1.dpd.sent');
  armDpdV1(sa, now + Math.min(delay, Math.max(1, probe.since + timeout - now)));
}

/** R-U-THERE-ACK: accepted only with the sequence number of our last R-U-THERE (RFC 3706 §5.5). */
export function dpdAck(sa: V1Sa, data: Uint8Array): void {
  const seq = data.length === 4 ? new ByteReader(data).u32('R-U-THERE-ACK sequence') : -1;
  if (seq !== sa.dpdProbe.seq) {
    sa.ctx.counters.inc('v1.dpd.ack.stale');
    return;
  }
  sa.dpdProbe.since = undefined;
  sa.ctx.counters.inc('v1.dpd.ack');
  armDpdV1(sa);
}

function declareDead(sa: V1Sa, seconds: number): void {
  const conn = sa.conn;
  const cfgs: ChildConfig[] = [...new Set([...sa.children.values()].map((c) => c.cfg))];
  v1Fail(sa, 'timeout', 'DPD', `peer did not answer R-U-THERE for ${seconds} s: dead peer`, { children: cfgs.map((c) => c.name) });
  sa.ctx.counters.inc('v1.dpd.dead');
  sa.destroy('dead peer (DPD)');
  if (conn === undefined) return;
  const restart = cfgs.filter((c) => c.dpdAction === 'restart');
  for (const cfg of cfgs) {
    // trap (and clear, a no-op) are the engine's; restart needs an IKEv1 initiation (below)
    if (cfg.dpdAction === 'trap') sa.ctx.hooks.childClosed(cfg, conn, 'dpd');
  }
  if (restart.length > 0) {
    sa.ctx.counters.inc('v1.dpd.restart');
    sa.hooks.reinitiate(conn, restart, 'dpd_action = restart');
  }
}
