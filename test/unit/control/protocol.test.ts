import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequest, parseResponse } from '../../../src/control/protocol.js';

function errCode(doc: unknown): string {
  const r = parseRequest(doc);
  assert.equal(r.ok, false, `expected rejection of ${JSON.stringify(doc)}`);
  return r.ok ? '' : r.error.code;
}

describe('control protocol validation', () => {
  test('accepts well-formed requests and normalises missing args', () => {
    const r = parseRequest({ v: 1, id: 7, cmd: 'stats' });
    assert.deepEqual(r, { ok: true, value: { v: 1, id: 7, cmd: 'stats', args: {} } });
    const i = parseRequest({ v: 1, id: 8, cmd: 'initiate', args: { conn: 'home', child: 'net', timeoutMs: 5000 } });
    assert.ok(i.ok);
    assert.deepEqual(i.value.args, { conn: 'home', child: 'net', timeoutMs: 5000 });
    const t = parseRequest({ v: 1, id: 9, cmd: 'terminate', args: { child: 3 } });
    assert.ok(t.ok);
    assert.deepEqual(t.value.args, { child: 3 });
  });

  test('rejects non-objects, bad ids, versions and commands', () => {
    assert.equal(errCode(null), 'BAD_REQUEST');
    assert.equal(errCode([1, 2]), 'BAD_REQUEST');
    assert.equal(errCode({ v: 1, id: -1, cmd: 'stats' }), 'BAD_REQUEST');
    assert.equal(errCode({ v: 1, id: 1.5, cmd: 'stats' }), 'BAD_REQUEST');
    assert.equal(errCode({ v: 2, id: 1, cmd: 'stats' }), 'BAD_VERSION');
    assert.equal(errCode({ v: 1, id: 1, cmd: 42 }), 'BAD_REQUEST');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'rm -rf' }), 'UNKNOWN_COMMAND');
    assert.equal(errCode({ v: 1, id: 1, cmd: '__proto__' }), 'UNKNOWN_COMMAND');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'stats', args: 'x' }), 'BAD_REQUEST');
  });

  test('rejects wrong argument types and unknown arguments', () => {
    assert.equal(errCode({ v: 1, id: 1, cmd: 'initiate', args: {} }), 'BAD_ARGS');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'initiate', args: { conn: 5 } }), 'BAD_ARGS');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'initiate', args: { conn: 'a', timeoutMs: 0 } }), 'BAD_ARGS');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'initiate', args: { conn: 'a', timeoutMs: 1e9 } }), 'BAD_ARGS');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'initiate', args: { conn: 'x'.repeat(1000) } }), 'BAD_ARGS');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'terminate', args: {} }), 'BAD_ARGS');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'terminate', args: { ike: 1, child: 2 } }), 'BAD_ARGS');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'terminate', args: { ike: '1' } }), 'BAD_ARGS');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'list-sas', args: { ikeId: 'x' } }), 'BAD_ARGS');
    assert.equal(errCode({ v: 1, id: 1, cmd: 'stats', args: { verbose: true } }), 'BAD_ARGS');
  });

  test('keeps the request id in error replies when it is valid', () => {
    const r = parseRequest({ v: 1, id: 42, cmd: 'nope' });
    assert.equal(r.ok ? -1 : r.id, 42);
  });

  test('parseResponse checks the envelope', () => {
    assert.deepEqual(parseResponse({ v: 1, id: 3, ok: true, result: [] }), { v: 1, id: 3, ok: true, result: [] });
    assert.deepEqual(parseResponse({ v: 1, id: 3, ok: false, error: { code: 'X', message: 'm' } }), {
      v: 1,
      id: 3,
      ok: false,
      error: { code: 'X', message: 'm' },
    });
    assert.equal(parseResponse({ v: 1, id: 3, ok: false }), undefined);
    assert.equal(parseResponse({ v: 2, id: 3, ok: true, result: 1 }), undefined);
    assert.equal(parseResponse('x'), undefined);
  });
});
