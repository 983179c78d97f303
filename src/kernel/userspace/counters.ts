/**
 * Named counters of the userspace dataplane (ARCHITECTURE B1.6: every drop is
 * counted). Names: `esp.tx.*` outbound (TUN -> network), `esp.rx.*` inbound,
 * `*.drop.<reason>` for each discarded packet, `sa.*` for SA events.
 */
export class DataplaneCounters {
  readonly #m = new Map<string, number>();

  inc(name: string, by = 1): void {
    this.#m.set(name, (this.#m.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.#m.get(name) ?? 0;
  }

  snapshot(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#m);
  }
}
