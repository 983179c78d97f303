/**
 * Human-readable output for `keyway` (the `--json` output is the protocol
 * result itself, see docs/cli.md). Layout follows `swanctl --list-sas`, so
 * people who know strongSwan can read it at a glance. Pure functions: `now`
 * is passed in so tests are deterministic.
 */
import type {
  AlgorithmInfo,
  ChildSaInfo,
  ConnectionInfo,
  CountersInfo,
  FailureRecord,
  FlushResult,
  IkeSaInfo,
  InitiateResult,
  ReloadResult,
  TeardownRecord,
  TerminateResult,
  VersionResult,
} from '../control/protocol.js';

/** "AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519" (swanctl style). */
export function formatAlgorithms(a: AlgorithmInfo): string {
  const parts = [a.encryptionKeyBits === undefined ? a.encryption : `${a.encryption}-${a.encryptionKeyBits}`];
  if (a.integrity !== undefined) parts.push(a.integrity);
  if (a.prf !== undefined) parts.push(a.prf);
  if (a.keyExchange !== undefined) parts.push(a.keyExchange);
  if (a.esn === true) parts.push('ESN');
  return parts.join('/');
}

function since(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${Math.max(0, Math.round((now - t) / 1000))}s ago`;
}

/** "established 17s ago, rekeying in 3500s, expires in 3900s" */
function timeline(
  verb: string,
  at: string | null,
  times: readonly (readonly [string, number | null])[],
  now: number,
): string {
  const parts: string[] = [at === null ? `not ${verb}` : `${verb} ${since(at, now)}`];
  for (const [what, secs] of times) if (secs !== null) parts.push(`${what} in ${Math.round(secs)}s`);
  return parts.join(', ');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

function formatTs(local: readonly string[], remote: readonly string[]): string {
  const l = local.length > 0 ? local.join(' ') : '(none)';
  const r = remote.length > 0 ? remote.join(' ') : '(none)';
  return `${l} === ${r}`;
}

function formatChild(c: ChildSaInfo, now: number): string[] {
  const encap = c.encap ? '-in-UDP' : '';
  return [
    `  ${c.name}: #${c.uniqueId}, ${c.state.toUpperCase()}, ${c.mode.toUpperCase()}${encap}, ${c.protocol.toUpperCase()}:${formatAlgorithms(c.algorithms)}`,
    `    ${timeline('installed', c.establishedAt, [['rekeying', c.rekeyIn], ['expires', c.expiresIn]], now)}${c.generation > 0 ? `, generation ${c.generation}` : ''}`,
    `    in  ${c.spiIn}, ${lpad(String(c.bytesIn), 10)} bytes, ${lpad(String(c.packetsIn), 8)} packets`,
    `    out ${c.spiOut}, ${lpad(String(c.bytesOut), 10)} bytes, ${lpad(String(c.packetsOut), 8)} packets`,
    `    ${formatTs(c.localTs, c.remoteTs)}`,
  ];
}

