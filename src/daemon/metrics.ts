/**
 * Prometheus metrics for `daemon { metrics = ADDR:PORT }` (docs/metrics.md).
 *
 * Nothing is updated on the hot path: at each scrape the engine's counter map
 * and SA list are read once and copied into a private prom-client registry
 * (the default registry and its process metrics are not used, see
 * docs/decisions/0008-prom-client.md). Label values come only from fixed
 * lists (metrics-map.ts), SA states, and connection names from the config,
 * so the number of series is bounded whatever peers send.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionInfo, CountersInfo, IkeSaInfo } from '../ike/info.js';
import { COUNTER_DEFS, allMappedSeries, mapCounter, type CounterKey } from './metrics-map.js';
import { ESTABLISH_BUCKETS_SECONDS } from './metrics-timing.js';

/** What a scrape reads: the engine as the control server sees it (with transport and dataplane counters). */
export interface MetricsSource {
  counters(): CountersInfo;
  listSas(): Promise<readonly IkeSaInfo[]>;
  listConnections(): readonly ConnectionInfo[];
}

/** IKE SA states of IKEv2 (ike-sa.ts) and IKEv1 (v1-sa.ts); anything else is reported as 'other'. */
const IKE_STATES = ['created', 'connecting', 'authenticating', 'established', 'rekeyed', 'deleting', 'mm-sa-sent', 'mm-ke-sent', 'mm-auth-sent', 'am-sent'];
const CHILD_STATES = ['installing', 'installed', 'rekeying', 'rekeyed', 'deleting', 'failed'];
/** keyway_events_total carries at most this many distinct counter names (plus event="other"). */
export const MAX_EVENT_NAMES = 512;

interface Traffic {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
}

export class KeywayMetrics {
  readonly registry = new Registry();
  readonly #source: MetricsSource;
  readonly #counters: Record<CounterKey, Counter>;
  readonly #events: Counter;
  readonly #ikeSas: Gauge;
  readonly #halfOpen: Gauge;
  readonly #childSas: Gauge;
  readonly #connIke: Gauge;
  readonly #connChild: Gauge;
  readonly #espBytes: Counter;
  readonly #espPackets: Counter;
  readonly #scrapeErrors: Counter;
  /** RFC-independent: initiator side, first IKE_SA_INIT request to ESTABLISHED */
  readonly establishSeconds: Histogram;
  /** per live CHILD SA: its traffic counters when last seen; SAs that vanished go into #retired */
  #lastSeen = new Map<number, Traffic>();
  readonly #retired: Traffic = { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 };
  readonly #eventNames = new Set<string>();

  constructor(source: MetricsSource) {
    this.#source = source;
    const registers = [this.registry];
    const counters: Partial<Record<CounterKey, Counter>> = {};
    for (const [key, def] of Object.entries(COUNTER_DEFS) as [CounterKey, (typeof COUNTER_DEFS)[CounterKey]][]) {
      counters[key] = new Counter({ name: def.name, help: def.help, labelNames: [...def.labelNames], registers });
    }
    this.#counters = counters as Record<CounterKey, Counter>;
    this.#events = new Counter({ name: 'keyway_events_total', help: 'Every raw Keyway counter (names as in keyway stats; no stability promise, prefer the typed metrics)', labelNames: ['event'], registers });
    this.#ikeSas = new Gauge({ name: 'keyway_ike_sas', help: 'IKE SAs by IKE version and state', labelNames: ['version', 'state'], registers });
    this.#halfOpen = new Gauge({ name: 'keyway_ike_sas_half_open', help: 'Half-open IKE SAs (initial exchanges not finished), as counted for COOKIE and limit decisions', registers });
    this.#childSas = new Gauge({ name: 'keyway_child_sas', help: 'CHILD SAs by state (installed = carrying traffic)', labelNames: ['version', 'state'], registers });
    this.#connIke = new Gauge({ name: 'keyway_connection_ike_sas_established', help: 'Established IKE SAs per configured connection', labelNames: ['connection'], registers });
    this.#connChild = new Gauge({ name: 'keyway_connection_child_sas_installed', help: 'Installed CHILD SAs per configured connection', labelNames: ['connection'], registers });
    this.#espBytes = new Counter({ name: 'keyway_esp_bytes_total', help: 'ESP payload bytes of CHILD SAs (sum over SAs, see docs/metrics.md for the precision)', labelNames: ['direction'], registers });
    this.#espPackets = new Counter({ name: 'keyway_esp_packets_total', help: 'ESP packets of CHILD SAs (sum over SAs, see docs/metrics.md for the precision)', labelNames: ['direction'], registers });
    this.#scrapeErrors = new Counter({ name: 'keyway_metrics_scrape_errors_total', help: 'Scrapes where reading engine state failed (the metrics are then partial)', registers });
    this.establishSeconds = new Histogram({
      name: 'keyway_ike_sa_establishment_seconds',
      help: 'Initiator: time from the first IKE_SA_INIT request to the established IKE SA (IKEv2)',
      buckets: [...ESTABLISH_BUCKETS_SECONDS],
      registers,
    });
    this.#scrapeErrors.inc(0);
  }

