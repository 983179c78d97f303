/** Recent teardowns with their reasons (iked sa_setreason), for logs and the CLI. */
export interface TeardownRecord {
  readonly at: string;
  readonly kind: 'ike' | 'child';
  readonly uniqueId: number;
  /** connection (IKE) or connection/child (CHILD) */
  readonly name: string;
  readonly reason: string;
}

export class TeardownHistory {
  private readonly records: TeardownRecord[] = [];
  constructor(
    private readonly now: () => number,
    private readonly capacity = 200,
  ) {}

  add(r: Omit<TeardownRecord, 'at'>): void {
    this.records.push({ at: new Date(this.now()).toISOString(), ...r });
    if (this.records.length > this.capacity) this.records.shift();
  }

  /** newest last; filtered by connection name prefix if given */
  list(connection?: string): readonly TeardownRecord[] {
    if (connection === undefined) return [...this.records];
    return this.records.filter((r) => r.name === connection || r.name.startsWith(`${connection}/`));
  }
}
