/**
 * Lexer for strongSwan's settings syntax (swanctl.conf(5), strongswan.conf(5)):
 *
 *   # comment to end of line
 *   name {                 section (the brace may follow on a later line)
 *       key = value        value runs to end of line (or '#'), trimmed
 *       key = "a \"b\""    quoted value with escapes \" \\ \n \t \r
 *   }
 *
 * Tokens: name, '{', '}', and assign (an '=' together with the value after it;
 * values are lexed in a separate mode because they may contain spaces, '=' and
 * other characters that are not valid in names).
 *
 * Hostile input: the whole text is capped, every loop advances, and the only
 * exception thrown is ConfigError.
 */
import { ConfigError } from '../util/errors.js';

/** A swanctl.conf is a few KiB; anything beyond this is not a config file. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
export const MAX_VALUE_CHARS = 64 * 1024;

export type Token =
  | { readonly kind: 'name'; readonly text: string; readonly line: number; readonly column: number }
  | { readonly kind: 'lbrace' | 'rbrace' | 'eof'; readonly line: number; readonly column: number }
  | {
      readonly kind: 'assign';
      readonly value: string;
      readonly quoted: boolean;
      readonly line: number;
      readonly column: number;
      readonly valueLine: number;
      readonly valueColumn: number;
    };

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v';
const isNameChar = (c: string): boolean => {
  const code = c.charCodeAt(0);
  return code > 0x20 && code !== 0x7f && c !== '{' && c !== '}' && c !== '=' && c !== '"' && c !== '#';
};
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };

export class Lexer {
  private pos = 0;
  private line = 1;
  private col = 1;
  private readonly text: string;

  constructor(text: string, private readonly file: string) {
    if (text.length > MAX_CONFIG_BYTES) {
      throw new ConfigError(`file is larger than ${MAX_CONFIG_BYTES} bytes`, file, 1, 1, 'is this really a config file?');
    }
    // A UTF-8 BOM written by some editors is not part of the first name.
    this.text = text.startsWith('\ufeff') ? text.slice(1) : text;
  }

  private error(message: string, line: number, column: number, hint?: string): ConfigError {
    return new ConfigError(message, this.file, line, column, hint);
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  private advance(): string {
    const c = this.text[this.pos] ?? '';
    this.pos++;
    if (c === '\n') {
      this.line++;
      this.col = 1;
    } else {
      this.col++;
    }
    return c;
  }

  private skipComment(): void {
    while (this.pos < this.text.length && this.peek() !== '\n') this.advance();
  }

  /** Next token; whitespace, newlines and comments between tokens are skipped. */
  next(): Token {
    for (;;) {
      if (this.pos >= this.text.length) return { kind: 'eof', line: this.line, column: this.col };
      const c = this.peek();
      if (isSpace(c) || c === '\n') {
        this.advance();
        continue;
      }
      if (c === '#') {
        this.skipComment();
        continue;
      }
      const line = this.line;
      const column = this.col;
      if (c === '{' || c === '}') {
        this.advance();
        return { kind: c === '{' ? 'lbrace' : 'rbrace', line, column };
      }
      if (c === '=') {
        this.advance();
        return this.value(line, column);
      }
      if (c === '"') {
        throw this.error('unexpected quoted string', line, column, 'quotes are only allowed around values (key = "value")');
      }
      if (!isNameChar(c)) {
        throw this.error(`unexpected character ${describeChar(c)}`, line, column);
      }
      let name = '';
      while (this.pos < this.text.length && isNameChar(this.peek())) {
        name += this.advance();
        if (name.length > 256) throw this.error('name longer than 256 characters', line, column);
      }
      return { kind: 'name', text: name, line, column };
    }
  }

  /** After '=': the value to end of line, quoted or not. */
  private value(line: number, column: number): Token {
    while (this.pos < this.text.length && (this.peek() === ' ' || this.peek() === '\t')) this.advance();
    const valueLine = this.line;
    const valueColumn = this.col;
    if (this.peek() === '"') return this.quoted(line, column, valueLine, valueColumn);
    let raw = '';
    while (this.pos < this.text.length && this.peek() !== '\n' && this.peek() !== '#') {
      const c = this.peek();
      if (c === '{' || c === '}' || c === '"') {
        throw this.error(
          `unexpected ${describeChar(c)} in value`,
          this.line,
          this.col,
          c === '}' ? "put the closing '}' on its own line" : 'quote the whole value ("...")',
        );
      }
      const code = c.charCodeAt(0);
      if (code < 0x20 && c !== '\t' && c !== '\r') {
        throw this.error(`control character ${describeChar(c)} in value`, this.line, this.col);
      }
      raw += this.advance();
      if (raw.length > MAX_VALUE_CHARS) throw this.error(`value longer than ${MAX_VALUE_CHARS} characters`, valueLine, valueColumn);
    }
    return { kind: 'assign', value: raw.trim(), quoted: false, line, column, valueLine, valueColumn };
  }

  private quoted(line: number, column: number, valueLine: number, valueColumn: number): Token {
    this.advance(); // opening quote
    let out = '';
    for (;;) {
      if (this.pos >= this.text.length || this.peek() === '\n') {
        throw this.error('unterminated quoted value', valueLine, valueColumn, 'close the quote on the same line');
      }
      const c = this.advance();
      if (c === '"') break;
      if (c === '\\') {
        const escLine = this.line;
        const escCol = this.col - 1;
        const e = this.pos < this.text.length ? this.advance() : '';
        const mapped = ESCAPES[e];
        if (mapped === undefined) {
          throw this.error(`unknown escape sequence \\${describeChar(e)}`, escLine, escCol, 'valid escapes: \\" \\\\ \\n \\t \\r');
        }
        out += mapped;
      } else {
        out += c;
      }
      if (out.length > MAX_VALUE_CHARS) throw this.error(`value longer than ${MAX_VALUE_CHARS} characters`, valueLine, valueColumn);
    }
    // Only blanks or a comment may follow the closing quote.
    while (this.pos < this.text.length && (this.peek() === ' ' || this.peek() === '\t' || this.peek() === '\r')) this.advance();
    if (this.pos < this.text.length && this.peek() !== '\n' && this.peek() !== '#') {
      throw this.error(
        `unexpected ${describeChar(this.peek())} after quoted value`,
        this.line,
        this.col,
        'only a comment may follow the closing quote; put other text on its own line',
      );
    }
    return { kind: 'assign', value: out, quoted: true, line, column, valueLine, valueColumn };
  }
}

/** Printable description of one character for error messages (never raw control bytes). */
export function describeChar(c: string): string {
  if (c === '') return 'end of file';
  const code = c.charCodeAt(0);
  if (code >= 0x21 && code < 0x7f) return `'${c}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