/** `keyway list-sas` */
export function formatSas(sas: readonly IkeSaInfo[], now: number): string {
  if (sas.length === 0) return 'no IKE SAs\n';
  const lines: string[] = [];
  for (const sa of sas) {
    // swanctl marks our own SPI with '*'
    const spiI = `${sa.spiI}_i${sa.initiator ? '*' : ''}`;
    const spiR = `${sa.spiR}_r${sa.initiator ? '' : '*'}`;
    lines.push(`${sa.connection}: #${sa.uniqueId}, ${sa.state.toUpperCase()}, IKEv${sa.version}${sa.mode === undefined ? '' : ` ${sa.mode} mode`}, ${spiI} ${spiR}`);
    lines.push(`  local  '${sa.local.id}' @ ${sa.local.address}[${sa.local.port}]${sa.natLocal ? ' [NAT]' : ''}${sa.localAuth === undefined ? '' : ` (${sa.localAuth})`}`);
    lines.push(`  remote '${sa.remote.id}' @ ${sa.remote.address}[${sa.remote.port}]${sa.natRemote ? ' [NAT]' : ''}${sa.remoteAuth === undefined ? '' : ` (${sa.remoteAuth})`}`);
    lines.push(`  ${formatAlgorithms(sa.algorithms)}`);
    lines.push(
      `  ${timeline('established', sa.establishedAt, [['rekeying', sa.rekeyIn], ['reauth', sa.reauthIn], ['expires', sa.expiresIn]], now)}${sa.generation > 0 ? `, generation ${sa.generation}` : ''}`,
    );
    for (const c of sa.children) lines.push(...formatChild(c, now));
    const gone = sa.recentTeardowns ?? [];
    if (gone.length > 0) {
      lines.push('  last teardowns:');
      for (const t of gone.slice(-3)) lines.push(`    ${since(t.at, now)} ${t.kind === 'ike' ? 'IKE' : 'CHILD'} #${t.uniqueId}: ${t.reason}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `keyway list-conns` */
export function formatConnections(conns: readonly ConnectionInfo[]): string {
  if (conns.length === 0) return 'no connections loaded\n';
  const lines: string[] = [];
  for (const c of conns) {
    const v = c.version === 0 ? 'IKEv1/IKEv2' : `IKEv${c.version}`;
    const local = c.localAddrs.length > 0 ? c.localAddrs.join(',') : '%any';
    const remote = c.remoteAddrs.length > 0 ? c.remoteAddrs.join(',') : '%any';
    lines.push(`${c.name}: ${v}, ${local}[${c.localPort}]...${remote}[${c.remotePort}]`);
    lines.push(`  proposals: ${c.proposals.join(', ')}`);
    for (const a of c.localAuth) lines.push(`  local:  ${a.method} '${a.id}'`);
    for (const a of c.remoteAuth) lines.push(`  remote: ${a.method} '${a.id}'`);
    for (const ch of c.children) {
      lines.push(`  ${ch.name}: ${ch.mode.toUpperCase()}, start_action=${ch.startAction}`);
      lines.push(`    esp: ${ch.espProposals.join(', ')}`);
      lines.push(`    ${formatTs(ch.localTs, ch.remoteTs)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `keyway stats` */
export function formatStats(s: CountersInfo): string {
  const lines = [`IKE SAs: ${s.ikeSas} (half-open: ${s.halfOpen}), CHILD SAs: ${s.childSas}`];
  const names = Object.keys(s.counters).sort();
  if (names.length > 0) {
    const w = Math.max(...names.map((n) => n.length));
    lines.push('counters:');
    for (const n of names) lines.push(`  ${pad(n, w)}  ${lpad(String(s.counters[n] ?? 0), 8)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `keyway failures` (oldest first, as the engine returns them) */
export function formatFailures(fs: readonly FailureRecord[]): string {
  if (fs.length === 0) return 'no failures recorded\n';
  const lines: string[] = [];
  for (const f of fs) {
    const sa = f.ikeSaId === null ? '' : ` #${f.ikeSaId}`;
    lines.push(`${f.at} ${f.connection ?? '-'}${sa} ${f.peer} ${f.kind} ${f.exchange}: ${f.message}`);
    const keys = Object.keys(f.detail);
    if (keys.length > 0) lines.push(`  detail: ${JSON.stringify(f.detail)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatInitiate(conn: string, r: InitiateResult): string {
  if (!r.ok) return `initiating ${conn} failed: ${r.error ?? 'unknown error'}\n`;
  const child = r.childSaId === undefined ? '' : `, CHILD SA #${r.childSaId}`;
  return `initiated ${conn}: IKE SA #${r.ikeSaId ?? '?'}${child}\n`;
}

export function formatTerminate(r: TerminateResult): string {
  const what = r.kind === 'ike' ? 'IKE SA' : 'CHILD SA';
  return r.ok ? `terminated ${what} #${r.id}\n` : `no ${what} with id #${r.id}\n`;
}

export function formatReload(r: ReloadResult): string {
  if (r.ok) return 'configuration reloaded\n';
  return `reload failed, running configuration kept:\n${r.errors.map((e) => `  ${e}`).join('\n')}\n`;
}

/** "flushed 2 IKE SA(s), 3 CHILD SA(s), 1 trap(s); xfrm dataplane: nothing left installed" (docs/cli.md) */
export function formatFlush(r: FlushResult): string {
  const head = `flushed ${r.ikeSas} IKE SA(s), ${r.childSas} CHILD SA(s), ${r.traps} trap(s)`;
  const wait = r.unanswered > 0 ? `\n  ${r.unanswered} peer(s) did not answer the DELETE yet (retransmitting in the background)` : '';
  const dp = r.dataplane === undefined ? '' : r.ok ? `; ${r.dataplane} dataplane: nothing left installed` : `; ${r.dataplane} dataplane: removal errors:`;
  return `${head}${dp}${r.errors.map((e) => `\n  ${e}`).join('')}${wait}\n`;
}

export function formatVersion(cli: string, d: VersionResult): string {
  return `keyway ${cli}\ndaemon ${d.daemon} (protocol v${d.protocol}, node ${d.node})\n`;
}

/** `keyway history`: recent teardowns, oldest first. */
export function formatHistory(rs: readonly TeardownRecord[]): string {
  if (rs.length === 0) return 'no teardowns recorded\n';
  return rs.map((r) => `${r.at}  ${r.kind === 'ike' ? 'IKE  ' : 'CHILD'} #${r.uniqueId} ${r.name}: ${r.reason}\n`).join('');
}
