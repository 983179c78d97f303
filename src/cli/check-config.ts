/**
 * `keyway check-config FILE`: the one CLI command that runs locally, without
 * the daemon. It loads src/config/load.ts lazily (variable specifier), so the
 * other commands never pull in the config layer.
 */
import type { CliIo } from './main.js';

interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly hint?: string;
}

function field(o: object, k: string): unknown {
  return (o as Record<string, unknown>)[k];
}

/** Reads a ConfigError-like object without trusting its shape. */
function toDiagnostic(e: unknown, fallbackFile: string): Diagnostic {
  if (typeof e !== 'object' || e === null) return { file: fallbackFile, line: 0, column: 0, message: String(e) };
  const file = typeof field(e, 'file') === 'string' ? String(field(e, 'file')) : fallbackFile;
  const line = typeof field(e, 'line') === 'number' ? Number(field(e, 'line')) : 0;
  const column = typeof field(e, 'column') === 'number' ? Number(field(e, 'column')) : 0;
  const hint = field(e, 'hint');
  let message = typeof field(e, 'message') === 'string' ? String(field(e, 'message')) : String(e);
  // ConfigError (src/util/errors.ts) already prefixes "file:line:col: " and appends the hint.
  const prefix = `${file}:${line}:${column}: `;
  if (message.startsWith(prefix)) message = message.slice(prefix.length);
  const hintSuffix = typeof hint === 'string' ? ` (hint: ${hint})` : '';
  if (hintSuffix !== '' && message.endsWith(hintSuffix)) message = message.slice(0, -hintSuffix.length);
  return typeof hint === 'string' ? { file, line, column, message, hint } : { file, line, column, message };
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}${d.hint === undefined ? '' : ` (hint: ${d.hint})`}`;
}

function countOf(config: unknown, key: string): number {
  if (typeof config !== 'object' || config === null) return 0;
  const v = field(config, key);
  return Array.isArray(v) ? v.length : 0;
}

function childCount(config: unknown): number {
  if (typeof config !== 'object' || config === null) return 0;
  const conns = field(config, 'connections');
  if (!Array.isArray(conns)) return 0;
  return conns.reduce((n: number, c: unknown) => n + countOf(c, 'children'), 0);
}

export async function checkConfig(path: string, json: boolean, io: CliIo): Promise<number> {
  const spec = '../config/load.js';
  const mod: unknown = await import(spec);
  const load: unknown = typeof mod === 'object' && mod !== null ? field(mod, 'loadConfigFile') : undefined;
  if (typeof load !== 'function') throw new Error('config loader (loadConfigFile) is not available');
  const res: unknown = await (load as (p: string) => unknown)(path);
  if (typeof res !== 'object' || res === null) throw new Error('config loader returned nothing');
  const rawErrors = field(res, 'errors');
  const rawWarnings = field(res, 'warnings');
  const errors = (Array.isArray(rawErrors) ? (rawErrors as unknown[]) : []).map((e) => toDiagnostic(e, path));
  const warnings = (Array.isArray(rawWarnings) ? (rawWarnings as unknown[]) : []).map(String);
  const config = field(res, 'config');
  const ok = errors.length === 0 && config !== undefined;
  const summary = {
    connections: countOf(config, 'connections'),
    children: childCount(config),
    secrets: countOf(config, 'secrets'),
    privateKeys: countOf(config, 'privateKeys'),
  };
  if (json) {
    io.out(`${JSON.stringify({ ok, file: path, errors, warnings, ...(ok ? { summary } : {}) }, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  // the loader's warnings read "file:line: warning: ..." already
  for (const w of warnings) io.err(`${/: warning: /.test(w) ? w : `warning: ${w}`}\n`);
  for (const d of errors) io.err(`${formatDiagnostic(d)}\n`);
  if (!ok) {
    if (errors.length === 0) io.err(`${path}: configuration could not be loaded\n`);
    return 1;
  }
  io.out(
    `${path}: OK, ${summary.connections} connection(s), ${summary.children} child(ren), ${summary.secrets} secret(s)` +
      `${summary.privateKeys > 0 ? `, ${summary.privateKeys} private key(s)` : ''}` +
      `${warnings.length > 0 ? `, ${warnings.length} warning(s)` : ''}\n`,
  );
  return 0;
}
