/**
 * `keyway flush` (docs/cli.md): the protocol command, the server's dispatch
 * (with and without the daemon's flush callback), the CLI's output and exit
 * code, and the engine's flush() on two simulated engines: every SA deleted
 * with the peer told (RFC 7296 §1.4.1), traps removed, the engine still
 * usable, and `reload` putting the traps back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFlush } from '../../../src/cli/format.js';
import { main, type CliIo } from '../../../src/cli/main.js';
import { ControlClient } from '../../../src/control/client.js';
import { parseRequest, type FlushResult } from '../../../src/control/protocol.js';
import { startControlServer, type ControlServer } from '../../../src/control/server.js';
import { Pair, assertNoLeaks } from '../../sim/harness.js';
import { FakeEngine } from './fake-engine.js';

describe('flush: protocol and formatting', () => {
  test('flush takes no arguments', () => {
    const r = parseRequest({ v: 1, id: 4, cmd: 'flush', args: {} });
    assert.ok(r.ok);
    assert.equal(r.value.cmd, 'flush');
    const bad = parseRequest({ v: 1, id: 5, cmd: 'flush', args: { all: true } });
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, 'BAD_ARGS');
    assert.match(bad.error.message, /flush: unknown argument "all"/);
  });

  test('human output names counts, the dataplane, errors and unanswered deletes', () => {
    const base: FlushResult = { ok: true, ikeSas: 2, childSas: 3, traps: 1, unanswered: 0, dataplane: 'xfrm', errors: [] };
    assert.equal(formatFlush(base), 'flushed 2 IKE SA(s), 3 CHILD SA(s), 1 trap(s); xfrm dataplane: nothing left installed\n');
    const bad = formatFlush({ ...base, ok: false, unanswered: 1, errors: ['xfrm DELSA 0x00001234 failed: EPERM'] });
    assert.equal(
      bad,
      'flushed 2 IKE SA(s), 3 CHILD SA(s), 1 trap(s); xfrm dataplane: removal errors:\n  xfrm DELSA 0x00001234 failed: EPERM\n  1 peer(s) did not answer the DELETE yet (retransmitting in the background)\n',
    );
    const { dataplane: _d, ...engineOnly } = base;
    assert.equal(formatFlush(engineOnly), 'flushed 2 IKE SA(s), 3 CHILD SA(s), 1 trap(s)\n');
  });
});

class BufIo implements CliIo {
  stdout = '';
  stderr = '';
  readonly env: Record<string, string | undefined>;
  constructor(socket: string) {
    this.env = { KEYWAY_SOCKET: socket };
  }
  out(s: string): void {
    this.stdout += s;
  }
  err(s: string): void {
    this.stderr += s;
  }
  now(): number {
    return 0;
  }
}

describe('flush: control server and CLI', () => {
  let dir: string;
  const servers: ControlServer[] = [];
  const logger = { log: () => {} };
  const reload = (): Promise<{ ok: boolean; errors: string[] }> => Promise.resolve({ ok: true, errors: [] });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kw-flush-'));
  });
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('without a daemon callback the server flushes the engine only', async () => {
    const engine = new FakeEngine();
    const path = join(dir, 'a.sock');
    servers.push(await startControlServer({ path, engine, logger, reload }));
    const c = await ControlClient.connect(path);
    try {
      assert.deepEqual(await c.request('flush', {}), { ok: true, ikeSas: 2, childSas: 1, traps: 1, unanswered: 0, errors: [] });
    } finally {
      c.close();
    }
    assert.deepEqual(engine.calls, ['flush -']);
  });

  test('the daemon callback decides; dataplane errors make the CLI exit 1', async () => {
    const path = join(dir, 'b.sock');
    let result: FlushResult = { ok: true, ikeSas: 1, childSas: 2, traps: 0, unanswered: 0, dataplane: 'xfrm', errors: [] };
    let calls = 0;
    const flush = (): Promise<FlushResult> => {
      calls++;
      return Promise.resolve(result);
    };
    servers.push(await startControlServer({ path, engine: new FakeEngine(), logger, reload, flush }));
    const io = new BufIo(path);
    assert.equal(await main(['flush'], io), 0);
    assert.equal(io.stdout, 'flushed 1 IKE SA(s), 2 CHILD SA(s), 0 trap(s); xfrm dataplane: nothing left installed\n');
    result = { ...result, ok: false, errors: ['xfrm flush: 1 removal(s) failed'] };
    const io2 = new BufIo(path);
    assert.equal(await main(['flush', '--json'], io2), 1);
    assert.deepEqual(JSON.parse(io2.stdout), result);
    const io3 = new BufIo(path);
    assert.equal(await main(['flush'], io3), 1);
    assert.match(io3.stderr, /removal errors:\n {2}xfrm flush: 1 removal\(s\) failed/);
    assert.equal(calls, 3);
  });

  test('flush rejects positional arguments', async () => {
    const io = new BufIo(join(dir, 'none.sock'));
    assert.equal(await main(['flush', 'everything'], io), 2);
    assert.match(io.stderr, /unexpected argument "everything"/);
  });
});

describe('flush: the engine (two simulated engines)', () => {
  test('deletes every SA telling the peer, removes traps, keeps running; reload re-traps', async () => {
    const pair = new Pair({ seed: 'flush', westChild: 'start_action = trap' });
    await pair.run();
    assert.equal(pair.west.dataplane.policies.size, 1, 'the trap policy');
    const r = await pair.initiate(pair.west);
    assert.ok(r.ok, r.error);
    assert.equal((await pair.east.engine.listSas()).length, 1);
    assert.ok(pair.west.dataplane.sas.size >= 2);

    const p = pair.west.engine.flush();
    await pair.run();
    assert.deepEqual(await p, { ikeSas: 1, childSas: 1, traps: 1, unanswered: 0 });
    assert.deepEqual(await pair.east.engine.listSas(), [], 'the peer was told (DELETE) and removed its SAs');
    assert.deepEqual(await pair.west.engine.listSas(), []);
    assert.ok(pair.west.engine.counters().counters['admin.flush'] === 1);
    assertNoLeaks(pair);

    // still running: a new initiation works, and reload puts the trap back
    const again = await pair.initiate(pair.west);
    assert.ok(again.ok, again.error);
    pair.west.engine.loadConfig(pair.west.engine.context.config);
    await pair.run();
    const outTraps = [...pair.west.dataplane.policies.values()].filter((x) => x.direction === 'out');
    assert.ok(outTraps.length >= 2, 'the CHILD SA policy and the trap again');
  });

  test('a peer that never answers does not hold flush() beyond waitMs', async () => {
    const pair = new Pair({ seed: 'flush-dead' });
    assert.ok((await pair.initiate(pair.west)).ok);
    // the peer is gone: the DELETE is never answered (it would retransmit for minutes, §2.4)
    pair.net.filter = () => 'drop';
    let done: Awaited<ReturnType<typeof pair.west.engine.flush>> | undefined;
    void pair.west.engine.flush(2000).then((c) => (done = c));
    await pair.run();
    pair.clock.advance(1999);
    await pair.run();
    assert.equal(done, undefined, 'still waiting before waitMs');
    pair.clock.advance(1);
    await pair.run();
    assert.deepEqual(done, { ikeSas: 1, childSas: 1, traps: 0, unanswered: 1 });
  });
});
