import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LineLogger, REDACTED, isSecretFieldName, sanitize } from '../../../src/daemon/logging.js';
import { KeywayError } from '../../../src/util/errors.js';

function capture(opts: Partial<ConstructorParameters<typeof LineLogger>[0]> = {}): { lines: string[]; log: LineLogger } {
  const lines: string[] = [];
  const log = new LineLogger({ level: 'info', now: () => Date.parse('2025-01-01T00:00:00.000Z'), write: (l) => lines.push(l), ...opts });
  return { lines, log };
}

describe('logger', () => {
  test('writes one JSON object per line with time, level, event and fields', () => {
    const { lines, log } = capture();
    log.log('info', 'ike.established', { conn: 'home', ikeSaId: 1, spi: Uint8Array.of(0xab, 0xcd) });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith('\n'));
    assert.deepEqual(JSON.parse(lines[0] ?? ''), {
      time: '2025-01-01T00:00:00.000Z',
      level: 'info',
      event: 'ike.established',
      conn: 'home',
      ikeSaId: 1,
      spi: 'abcd',
    });
  });

  test('filters by level', () => {
    const { lines, log } = capture({ level: 'warn' });
    log.log('info', 'x', {});
    log.log('debug', 'x', {});
    log.log('error', 'y', {});
    log.log('warn', 'z', {});
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { event: string }).event), ['y', 'z']);
  });

  test('text format is key=value with quoting', () => {
    const { lines, log } = capture({ format: 'text' });
    log.log('warn', 'udp.tx.error', { error: 'no route to host', port: 500 });
    assert.equal(lines[0], 'time=2025-01-01T00:00:00.000Z level=warn event=udp.tx.error error="no route to host" port=500\n');
  });

  test('secret-looking fields are redacted, also when nested', () => {
    const { lines, log } = capture();
    log.log('info', 'keys', {
      skEi: Uint8Array.of(1, 2, 3),
      sk_ar: 'aa',
      psk: 'hunter2',
      nonceI: 'ff',
      child: { encrKey: 'deadbeef', keyBits: 256 },
      keyExchange: 'CURVE_25519',
      sharedSecret: 'x',
    });
    const rec = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(rec['skEi'], REDACTED);
    assert.equal(rec['sk_ar'], REDACTED);
    assert.equal(rec['psk'], REDACTED);
    assert.equal(rec['nonceI'], REDACTED);
    assert.equal(rec['sharedSecret'], REDACTED);
    assert.deepEqual(rec['child'], { encrKey: REDACTED, keyBits: 256 });
    assert.equal(rec['keyExchange'], 'CURVE_25519');
    assert.ok(!lines[0]?.includes('hunter2'));
    assert.ok(!lines[0]?.includes('010203'));
  });

  test('secrets pass only when key logging is switched on', () => {
    const { lines, log } = capture({ allowSecrets: true });
    log.log('debug', 'x', {});
    log.log('info', 'keys', { psk: 'hunter2' });
    assert.equal((JSON.parse(lines[0] ?? '') as { psk: string }).psk, 'hunter2');
  });

  test('reserved names cannot be forged by fields; errors and odd values are made safe', () => {
    const { lines, log } = capture();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    log.log('info', 'real', { level: 'error', event: 'fake', err: new KeywayError('E_X', 'bad'), big: 10n, inf: Infinity, cyclic });
    const rec = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(rec['level'], 'info');
    assert.equal(rec['event'], 'real');
    assert.deepEqual(rec['err'], { name: 'KeywayError', message: 'bad', code: 'E_X' });
    assert.equal(rec['big'], '10');
    assert.equal(rec['inf'], 'Infinity');
    assert.match(JSON.stringify(rec['cyclic']), /too deep/);
  });

  test('a failing sink never throws into the caller', () => {
    const log = new LineLogger({ level: 'info', write: () => { throw new Error('EPIPE'); } });
    assert.doesNotThrow(() => log.log('info', 'x', {}));
  });

  test('isSecretFieldName', () => {
    for (const n of ['key', 'integKey', 'SK_d', 'skPi', 'privateKey', 'password', 'nonce_r', 'keymat', 'skeyseed']) {
      assert.equal(isSecretFieldName(n), true, n);
    }
    for (const n of ['keyExchange', 'encrKeyBits', 'spi', 'conn', 'ikeSaId', 'monkey', 'skipped', 'keyLog']) {
      assert.equal(isSecretFieldName(n), false, n);
    }
    assert.deepEqual(sanitize({ a: [Uint8Array.of(1)] }, false), { a: ['01'] });
  });
});
