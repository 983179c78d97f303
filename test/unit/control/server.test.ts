import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../../src/control/client.js';
import { FrameDecoder, encodeFrame } from '../../../src/control/framing.js';
import { ControlError } from '../../../src/control/protocol.js';
import { startControlServer, type ControlServer } from '../../../src/control/server.js';
import type { LogLevel, Logger } from '../../../src/ike/ports.js';
import { KeywayError } from '../../../src/util/errors.js';
import { FakeEngine, SAMPLE_CONN, SAMPLE_COUNTERS, SAMPLE_FAILURE, SAMPLE_SA } from './fake-engine.js';

class MemLogger implements Logger {
  readonly records: { level: LogLevel; event: string }[] = [];
  log(level: LogLevel, event: string): void {
    this.records.push({ level, event });
  }
}

/** Sends raw bytes on a fresh connection and collects reply frames until `n` arrive or the server closes. */
function rawExchange(path: string, bytes: Uint8Array, n: number): Promise<{ frames: unknown[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    const dec = new FrameDecoder();
    const frames: unknown[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timed out with ${frames.length} frames`));
    }, 3000);
    s.on('connect', () => s.write(bytes));
    s.on('data', (c: Buffer) => {
      for (const f of dec.push(c)) frames.push(JSON.parse(f.toString('utf8')));
      if (frames.length >= n) {
        clearTimeout(timer);
        s.destroy();
        resolve({ frames, closed: false });
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ frames, closed: true });
    });
    s.on('error', () => {});
  });
}

function rawFrame(text: string): Buffer {
  const b = Buffer.from(text, 'utf8');
  const h = Buffer.alloc(4);
  h.writeUInt32BE(b.length, 0);
  return Buffer.concat([h, b]);
}

describe('control server', () => {
  let dir: string;
  let path: string;
  let engine: FakeEngine;
  let server: ControlServer;
  let reloads = 0;
  const logger = new MemLogger();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kw-ctl-'));
    path = join(dir, 'run', 'keyway.sock');
    engine = new FakeEngine();
    server = await startControlServer({
      path,
      engine,
      logger,
      version: '9.9.9',
      reload: () => {
        reloads++;
        return Promise.resolve(reloads === 1 ? { ok: true, errors: [] } : { ok: false, errors: ['a.conf:3:1: bad'] });
      },
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('socket is 0600 and a created directory is 0700', () => {
    const st = statSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'run')).mode & 0o777, 0o700);
  });

  test('answers every command through the client', async () => {
    const c = await ControlClient.connect(path);
    try {
      assert.deepEqual(await c.request('list-conns', {}), [SAMPLE_CONN]);
      assert.equal((await c.request('list-sas', {})).length, 2);
      assert.deepEqual(await c.request('list-sas', { ike: 'home' }), [SAMPLE_SA]);
      assert.deepEqual((await c.request('list-sas', { ikeId: 2 })).map((s) => s.connection), ['office']);
      assert.deepEqual(await c.request('initiate', { conn: 'home', child: 'net' }), { ok: true, ikeSaId: 1, childSaId: 3 });
      assert.equal((await c.request('initiate', { conn: 'nope' })).ok, false);
      assert.deepEqual(await c.request('terminate', { ike: 1 }), { ok: true, kind: 'ike', id: 1 });
      assert.deepEqual(await c.request('terminate', { child: 99 }), { ok: false, kind: 'child', id: 99 });
      assert.deepEqual(await c.request('stats', {}), SAMPLE_COUNTERS);
      assert.deepEqual(await c.request('failures', {}), [SAMPLE_FAILURE]);
      assert.deepEqual(await c.request('reload', {}), { ok: true, errors: [] });
      assert.deepEqual(await c.request('reload', {}), { ok: false, errors: ['a.conf:3:1: bad'] });
      const v = await c.request('version', {});
      assert.equal(v.daemon, '9.9.9');
      assert.equal(v.protocol, 1);
      assert.ok(engine.calls.includes('initiate home net'));
      assert.ok(engine.calls.includes('terminateChild 99'));
    } finally {
      c.close();
    }
  });

  test('serves concurrent clients and pipelined requests', async () => {
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => ControlClient.connect(path)));
    try {
      const results = await Promise.all(clients.flatMap((c) => [c.request('stats', {}), c.request('list-conns', {})]));
      assert.equal(results.length, 10);
      assert.deepEqual(results[0], SAMPLE_COUNTERS);
    } finally {
      for (const c of clients) c.close();
    }
  });

  test('bad JSON and bad requests get error replies and the connection keeps working', async () => {
    const bytes = Buffer.concat([
      rawFrame('{not json'),
      rawFrame('{"v":1,"id":5,"cmd":"format-disk","args":{}}'),
      rawFrame('{"v":1,"id":6,"cmd":"terminate","args":{"ike":"1"}}'),
      rawFrame('"just a string"'),
      encodeFrame({ v: 1, id: 7, cmd: 'stats', args: {} }),
    ]);
    const { frames } = await rawExchange(path, bytes, 5);
    assert.deepEqual(frames[0], { v: 1, id: 0, ok: false, error: { code: 'BAD_JSON', message: 'frame body is not valid UTF-8 JSON' } });
    assert.equal((frames[1] as { id: number }).id, 5);
    assert.equal((frames[1] as { error: { code: string } }).error.code, 'UNKNOWN_COMMAND');
    assert.equal((frames[2] as { error: { code: string } }).error.code, 'BAD_ARGS');
    assert.equal((frames[3] as { error: { code: string } }).error.code, 'BAD_REQUEST');
    assert.deepEqual(frames[4], { v: 1, id: 7, ok: true, result: SAMPLE_COUNTERS });
  });

  test('an oversized frame gets an error and a closed connection; the server keeps serving', async () => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(64 * 1024 * 1024, 0);
    const { frames, closed } = await rawExchange(path, Buffer.concat([head, Buffer.alloc(100)]), 2);
    assert.equal(closed, true);
    assert.equal((frames[0] as { error: { code: string } }).error.code, 'FRAME_TOO_LARGE');
    const c = await ControlClient.connect(path);
    assert.deepEqual(await c.request('stats', {}), SAMPLE_COUNTERS);
    c.close();
  });

  test('engine exceptions become INTERNAL errors', async () => {
    engine.failListSas = true;
    const c = await ControlClient.connect(path);
    try {
      await assert.rejects(c.request('list-sas', {}), (e: unknown) => e instanceof ControlError && e.code === 'INTERNAL');
      engine.failListSas = false;
      assert.equal((await c.request('list-sas', {})).length, 2);
    } finally {
      engine.failListSas = false;
      c.close();
    }
    assert.ok(logger.records.some((r) => r.event === 'control.command-failed'));
  });

  test('initiate that outlives its timeout gets TIMEOUT', async () => {
    engine.hangInitiate = true;
    const c = await ControlClient.connect(path);
    try {
      await assert.rejects(c.request('initiate', { conn: 'home', timeoutMs: 50 }), (e: unknown) => e instanceof ControlError && e.code === 'TIMEOUT');
    } finally {
      engine.hangInitiate = false;
      c.close();
    }
  });

  test('a second server on a live socket is refused', async () => {
    await assert.rejects(
      startControlServer({ path, engine, logger, reload: () => Promise.resolve({ ok: true, errors: [] }) }),
      (e: unknown) => e instanceof KeywayError && e.code === 'CONTROL_IN_USE',
    );
    // and the first one still answers
    const c = await ControlClient.connect(path);
    assert.equal((await c.request('version', {})).daemon, '9.9.9');
    c.close();
  });
});

describe('control server socket path handling', () => {
  test('removes a stale socket file, refuses a regular file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-ctl-'));
    try {
      const stale = join(dir, 'stale.sock');
      // Leave a socket file behind with nothing listening, as after a crash:
      // a child process listens and then dies by SIGKILL (no cleanup runs).
      spawnSync(process.execPath, [
        '-e',
        `require('node:net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
      ]);
      assert.ok(statSync(stale).isSocket());
      const srv = await startControlServer({
        path: stale,
        engine: new FakeEngine(),
        logger: new MemLogger(),
        reload: () => Promise.resolve({ ok: true, errors: [] }),
      });
      const c = await ControlClient.connect(stale);
      assert.equal((await c.request('stats', {})).ikeSas, 2);
      c.close();
      await srv.close();

      const file = join(dir, 'plain');
      writeFileSync(file, 'not a socket');
      await assert.rejects(
        startControlServer({ path: file, engine: new FakeEngine(), logger: new MemLogger(), reload: () => Promise.resolve({ ok: true, errors: [] }) }),
        (e: unknown) => e instanceof KeywayError && e.code === 'CONTROL_PATH_IN_USE',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