  /** Reads the engine and renders the text format. Never rejects: a failed part is counted and skipped. */
  async render(): Promise<string> {
    this.#fromCounters();
    try {
      const sas = await this.#source.listSas();
      this.#fromSas(sas, this.#source.listConnections());
    } catch {
      this.#scrapeErrors.inc();
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #fromCounters(): void {
    let info: CountersInfo;
    try {
      info = this.#source.counters();
    } catch {
      this.#scrapeErrors.inc();
      return;
    }
    this.#halfOpen.set(info.halfOpen);
    // Counters are recomputed from the engine's totals: reset, then add the current value.
    for (const c of Object.values(this.#counters)) c.reset();
    this.#events.reset();
    for (const s of allMappedSeries()) this.#counters[s.metric].inc(s.labels, 0);
    for (const [name, value] of Object.entries(info.counters)) {
      if (!Number.isFinite(value) || value < 0) continue;
      const m = mapCounter(name);
      if (m !== undefined) this.#counters[m.metric].inc(m.labels, value);
      this.#events.inc({ event: this.#eventLabel(name) }, value);
    }
  }

  /** The counter name itself, while fewer than MAX_EVENT_NAMES were seen (names are code constants; the cap is a backstop). */
  #eventLabel(name: string): string {
    if (this.#eventNames.has(name)) return name;
    if (this.#eventNames.size >= MAX_EVENT_NAMES || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return 'other';
    this.#eventNames.add(name);
    return name;
  }

  #fromSas(sas: readonly IkeSaInfo[], conns: readonly ConnectionInfo[]): void {
    this.#ikeSas.reset();
    this.#childSas.reset();
    this.#connIke.reset();
    this.#connChild.reset();
    for (const v of ['1', '2']) {
      for (const state of [...IKE_STATES, 'other']) this.#ikeSas.set({ version: v, state }, 0);
      for (const state of [...CHILD_STATES, 'other']) this.#childSas.set({ version: v, state }, 0);
    }
    // connection names come from the config (bounded); SAs of a connection removed by a reload are not labelled
    const names = new Set(conns.map((c) => c.name));
    for (const n of names) {
      this.#connIke.set({ connection: n }, 0);
      this.#connChild.set({ connection: n }, 0);
    }
    const seen = new Map<number, Traffic>();
    for (const sa of sas) {
      const version = String(sa.version);
      this.#ikeSas.inc({ version, state: IKE_STATES.includes(sa.state) ? sa.state : 'other' });
      const conn = names.has(sa.connection) ? sa.connection : undefined;
      if (conn !== undefined && sa.state === 'established') this.#connIke.inc({ connection: conn });
      for (const c of sa.children) {
        this.#childSas.inc({ version, state: CHILD_STATES.includes(c.state) ? c.state : 'other' });
        if (conn !== undefined && c.state === 'installed') this.#connChild.inc({ connection: conn });
        seen.set(c.uniqueId, { bytesIn: c.bytesIn, bytesOut: c.bytesOut, packetsIn: c.packetsIn, packetsOut: c.packetsOut });
      }
    }
    this.#traffic(seen);
  }

  /**
   * ESP traffic as monotonic counters: the live SAs' counters plus what SAs
   * that disappeared had shown at the previous scrape (traffic of a deleted
   * SA after that scrape is not counted).
   */
  #traffic(seen: Map<number, Traffic>): void {
    for (const [id, t] of this.#lastSeen) {
      if (seen.has(id)) continue;
      this.#retired.bytesIn += t.bytesIn;
      this.#retired.bytesOut += t.bytesOut;
      this.#retired.packetsIn += t.packetsIn;
      this.#retired.packetsOut += t.packetsOut;
    }
    this.#lastSeen = seen;
    const sum: Traffic = { ...this.#retired };
    for (const t of seen.values()) {
      sum.bytesIn += t.bytesIn;
      sum.bytesOut += t.bytesOut;
      sum.packetsIn += t.packetsIn;
      sum.packetsOut += t.packetsOut;
    }
    this.#espBytes.reset();
    this.#espPackets.reset();
    this.#espBytes.inc({ direction: 'in' }, sum.bytesIn);
    this.#espBytes.inc({ direction: 'out' }, sum.bytesOut);
    this.#espPackets.inc({ direction: 'in' }, sum.packetsIn);
    this.#espPackets.inc({ direction: 'out' }, sum.packetsOut);
  }
}
