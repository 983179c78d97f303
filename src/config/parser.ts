/**
 * Parser for strongSwan's settings syntax (see lexer.ts for the grammar):
 *
 *   file    := entry*
 *   entry   := NAME '=' VALUE          (key and '=' on the same line)
 *            | NAME '{' entry* '}'
 *
 * Differences from strongSwan, on purpose:
 *   - `include` is rejected (configs are one self-contained file).
 *   - a key or section defined twice in the same section is an error;
 *     strongSwan silently lets the later key win (and merges sections), which
 *     hides typos in copied blocks.
 *   - section references (`name : template { }`) are rejected.
 * Only ConfigError is ever thrown; nesting depth is capped.
 */
import { ConfigError } from '../util/errors.js';
import { Lexer, describeChar } from './lexer.js';
import type { Token } from './lexer.js';

/** Deeper than connections > conn > children > child > ... is never meaningful. */
export const MAX_DEPTH = 16;

export interface AstKeyValue {
  readonly kind: 'kv';
  readonly key: string;
  readonly value: string;
  readonly quoted: boolean;
  readonly line: number;
  readonly column: number;
  readonly valueLine: number;
  readonly valueColumn: number;
}

export interface AstSection {
  readonly kind: 'section';
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly entries: readonly AstEntry[];
}

export type AstEntry = AstKeyValue | AstSection;

export interface ConfigAst {
  readonly file: string;
  readonly entries: readonly AstEntry[];
}

interface OpenSection {
  name: string;
  line: number;
  column: number;
  entries: AstEntry[];
  seen: Map<string, AstEntry>;
}

/** Parse a whole file; throws ConfigError (with file:line:column) on the first syntax error. */
export function parseConfigText(text: string, file: string): ConfigAst {
  const lexer = new Lexer(text, file);
  const root: OpenSection = { name: '', line: 1, column: 1, entries: [], seen: new Map() };
  const stack: OpenSection[] = [root];
  const err = (msg: string, line: number, column: number, hint?: string): ConfigError =>
    new ConfigError(msg, file, line, column, hint);

  // Inside `secrets`, a mangled line may turn secret text into a "name"; never echo names there.
  const shown = (n: string): string =>
    stack.some((s) => s.name === 'secrets') && n !== 'secrets' && n !== 'secret' ? '(name not shown inside secrets)' : n.slice(0, 60);

  let tok: Token = lexer.next();
  for (;;) {
    const current = stack[stack.length - 1] ?? root;
    if (tok.kind === 'eof') {
      if (stack.length > 1) {
        throw err(`section '${shown(current.name)}' is not closed`, current.line, current.column, "add a matching '}'");
      }
      return { file, entries: root.entries };
    }
    if (tok.kind === 'rbrace') {
      if (stack.length === 1) throw err("unexpected '}' with no open section", tok.line, tok.column);
      stack.pop();
      const parent = stack[stack.length - 1] ?? root;
      addEntry(parent, shown, { kind: 'section', name: current.name, line: current.line, column: current.column, entries: current.entries }, err);
      tok = lexer.next();
      continue;
    }
    if (tok.kind === 'assign') throw err("unexpected '=' without a key name", tok.line, tok.column);
    if (tok.kind !== 'name') throw err("unexpected '{' without a section name", tok.line, tok.column);

    const name = tok;
    const after = lexer.next();
    if (after.kind === 'assign') {
      if (after.line !== name.line) {
        throw err(`key '${shown(name.text)}' must be followed by '=' on the same line`, name.line, name.column);
      }
      addEntry(
        current,
        shown,
        {
          kind: 'kv',
          key: name.text,
          value: after.value,
          quoted: after.quoted,
          line: name.line,
          column: name.column,
          valueLine: after.valueLine,
          valueColumn: after.valueColumn,
        },
        err,
      );
      tok = lexer.next();
      continue;
    }
    if (after.kind === 'lbrace') {
      if (stack.length > MAX_DEPTH) throw err(`sections nested deeper than ${MAX_DEPTH}`, name.line, name.column);
      stack.push({ name: name.text, line: name.line, column: name.column, entries: [], seen: new Map() });
      tok = lexer.next();
      continue;
    }
    if (name.text === 'include') {
      throw err('include is not supported', name.line, name.column, 'Keyway reads one self-contained file; paste the included content instead');
    }
    if (after.kind === 'name' && after.text === ':') {
      throw err('section references (name : template) are not supported', after.line, after.column, 'repeat the settings in each section');
    }
    const what = after.kind === 'name' ? `'${shown(after.text)}'` : after.kind === 'eof' ? 'end of file' : describeTok(after);
    throw err(`expected '=' or '{' after '${shown(name.text)}', found ${what}`, after.line, after.column, 'write "key = value" or "name { ... }"');
  }
}

function describeTok(t: Token): string {
  return t.kind === 'rbrace' ? describeChar('}') : t.kind;
}

function addEntry(
  section: OpenSection,
  shown: (n: string) => string,
  entry: AstEntry,
  err: (msg: string, line: number, column: number, hint?: string) => ConfigError,
): void {
  const name = entry.kind === 'kv' ? entry.key : entry.name;
  const prev = section.seen.get(name);
  if (prev !== undefined) {
    const where = section.name === '' ? 'at top level' : `in section '${shown(section.name)}'`;
    throw err(
      `'${shown(name)}' is defined twice ${where} (first on line ${prev.line})`,
      entry.line,
      entry.column,
      'strongSwan lets the later definition win (and merges sections); Keyway refuses to guess: keep only one',
    );
  }
  section.seen.set(name, entry);
  section.entries.push(entry);
}
