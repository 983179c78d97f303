/**
 * The CHILD SA counters both daemons report, for the userspace dataplane
 * tests (traffic itself comes from udp-echo.ts).
 */
import type { IkeSaInfo } from '../../../src/ike/info.js';
import type { SwanIkeSa } from './vici-raw.js';

export interface ChildCounters {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
}

export function keywayChildCounters(sas: readonly IkeSaInfo[]): ChildCounters | undefined {
  const c = sas[0]?.children.find((x) => x.state === 'installed');
  return c === undefined ? undefined : { bytesIn: c.bytesIn, bytesOut: c.bytesOut, packetsIn: c.packetsIn, packetsOut: c.packetsOut };
}

export function swanChildCounters(sas: readonly SwanIkeSa[]): ChildCounters | undefined {
  const c = sas[0]?.children.find((x) => x.state === 'INSTALLED');
  if (c === undefined) return undefined;
  const n = (k: string): number => {
    const v = c.raw[k];
    return typeof v === 'string' ? Number(v) : NaN;
  };
  return { bytesIn: n('bytes-in'), bytesOut: n('bytes-out'), packetsIn: n('packets-in'), packetsOut: n('packets-out') };
}

/** Counter snapshot of `keyway stats --json` (engine + transport + dataplane counters). */
export function statsCounters(stats: unknown): Readonly<Record<string, number>> {
  const c = (stats as { counters?: unknown }).counters;
  return typeof c === 'object' && c !== null ? (c as Record<string, number>) : {};
}
