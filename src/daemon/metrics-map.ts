/**
 * The fixed map from Keyway's counter names (engine, transport and dataplane:
 * what `keyway stats` prints) to Prometheus counters. docs/metrics.md has the
 * same table for humans.
 *
 * Why a fixed map: every label value here comes from this file, never from
 * the wire, so a peer cannot create new time series (a series per peer
 * address or per SPI would let an attacker grow the scrape without bound).
 * Drop reasons are matched against closed lists; anything else is 'other'.
 */

export interface CounterDef {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
}

/** Every Prometheus counter fed from the counter map. */
export const COUNTER_DEFS = {
  ikeInitiated: { name: 'keyway_ike_sas_initiated_total', help: 'IKE SAs this daemon started to negotiate as initiator', labelNames: ['version'] },
  ikeEstablished: { name: 'keyway_ike_sas_established_total', help: 'IKE SAs established (initial exchanges completed, rekeys not included)', labelNames: ['version'] },
  failures: { name: 'keyway_negotiation_failures_total', help: 'IKE and CHILD SA negotiation failures by kind of the structured failure record (keyway failures)', labelNames: ['kind'] },
  halfOpenTimeouts: { name: 'keyway_ike_half_open_timeouts_total', help: 'Half-open IKE SAs removed because the exchange did not complete in time', labelNames: [] },
  childInstalled: { name: 'keyway_child_sas_installed_total', help: 'CHILD SAs installed in the dataplane (new and rekeyed ones)', labelNames: ['version'] },
  childFailed: { name: 'keyway_child_sa_failures_total', help: 'The CHILD SA part of keyway_negotiation_failures_total, by failure kind', labelNames: ['kind'] },
  ikeRekeys: { name: 'keyway_ike_rekeys_total', help: 'IKE SA rekeys completed, by role (IKEv1: started as initiator)', labelNames: ['version', 'role'] },
  childRekeys: { name: 'keyway_child_rekeys_total', help: 'CHILD SA rekeys completed, by role', labelNames: ['version', 'role'] },
  rekeyCollisions: { name: 'keyway_rekey_collisions_total', help: 'Simultaneous rekeys (RFC 7296 §2.8.1) by SA kind and outcome', labelNames: ['sa', 'outcome'] },
  deletes: { name: 'keyway_deletes_total', help: 'Delete notifications by SA kind and direction', labelNames: ['version', 'sa', 'direction'] },
  dpdChecks: { name: 'keyway_dpd_checks_total', help: 'Dead peer detection requests sent', labelNames: ['version'] },
  dpdDead: { name: 'keyway_dpd_dead_peers_total', help: 'Peers declared dead by dead peer detection', labelNames: ['version'] },
  retransmits: { name: 'keyway_ike_retransmissions_total', help: 'IKE messages sent again (request: our timer fired; response: peer retransmitted)', labelNames: ['version', 'kind'] },
  rx: { name: 'keyway_ike_messages_received_total', help: 'IKE datagrams handed to the engine', labelNames: ['version'] },
  rxDropped: { name: 'keyway_ike_messages_dropped_total', help: 'Received IKE messages dropped, by reason (closed list, else other)', labelNames: ['version', 'reason'] },
  cookies: { name: 'keyway_ike_cookie_challenges_total', help: 'COOKIE challenges (RFC 7296 §2.6): sent, accepted, invalid on the responder; received as initiator', labelNames: ['event'] },
  espPacketsDp: { name: 'keyway_dataplane_esp_packets_total', help: 'ESP packets processed by the userspace dataplane', labelNames: ['direction'] },
  espDropped: { name: 'keyway_esp_dropped_total', help: 'ESP packets dropped by the userspace dataplane, by reason (auth, replay, ...)', labelNames: ['direction', 'reason'] },
  kernelErrors: { name: 'keyway_dataplane_errors_total', help: 'Dataplane operations that failed (SA add/update/delete)', labelNames: ['op'] },
  udpDropped: { name: 'keyway_udp_dropped_total', help: 'UDP datagrams dropped by the transport before reaching the engine or the wire', labelNames: ['direction', 'reason'] },
} as const satisfies Record<string, CounterDef>;

export type CounterKey = keyof typeof COUNTER_DEFS;

export interface Mapped {
  readonly metric: CounterKey;
  readonly labels: Readonly<Record<string, string>>;
}

