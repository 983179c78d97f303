/**
 * Named event and drop counters (iked `ikestat`; ARCHITECTURE B5.5: every
 * silent drop increments a counter). Names are stable, dot-separated.
 */
export class Counters {
  private readonly values = new Map<string, number>();

  inc(name: string, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.values.keys()].sort()) out[k] = this.values.get(k) ?? 0;
    return out;
  }
}
