/**
 * Load a config file: read -> parse -> validate. With keys.ts (the key files
 * the config names), the only module of config/ that touches the file system.
 * All-or-nothing: the result has a config only when there are no errors, so a
 * reload never half-applies (ARCHITECTURE B9).
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../util/errors.js';
import type { KeywayConfig } from './model.js';
import { MAX_CONFIG_BYTES } from './lexer.js';
import { parseConfigText } from './parser.js';
import { validateConfig } from './validate.js';
import { fileKeyReader } from './keys.js';
import type { KeyReader } from './validate-common.js';

export interface LoadResult {
  readonly config?: KeywayConfig;
  readonly errors: ConfigError[];
  readonly warnings: string[];
}

const byPosition = (a: ConfigError, b: ConfigError): number => a.line - b.line || a.column - b.column;

export interface LoadOptions {
  /** how key files are read; default: from disk, relative to fileName's folder (keys.ts) */
  readonly keys?: KeyReader;
}

/** Parse and validate config text (tests, reload over the control socket). Never throws. */
export function loadConfigText(text: string, fileName: string, opts: LoadOptions = {}): LoadResult {
  let ast;
  try {
    ast = parseConfigText(text, fileName);
  } catch (e) {
    if (e instanceof ConfigError) return { errors: [e], warnings: [] };
    // not expected: the parser throws only ConfigError; still never leak a raw error type
    return { errors: [new ConfigError(`internal parser error: ${e instanceof Error ? e.name : 'unknown'}`, fileName, 1, 1)], warnings: [] };
  }
  const r = validateConfig(ast, fileName, opts.keys ?? fileKeyReader(fileName));
  const errors = [...r.errors].sort(byPosition);
  return r.config !== undefined && errors.length === 0
    ? { config: r.config, errors: [], warnings: r.warnings }
    : { errors, warnings: r.warnings };
}

/**
 * Read and load a file. A file that holds secrets must not be world-readable
 * (like ssh refusing a private key with loose permissions).
 */
export function loadConfigFile(path: string): LoadResult {
  let text: string;
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return { errors: [new ConfigError('not a regular file', path, 1, 1)], warnings: [] };
    if (st.size > MAX_CONFIG_BYTES) {
      return { errors: [new ConfigError(`file is larger than ${MAX_CONFIG_BYTES} bytes`, path, 1, 1)], warnings: [] };
    }
    mode = st.mode;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : 'unknown error';
    return { errors: [new ConfigError(`cannot read file (${code})`, path, 1, 1, code === 'ENOENT' ? 'check the path' : undefined)], warnings: [] };
  }
  const r = loadConfigText(text, path);
  // PSKs and private key passphrases are secrets; a key FILE's own mode is checked by keys.ts
  const secretLines = [...(r.config?.secrets ?? []), ...(r.config?.privateKeys ?? []).filter((k) => k.hasPassphrase)].map((s) => s.line);
  if (r.config !== undefined && secretLines.length > 0 && (mode & 0o004) !== 0) {
    return {
      errors: [new ConfigError('file contains secrets but is world-readable', path, Math.min(...secretLines), 1, `chmod 600 ${path}`)],
      warnings: r.warnings,
    };
  }
  return r;
}