/** Exact counter names. */
const EXACT: Readonly<Record<string, Mapped>> = {
  'ike.initiated': { metric: 'ikeInitiated', labels: { version: '2' } },
  'v1.ike.initiated': { metric: 'ikeInitiated', labels: { version: '1' } },
  'ike.established': { metric: 'ikeEstablished', labels: { version: '2' } },
  'v1.ike.established': { metric: 'ikeEstablished', labels: { version: '1' } },
  'ike.halfopen.timeout': { metric: 'halfOpenTimeouts', labels: {} },
  'child.installed': { metric: 'childInstalled', labels: { version: '2' } },
  'v1.child.installed': { metric: 'childInstalled', labels: { version: '1' } },
  'ike.rekeyed.initiator': { metric: 'ikeRekeys', labels: { version: '2', role: 'initiator' } },
  'ike.rekeyed.responder': { metric: 'ikeRekeys', labels: { version: '2', role: 'responder' } },
  'v1.ike.rekey': { metric: 'ikeRekeys', labels: { version: '1', role: 'initiator' } },
  'child.rekeyed': { metric: 'childRekeys', labels: { version: '2', role: 'initiator' } },
  'child.rekey.responded': { metric: 'childRekeys', labels: { version: '2', role: 'responder' } },
  'v1.child.rekeyed': { metric: 'childRekeys', labels: { version: '1', role: 'initiator' } },
  'ike.rekey.collision.won': { metric: 'rekeyCollisions', labels: { sa: 'ike', outcome: 'won' } },
  'ike.rekey.collision.lost': { metric: 'rekeyCollisions', labels: { sa: 'ike', outcome: 'lost' } },
  'child.rekey.collision.won': { metric: 'rekeyCollisions', labels: { sa: 'child', outcome: 'won' } },
  'child.rekey.collision.lost': { metric: 'rekeyCollisions', labels: { sa: 'child', outcome: 'lost' } },
  'ike.delete.sent': { metric: 'deletes', labels: { version: '2', sa: 'ike', direction: 'sent' } },
  'child.delete.sent': { metric: 'deletes', labels: { version: '2', sa: 'child', direction: 'sent' } },
  'ike.delete.received': { metric: 'deletes', labels: { version: '2', sa: 'ike', direction: 'received' } },
  'child.delete.received': { metric: 'deletes', labels: { version: '2', sa: 'child', direction: 'received' } },
  'v1.delete.sent.ike': { metric: 'deletes', labels: { version: '1', sa: 'ike', direction: 'sent' } },
  'v1.delete.sent.child': { metric: 'deletes', labels: { version: '1', sa: 'child', direction: 'sent' } },
  'v1.delete.received.ike': { metric: 'deletes', labels: { version: '1', sa: 'ike', direction: 'received' } },
  'v1.delete.received.child': { metric: 'deletes', labels: { version: '1', sa: 'child', direction: 'received' } },
  'dpd.check.sent': { metric: 'dpdChecks', labels: { version: '2' } },
  'v1.dpd.sent': { metric: 'dpdChecks', labels: { version: '1' } },
  'dpd.peer.dead': { metric: 'dpdDead', labels: { version: '2' } },
  'v1.dpd.dead': { metric: 'dpdDead', labels: { version: '1' } },
  'msg.tx.retransmit': { metric: 'retransmits', labels: { version: '2', kind: 'request' } },
  'msg.tx.response.retransmit': { metric: 'retransmits', labels: { version: '2', kind: 'response' } },
  'v1.tx.retransmit': { metric: 'retransmits', labels: { version: '1', kind: 'request' } },
  'msg.rx': { metric: 'rx', labels: { version: '2' } },
  'v1.rx': { metric: 'rx', labels: { version: '1' } },
  'ike.init.cookie.sent': { metric: 'cookies', labels: { event: 'sent' } },
  'ike.init.cookie.accepted': { metric: 'cookies', labels: { event: 'accepted' } },
  'ike.init.cookie.invalid': { metric: 'cookies', labels: { event: 'invalid' } },
  'ike.init.cookie.received': { metric: 'cookies', labels: { event: 'received' } },
  'esp.rx.packets': { metric: 'espPacketsDp', labels: { direction: 'in' } },
  'esp.tx.packets': { metric: 'espPacketsDp', labels: { direction: 'out' } },
  'kernel.error.add': { metric: 'kernelErrors', labels: { op: 'add' } },
  'kernel.error.update': { metric: 'kernelErrors', labels: { op: 'update' } },
  'kernel.error.delete': { metric: 'kernelErrors', labels: { op: 'delete' } },
};

