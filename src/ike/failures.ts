/**
 * Negotiation failure records: one structured record per failure, logged and
 * kept in a bounded ring for `keyway failures`.
 */
import type { FailureRecord } from './info.js';

export class FailureLog {
  private readonly records: FailureRecord[] = [];
  constructor(private readonly capacity = 100) {}

  add(r: FailureRecord): void {
    this.records.push(r);
    if (this.records.length > this.capacity) this.records.shift();
  }

  list(): readonly FailureRecord[] {
    return [...this.records];
  }
}
