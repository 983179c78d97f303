import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../../src/config/parser.js';
import type { AstEntry, AstKeyValue, AstSection } from '../../../src/config/parser.js';
import { ConfigError } from '../../../src/util/errors.js';

function section(entries: readonly AstEntry[], name: string): AstSection {
  const s = entries.find((e): e is AstSection => e.kind === 'section' && e.name === name);
  assert.ok(s, `section ${name}`);
  return s;
}
function kv(entries: readonly AstEntry[], key: string): AstKeyValue {
  const k = entries.find((e): e is AstKeyValue => e.kind === 'kv' && e.key === key);
  assert.ok(k, `key ${key}`);
  return k;
}
function parseError(text: string): ConfigError {
  try {
    parseConfigText(text, 'x.conf');
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ConfigError');
}

describe('config parser', () => {
  test('sections, keys and positions', () => {
    const ast = parseConfigText('# head\nconnections {\n  home {\n    remote_addrs = 192.0.2.1 \n  }\n}\n', 'a.conf');
    assert.equal(ast.file, 'a.conf');
    const conns = section(ast.entries, 'connections');
    assert.equal(conns.line, 2);
    assert.equal(conns.column, 1);
    const home = section(conns.entries, 'home');
    assert.equal(home.line, 3);
    assert.equal(home.column, 3);
    const r = kv(home.entries, 'remote_addrs');
    assert.equal(r.value, '192.0.2.1');
    assert.equal(r.quoted, false);
    assert.deepEqual([r.line, r.column, r.valueLine, r.valueColumn], [4, 5, 4, 20]);
  });

  test('brace on the next line, one-line value with comment, empty value', () => {
    const ast = parseConfigText('a\n{\n  k = v w  # comment\n  e =\n}\n', 'f');
    const a = section(ast.entries, 'a');
    assert.equal(kv(a.entries, 'k').value, 'v w');
    assert.equal(kv(a.entries, 'e').value, '');
  });

  test('quoted values keep spaces, #, braces and handle escapes', () => {
    const ast = parseConfigText('s = "  a # {b} \\"q\\" \\\\ \\n"  # c\n', 'f');
    const s = kv(ast.entries, 's');
    assert.equal(s.value, '  a # {b} "q" \\ \n');
    assert.equal(s.quoted, true);
  });

  test('CRLF line endings and a BOM are accepted', () => {
    const ast = parseConfigText('\ufeffa {\r\n  k = v\r\n}\r\n', 'f');
    assert.equal(kv(section(ast.entries, 'a').entries, 'k').value, 'v');
  });

  test('duplicate key is an error naming both lines, with a strongSwan hint', () => {
    const e = parseError('a {\n  k = 1\n  k = 2\n}\n');
    assert.equal(e.line, 3);
    assert.equal(e.column, 3);
    assert.match(e.message, /'k' is defined twice in section 'a' \(first on line 2\)/);
    assert.match(e.hint ?? '', /later definition win/);
  });

  test('duplicate section is an error', () => {
    const e = parseError('a {\n}\na {\n}\n');
    assert.equal(e.line, 3);
  });

  test('include is rejected with a clear message', () => {
    const e = parseError('  include /etc/swanctl/conf.d/*.conf\n');
    assert.equal(e.line, 1);
    assert.equal(e.column, 3);
    assert.match(e.message, /include is not supported/);
  });

  const cases: [string, number, number, RegExp][] = [
    ['a {\n  k = v\n', 1, 1, /section 'a' is not closed/],
    ['}\n', 1, 1, /unexpected '}'/],
    ['a {\n  k = "open\n}\n', 2, 7, /unterminated quoted value/],
    ['k = "a" b\n', 1, 9, /after quoted value/],
    ['k = "\\q"\n', 1, 6, /unknown escape/],
    ['a b\n', 1, 3, /expected '=' or '\{' after 'a'/],
    ['k\n= v\n', 1, 1, /must be followed by '=' on the same line/],
    ['= v\n', 1, 1, /without a key name/],
    ['{\n', 1, 1, /without a section name/],
    ['a { k = v }\n', 1, 11, /put the closing '}' on its own line/],
    ['k = a"b\n', 1, 6, /quote the whole value/],
    ['"k" = v\n', 1, 1, /quoted string/],
    ['a : b {\n}\n', 1, 3, /section references/],
    ['a\u0001 = b\n', 1, 2, /unexpected character U\+0001/],
  ];
  for (const [text, line, column, re] of cases) {
    test(`syntax error at ${line}:${column}: ${JSON.stringify(text)}`, () => {
      const e = parseError(text);
      assert.equal(e.file, 'x.conf');
      assert.deepEqual([e.line, e.column], [line, column]);
      assert.match(e.message, re);
      assert.ok(e.message.startsWith(`x.conf:${line}:${column}: `));
    });
  }

  test('nesting depth is capped', () => {
    const e = parseError('a {\n'.repeat(40) + '}\n'.repeat(40));
    assert.match(e.message, /nested deeper/);
  });
});
