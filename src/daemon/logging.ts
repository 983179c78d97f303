/**
 * The daemon's Logger (src/ike/ports.ts): one record per line, either a JSON
 * object (`--log-format json`, the default; easy for journald/jq) or a human
 * `key=value` line (`--log-format text`).
 *
 * Redaction guard (ARCHITECTURE B5.6): the Logger contract already says
 * fields never carry key material; as a second line of defence any field whose
 * name looks like a secret (key, secret, psk, nonce, password, SK_*) is printed
 * as "[redacted]" unless key logging was explicitly switched on.
 */
import type { LogLevel, Logger } from '../ike/ports.js';

export type LogFormat = 'json' | 'text';

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format?: LogFormat;
  /** allow secret-looking fields through (only with the debug key log on) */
  readonly allowSecrets?: boolean;
  /** line sink; default process.stdout */
  readonly write?: (line: string) => void;
  /** epoch ms source for the `time` field; default Date.now */
  readonly now?: () => number;
}

const RANK: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug', 'trace'];

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export const REDACTED = '[redacted]';
const MAX_DEPTH = 6;

/** Words after "key" that make a name harmless metadata, e.g. keyExchange, keyBits. */
const KEY_METADATA = new Set(['exchange', 'bits', 'length', 'len', 'size', 'id', 'type', 'method', 'log']);
const SECRET_WORDS = new Set(['secret', 'secrets', 'psk', 'nonce', 'nonces', 'password', 'passphrase', 'private', 'skeyseed', 'keymat', 'shared']);

/** Splits camelCase, snake_case, kebab-case and dotted names into lower-case words. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/**
 * Field names come from the code, a few dozen of them: remember the verdict
 * (the word split below was a measurable part of a busy daemon's CPU).
 */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 4096;

/** True for field names that may hold key material (skEi, sk_ar, psk, nonceI, privateKey, ...). */
export function isSecretFieldName(name: string): boolean {
  let v = verdicts.get(name);
  if (v === undefined) {
    v = classify(name);
    if (verdicts.size < MAX_VERDICTS) verdicts.set(name, v);
  }
  return v;
}

function classify(name: string): boolean {
  const w = words(name);
  // SK_ei, SK_d, skAi: RFC 7296 §2.14 key names
  if (/^sk[_-]?[a-z]{1,2}$/i.test(name) || (w[0] === 'sk' && w.length > 1)) return true;
  for (let i = 0; i < w.length; i++) {
    const cur = w[i] ?? '';
    if (SECRET_WORDS.has(cur)) return true;
    if (cur === 'key' || cur === 'keys') {
      const next = w[i + 1];
      if (next === undefined || !KEY_METADATA.has(next)) return true;
    }
  }
  return false;
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** Makes a JSON-safe copy: redacts secret names, hexes bytes, flattens errors, caps depth. */
export function sanitize(value: unknown, allowSecrets: boolean, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'undefined') return null;
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  if (value instanceof Uint8Array) return toHex(value);
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Error) {
    const code = 'code' in value ? (value as { code: unknown }).code : undefined;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code: sanitize(code, allowSecrets, depth + 1) }) };
  }
  if (Array.isArray(value)) return value.slice(0, 100).map((v: unknown) => sanitize(v, allowSecrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = !allowSecrets && isSecretFieldName(k) ? REDACTED : sanitize(v, allowSecrets, depth + 1);
  }
  return out;
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? 'null';
}

export class LineLogger implements Logger {
  readonly #rank: number;
  readonly #format: LogFormat;
  readonly #allowSecrets: boolean;
  readonly #write: (line: string) => void;
  readonly #now: () => number;

  constructor(opts: LoggerOptions) {
    this.#rank = RANK[opts.level];
    this.#format = opts.format ?? 'json';
    this.#allowSecrets = opts.allowSecrets ?? false;
    this.#write = opts.write ?? (defaultSink ??= batchedStdout());
    this.#now = opts.now ?? Date.now;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= this.#rank;
  }

  log(level: LogLevel, event: string, fields: Readonly<Record<string, unknown>>): void {
    if (!this.enabled(level)) return;
    try {
      const clean = sanitize(fields, this.#allowSecrets);
      const rest = typeof clean === 'object' && clean !== null ? (clean as Record<string, unknown>) : {};
      // Reserved names win: a field called "level" must not forge the record's level.
      const { time: _t, level: _l, event: _e, ...extra } = rest;
      const time = new Date(this.#now()).toISOString();
      if (this.#format === 'json') {
        this.#write(`${JSON.stringify({ time, level, event, ...extra })}\n`);
      } else {
        const kv = Object.entries(extra).map(([k, v]) => `${k}=${textValue(v)}`);
        this.#write(`${[`time=${time}`, `level=${level}`, `event=${textValue(event)}`, ...kv].join(' ')}\n`);
      }
    } catch {
      // Logging must never take the daemon down (e.g. a closed stdout).
    }
  }
}

/**
 * The default sink: lines written in the same event-loop turn go out in one
 * write (stdout to a file or pipe is synchronous in Node, one syscall per
 * line otherwise), at the end of the turn; whatever is pending is flushed
 * synchronously when the process exits.
 */
let defaultSink: ((line: string) => void) | undefined;

function batchedStdout(): (line: string) => void {
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    try {
      process.stdout.write(text);
    } catch {
      // a closed stdout must not take the daemon down
    }
  };
  process.once('exit', flush);
  return (line) => {
    pending.push(line);
    if (pending.length >= 256) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

export function createLogger(opts: LoggerOptions): LineLogger {
  return new LineLogger(opts);
}
