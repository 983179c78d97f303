/**
 * Table-driven validation helpers shared by validate*.ts. Every problem becomes
 * a ConfigError with file:line:column that names the key, the bad value and what
 * is valid; errors are collected in the context (never thrown), so one run
 * reports all of them.
 */
import { ConfigError } from '../util/errors.js';
import type { AstEntry, AstKeyValue, AstSection } from './parser.js';
import type { Parsed } from './values.js';
import type { SourcePos } from './proposals.js';

export interface Ctx {
  readonly file: string;
  readonly errors: ConfigError[];
  readonly warnings: string[];
  /** reads the key files the config names (keys.ts over the file system; a fake in tests) */
  readonly keys: KeyReader;
}

/** A key read from a file: DER re-encoded by the reader, `file` as resolved. */
export interface KeyData {
  readonly file: string;
  /** SubjectPublicKeyInfo DER for public keys, PKCS#8 DER for private keys */
  readonly der: Uint8Array;
  /** 'rsa', 'ec', 'ed25519', ... (node:crypto asymmetricKeyType) */
  readonly keyType: string;
}
export interface PrivateKeyData extends KeyData {
  /** SPKI DER of the matching public key (to find it by `pubkeys`) */
  readonly publicDer: Uint8Array;
}
/** Why a key file could not be used; never holds key bytes or the passphrase. */
export interface KeyReadFailure {
  readonly ok: false;
  readonly reason: string;
  readonly hint: string;
}
export type KeyReadResult<T> = { readonly ok: true; readonly key: T } | KeyReadFailure;

/**
 * The validator's only way to key files (a port, so validate*.ts stay free of
 * node:fs and node:crypto). Paths are as written in the config; the reader
 * resolves relative ones.
 */
export interface KeyReader {
  readPrivateKey(file: string, passphrase: Uint8Array | undefined): KeyReadResult<PrivateKeyData>;
  readPublicKey(file: string): KeyReadResult<KeyData>;
}

export function addError(ctx: Ctx, line: number, column: number, message: string, hint?: string): void {
  ctx.errors.push(new ConfigError(message, ctx.file, line, column, hint));
}

export function addWarning(ctx: Ctx, line: number, message: string): void {
  ctx.warnings.push(`${ctx.file}:${line}: warning: ${message}`);
}

/** A value as it may appear in a message: truncated, control characters replaced. */
export function show(v: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = v.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}

/** Where the text of a value starts (after the opening quote if quoted). */
export function valuePos(ctx: Ctx, kv: AstKeyValue, offset = 0): SourcePos {
  return { file: ctx.file, line: kv.valueLine, column: kv.valueColumn + (kv.quoted ? 1 : 0) + offset };
}

/** Reads one key's value; reports its own errors and returns undefined on failure. */
export type Field<T> = (ctx: Ctx, kv: AstKeyValue, path: string) => T | undefined;

/** Adapt a values.ts parser into a Field. */
export function scalar<T>(parse: (v: string) => Parsed<T>): Field<T> {
  return (ctx, kv, path) => {
    const r = parse(kv.value);
    if (r.ok) return r.value;
    addError(ctx, kv.valueLine, kv.valueColumn, `invalid value '${show(kv.value)}' for '${path}${kv.key}'`, `expected ${r.expected}`);
    return undefined;
  };
}

/** Call a parser that throws ConfigError (proposals, identities, selectors) and collect the error. */
export function collect<T>(ctx: Ctx, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError) {
      ctx.errors.push(e);
      return undefined;
    }
    throw e;
  }
}

export type Fields = Readonly<Record<string, Field<unknown>>>;
export type FieldValues<F extends Fields> = { -readonly [K in keyof F]?: Exclude<ReturnType<F[K]>, undefined> };

export interface SectionRules {
  /** "connections.home." etc., prefixed to key names in messages */
  readonly path: string;
  /** valid swanctl keys that Keyway does not implement yet */
  readonly unsupported?: readonly string[];
  /** handle a subsection; return false if its name is not valid here */
  readonly section?: (s: AstSection) => boolean;
  /** names of valid subsections, for the "unknown section" hint */
  readonly sectionNames?: string;
  /** keys matched by prefix (e.g. "id-foo" in secrets), handled by the callback */
  readonly prefixed?: (kv: AstKeyValue) => boolean;
}

/**
 * Read the key/value entries of one section through a field table. Unknown keys
 * and sections are errors (with the list of valid ones); keys of swanctl that we
 * do not implement get a distinct "not supported yet" error.
 */
export function readSection<F extends Fields>(ctx: Ctx, entries: readonly AstEntry[], fields: F, rules: SectionRules): FieldValues<F> {
  const out: Record<string, unknown> = {};
  const validKeys = Object.keys(fields).join(', ');
  // inside secrets a malformed line may have turned secret text into a key name: never echo it
  const name = (n: string): string => (rules.path.startsWith('secrets') || rules.path.includes('.secrets.') ? '(name not shown inside secrets)' : show(n));
  for (const e of entries) {
    if (e.kind === 'section') {
      if (rules.section?.(e) === true) continue;
      if (rules.unsupported?.includes(e.name) === true) {
        addError(ctx, e.line, e.column, `section '${rules.path}${e.name}' is not supported yet`, 'remove it; see docs/config.md for what Keyway implements');
        continue;
      }
      addError(ctx, e.line, e.column, `unknown section '${rules.path}${name(e.name)}'`, rules.sectionNames ? `valid sections here: ${rules.sectionNames}` : 'no subsections are allowed here');
      continue;
    }
    const field = Object.prototype.hasOwnProperty.call(fields, e.key) ? fields[e.key] : undefined;
    if (field !== undefined) {
      const v = field(ctx, e, rules.path);
      if (v !== undefined) out[e.key] = v;
      continue;
    }
    if (rules.prefixed?.(e) === true) continue;
    if (rules.unsupported?.includes(e.key) === true) {
      addError(ctx, e.line, e.column, `'${rules.path}${e.key}' is not supported yet`, 'remove it; see docs/config.md for what Keyway implements');
      continue;
    }
    addError(ctx, e.line, e.column, `unknown key '${rules.path}${name(e.key)}'`, validKeys === '' ? 'no keys are allowed here' : `valid keys here: ${validKeys}`);
  }
  return out as FieldValues<F>;
}

export function findKv(entries: readonly AstEntry[], key: string): AstKeyValue | undefined {
  for (const e of entries) if (e.kind === 'kv' && e.key === key) return e;
  return undefined;
}
