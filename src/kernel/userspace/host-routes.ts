/**
 * What the userspace dataplane changes on the host, and how it undoes it
 * (docs/userspace.md lists the same):
 *
 *   ip link set dev <tun> mtu <mtu> up             (the TUN device itself vanishes on close)
 *   ip addr add <tun_addresses> dev <tun>          (only if configured)
 *   ip [-6] rule add pref <T-1> ipproto udp sport <ike port|nat-t port> lookup main
 *   ip [-6] rule add pref <T> lookup <T>
 *   ip [-6] route replace <remote TS as prefixes> dev <tun> table <T> [src <local addr in local TS>]
 *
 * Routes live in their own table <T> (default 220, like strongSwan), consulted
 * by one rule, so the main table is never touched. The higher-priority rules
 * keep the daemon's own IKE and ESP-in-UDP datagrams out of the tunnel when a
 * remote traffic selector covers the peer's address (transport mode, 0.0.0.0/0).
 * On exit: routes, then rules are deleted; closing the TUN removes its addresses.
 */
import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import type { PolicySpec, Selector } from '../../ike/dataplane.js';
import type { Logger } from '../../ike/ports.js';
import { formatIp, parseIp } from '../../policy/ip.js';
import { KernelError } from '../../util/errors.js';
import type { RouteHooks } from './userspace-dataplane.js';

export type IpRunner = (args: readonly string[]) => Promise<void>;

/** Runs `ip ARGS`; rejects with KernelError carrying ip's message. */
export const runIp: IpRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile('ip', [...args], { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new KernelError('KERNEL_IP', `ip ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });

/** Inclusive address range -> the fewest CIDR prefixes covering exactly it. */
export function rangeToPrefixes(family: 4 | 6, start: bigint, end: bigint): string[] {
  const bits = family === 4 ? 32 : 128;
  const out: string[] = [];
  let cur = start;
  while (cur <= end) {
    let size = 0;
    // grow the block while it stays aligned and inside the range
    while (size < bits && (cur & ((1n << BigInt(size + 1)) - 1n)) === 0n && cur + (1n << BigInt(size + 1)) - 1n <= end) size++;
    out.push(`${formatIp(family, cur)}/${bits - size}`);
    cur += 1n << BigInt(size);
    if (out.length > 64) break; // a pathological range: cap the number of routes
  }
  return out;
}

/** A local interface address inside the selector, used as the route's source. */
export function localSourceIn(sel: Selector, extra: readonly string[] = []): string | undefined {
  const lo = parseIp(sel.startAddress);
  const hi = parseIp(sel.endAddress);
  if (lo === undefined || hi === undefined) return undefined;
  const candidates = [...extra, ...Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address))];
  for (const c of candidates) {
    const ip = parseIp(c.split('/')[0] ?? '');
    if (ip !== undefined && ip.family === sel.family && ip.value >= lo.value && ip.value <= hi.value) return formatIp(ip.family, ip.value);
  }
  return undefined;
}

export interface HostRoutesOptions {
  readonly device: string;
  readonly table: number;
  /** UDP source ports whose datagrams must never enter the tunnel (IKE, NAT-T) */
  readonly bypassPorts: readonly number[];
  /** addresses configured on the TUN (CIDR), also candidates for route sources */
  readonly tunAddresses: readonly string[];
  readonly run?: IpRunner;
  readonly logger?: Logger;
}

export class HostRoutes implements RouteHooks {
  readonly #o: HostRoutesOptions;
  readonly #run: IpRunner;
  /** route key "<family> <prefix>" -> reference count (several policies may share a prefix) */
  readonly #routes = new Map<string, number>();
  readonly #rules: string[][] = [];

  constructor(o: HostRoutesOptions) {
    this.#o = o;
    this.#run = o.run ?? runIp;
  }

  /** Installs the policy-routing rules for both families. */
  async setup(): Promise<void> {
    const t = String(this.#o.table);
    for (const fam of ['-4', '-6']) {
      for (const port of new Set(this.#o.bypassPorts)) {
        await this.#addRule([fam, 'rule', 'add', 'pref', String(this.#o.table - 1), 'ipproto', 'udp', 'sport', String(port), 'lookup', 'main']);
      }
      await this.#addRule([fam, 'rule', 'add', 'pref', t, 'lookup', t]);
    }
  }

  async policyAdded(p: PolicySpec): Promise<void> {
    const src = localSourceIn(p.local, this.#o.tunAddresses);
    for (const key of this.#prefixes(p.remote)) {
      const n = this.#routes.get(key) ?? 0;
      this.#routes.set(key, n + 1);
      if (n > 0) continue;
      const [fam, prefix] = key.split(' ') as [string, string];
      await this.#run([fam, 'route', 'replace', prefix, 'dev', this.#o.device, 'table', String(this.#o.table), ...(src !== undefined ? ['src', src] : [])]);
      this.#o.logger?.log('debug', 'userspace.route.added', { prefix, device: this.#o.device, table: this.#o.table, src: src ?? null });
    }
  }

  async policyRemoved(p: PolicySpec): Promise<void> {
    for (const key of this.#prefixes(p.remote)) {
      const n = this.#routes.get(key) ?? 0;
      if (n > 1) {
        this.#routes.set(key, n - 1);
        continue;
      }
      if (n === 0) continue;
      this.#routes.delete(key);
      await this.#delRoute(key);
    }
  }

  async flush(): Promise<void> {
    for (const key of [...this.#routes.keys()]) await this.#delRoute(key);
    this.#routes.clear();
    for (const r of this.#rules.splice(0).reverse()) {
      await this.#run(r.map((a) => (a === 'add' ? 'del' : a))).catch(() => undefined);
    }
  }

  #prefixes(sel: Selector): string[] {
    const lo = parseIp(sel.startAddress);
    const hi = parseIp(sel.endAddress);
    if (lo === undefined || hi === undefined) return [];
    const fam = sel.family === 4 ? '-4' : '-6';
    return rangeToPrefixes(sel.family, lo.value, hi.value).map((p) => `${fam} ${p}`);
  }

  async #delRoute(key: string): Promise<void> {
    const [fam, prefix] = key.split(' ') as [string, string];
    // the route is gone already if the TUN was closed first: ignore errors
    await this.#run([fam, 'route', 'del', prefix, 'dev', this.#o.device, 'table', String(this.#o.table)]).catch(() => undefined);
  }

  async #addRule(args: string[]): Promise<void> {
    // a rule left behind by a crashed daemon would make `add` fail with EEXIST
    await this.#run(args.map((a) => (a === 'add' ? 'del' : a))).catch(() => undefined);
    await this.#run(args);
    this.#rules.push(args);
  }
}
