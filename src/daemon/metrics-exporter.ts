/**
 * The exporter's lifecycle for the daemon: started when the config has
 * `daemon { metrics = ... }`, moved when a reload changes the address,
 * stopped when a reload removes it and on shutdown. The metric objects
 * outlive a restart of the HTTP server, so histograms and the retired ESP
 * traffic are not lost by a reload. prom-client (and its dependencies, about
 * 100 ms of module loading) is imported only when metrics are first enabled.
 */
import type { Logger } from '../ike/ports.js';
import type { MetricsAddress, MetricsServer } from './metrics-http.js';
import type { KeywayMetrics, MetricsSource } from './metrics.js';
import type { EstablishTimer } from './metrics-timing.js';

export class MetricsExporter {
  readonly timer: EstablishTimer;
  readonly #source: MetricsSource;
  readonly #logger: Logger;
  #metrics: KeywayMetrics | undefined;
  #server: MetricsServer | undefined;
  #wanted: MetricsAddress | undefined;
  /** apply() calls run one after another (a reload during a start must not leak a server) */
  #chain: Promise<void> = Promise.resolve();

  /** `timer` wraps the engine's logger, so it exists before the engine (and this exporter) does */
  constructor(source: MetricsSource, logger: Logger, timer: EstablishTimer) {
    this.#source = source;
    this.timer = timer;
    this.#logger = logger;
  }

  /** the metric objects, once the exporter was started */
  get metrics(): KeywayMetrics | undefined {
    return this.#metrics;
  }

  /** the address actually bound, when running */
  get address(): MetricsAddress | undefined {
    return this.#server?.address;
  }

  /**
   * Makes the exporter match the config: start, restart on another address, or stop.
   * Rejects only when starting fails (address in use, not local); the caller decides
   * whether that is fatal (daemon start) or a warning (reload).
   */
  apply(address: MetricsAddress | undefined): Promise<void> {
    const run = this.#chain.then(() => this.#apply(address));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  close(): Promise<void> {
    return this.apply(undefined);
  }

  async #apply(address: MetricsAddress | undefined): Promise<void> {
    const same = address !== undefined && this.#wanted !== undefined && address.host === this.#wanted.host && address.port === this.#wanted.port;
    if (same && this.#server !== undefined) return;
    if (this.#server !== undefined) {
      await this.#server.close();
      this.#logger.log('info', 'metrics.stopped', { host: this.#server.address.host, port: this.#server.address.port });
      this.#server = undefined;
    }
    this.#wanted = address;
    if (address === undefined) return;
    const [{ KeywayMetrics: Metrics }, { startMetricsServer }] = await Promise.all([import('./metrics.js'), import('./metrics-http.js')]);
    if (this.#metrics === undefined) {
      const metrics = new Metrics(this.#source);
      this.#metrics = metrics;
      this.timer.setSink((s) => metrics.establishSeconds.observe(s));
    }
    this.#server = await startMetricsServer({ address, metrics: this.#metrics, logger: this.#logger });
    this.#logger.log('info', 'metrics.listening', { host: this.#server.address.host, port: this.#server.address.port, path: '/metrics' });
  }
}