/** FailureRecord['kind'] (src/ike/info.ts). */
const FAILURE_KINDS = ['proposal', 'ts', 'auth', 'peer-notify', 'timeout', 'ke', 'internal', 'config'];
const V2_DROPS = [
  'decode', 'decode_inner', 'exchange', 'flags', 'header', 'ikev1', 'integrity', 'message_id', 'retransmit_mismatch', 'rules',
  'unexpected_response', 'unknown_spi', 'unprotected', 'version', 'init.duplicate', 'init.halfopen_limit', 'init.header',
  'init.missing', 'init.nonce', 'init.pending',
];
const V1_DROPS = [
  'aggressive', 'am1', 'am2', 'am3', 'decode', 'decrypt', 'exchange', 'halfopen_limit', 'hash', 'mm1', 'mm3', 'mm4', 'mm5', 'mm6',
  'no_connection', 'qm', 'qm1', 'state', 'unknown_spi', 'unprotected',
];
const ESP_RX_DROPS = ['auth', 'replay', 'malformed', 'badSpi', 'policy', 'noDevice', 'truncated', 'dummy', 'expired', 'innerMismatch', 'error'];
const ESP_TX_DROPS = ['malformed', 'noPolicy', 'noSa', 'expired', 'seqOverflow', 'noEncap', 'sendError', 'error'];
const UDP_RX_DROPS = ['short', 'esp'];
const UDP_TX_DROPS = ['espNotNatT', 'keepaliveNotNatT', 'badAddress', 'noSocket'];

interface Family {
  readonly prefix: string;
  readonly metric: CounterKey;
  readonly label: string;
  readonly values: readonly string[];
  readonly fixed: Readonly<Record<string, string>>;
}

/** Counter names of the form prefix + one of a closed list of suffixes. */
const FAMILIES: readonly Family[] = [
  { prefix: 'failure.', metric: 'failures', label: 'kind', values: FAILURE_KINDS, fixed: {} },
  { prefix: 'child.failed.', metric: 'childFailed', label: 'kind', values: FAILURE_KINDS, fixed: {} },
  { prefix: 'msg.rx.drop.', metric: 'rxDropped', label: 'reason', values: V2_DROPS, fixed: { version: '2' } },
  { prefix: 'v1.rx.drop.', metric: 'rxDropped', label: 'reason', values: V1_DROPS, fixed: { version: '1' } },
  { prefix: 'esp.rx.drop.', metric: 'espDropped', label: 'reason', values: ESP_RX_DROPS, fixed: { direction: 'in' } },
  { prefix: 'esp.tx.drop.', metric: 'espDropped', label: 'reason', values: ESP_TX_DROPS, fixed: { direction: 'out' } },
  { prefix: 'udp.rx.drop.', metric: 'udpDropped', label: 'reason', values: UDP_RX_DROPS, fixed: { direction: 'in' } },
  { prefix: 'udp.tx.drop.', metric: 'udpDropped', label: 'reason', values: UDP_TX_DROPS, fixed: { direction: 'out' } },
];

/** Prometheus label values may hold dots, but underscores read better in PromQL. */
const labelValue = (s: string): string => s.replace(/\./g, '_');

/** The metric and labels for one counter name, or undefined when it is not mapped (it still appears in keyway_events_total). */
export function mapCounter(name: string): Mapped | undefined {
  const exact = EXACT[name];
  if (exact !== undefined) return exact;
  for (const f of FAMILIES) {
    if (!name.startsWith(f.prefix)) continue;
    const suffix = name.slice(f.prefix.length);
    return { metric: f.metric, labels: { ...f.fixed, [f.label]: f.values.includes(suffix) ? labelValue(suffix) : 'other' } };
  }
  return undefined;
}

/**
 * Every series the map can produce, so that each one exists (at 0) from the
 * first scrape: `rate()` and `increase()` need the zero sample.
 */
export function allMappedSeries(): readonly Mapped[] {
  const out: Mapped[] = Object.values(EXACT);
  for (const f of FAMILIES) {
    for (const v of [...f.values, 'other']) out.push({ metric: f.metric, labels: { ...f.fixed, [f.label]: labelValue(v) } });
  }
  return out;
}
