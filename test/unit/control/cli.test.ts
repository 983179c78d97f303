import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatConnections, formatFailures, formatSas, formatStats } from '../../../src/cli/format.js';
import { main, type CliIo } from '../../../src/cli/main.js';
import { startControlServer, type ControlServer } from '../../../src/control/server.js';
import { FakeEngine, SAMPLE_CONN, SAMPLE_COUNTERS, SAMPLE_FAILURE, SAMPLE_SA, SAMPLE_SA2 } from './fake-engine.js';

const NOW = Date.parse('2025-01-01T00:01:00.000Z');

describe('cli human formatting', () => {
  test('list-sas looks like swanctl --list-sas', () => {
    const text = formatSas([SAMPLE_SA], NOW);
    assert.equal(
      text,
      [
        'home: #1, ESTABLISHED, IKEv2, 0123456789abcdef_i* fedcba9876543210_r',
        "  local  'moon.example' @ 192.0.2.1[4500] [NAT]",
        "  remote 'sun.example' @ 198.51.100.2[4500]",
        '  AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519',
        '  established 60s ago, rekeying in 3500s, expires in 3900s',
        '  net: #3, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-128',
        '    installed 50s ago, rekeying in 3000s, expires in 3600s',
        '    in  c1234567,       1234 bytes,       10 packets',
        '    out c7654321,       5678 bytes,       20 packets',
        '    10.1.0.0/16 === 10.2.0.0/16',
        '',
      ].join('\n'),
    );
    assert.equal(formatSas([], NOW), 'no IKE SAs\n');
  });

  test('responder SAs mark the responder SPI and connecting SAs say so', () => {
    const text = formatSas([{ ...SAMPLE_SA2, initiator: false, establishedAt: null, state: 'connecting' }], NOW);
    assert.match(text, /^office: #2, CONNECTING, IKEv2, 0123456789abcdef_i fedcba9876543210_r\*$/m);
    assert.match(text, /^ {2}not established, rekeying in 3500s/m);
  });

  test('list-conns, stats and failures', () => {
    const conns = formatConnections([SAMPLE_CONN]);
    assert.match(conns, /^home: IKEv2, 192\.0\.2\.1\[500\]\.\.\.198\.51\.100\.2\[500\]$/m);
    assert.match(conns, /^ {2}local: {2}psk 'moon\.example'$/m);
    assert.match(conns, /^ {2}net: TUNNEL, start_action=trap$/m);
    assert.match(conns, /^ {4}10\.1\.0\.0\/16 === 10\.2\.0\.0\/16$/m);
    const stats = formatStats(SAMPLE_COUNTERS);
    assert.match(stats, /^IKE SAs: 2 \(half-open: 0\), CHILD SAs: 1$/m);
    // sorted counter names
    assert.ok(stats.indexOf('ike.established') < stats.indexOf('msg.rx.drop.badHeader'));
    const f = formatFailures([SAMPLE_FAILURE]);
    assert.match(f, /^2025-01-01T00:01:00\.000Z home #4 198\.51\.100\.2\[500\] proposal IKE_SA_INIT: no acceptable IKE proposal$/m);
    assert.match(f, /detail: \{"offered":\["aes128-sha1-modp1024"\]\}/);
    assert.equal(formatFailures([]), 'no failures recorded\n');
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
    return NOW;
  }
}

describe('cli against a control server', () => {
  let dir: string;
  let path: string;
  let server: ControlServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kw-cli-'));
    path = join(dir, 'k.sock');
    server = await startControlServer({
      path,
      engine: new FakeEngine(),
      logger: { log: () => {} },
      version: '1.2.3',
      reload: () => Promise.resolve({ ok: false, errors: ['x.conf:1:1: broken'] }),
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...argv: string[]): Promise<{ code: number; io: BufIo }> => {
    const io = new BufIo(path);
    const code = await main(argv, io);
    return { code, io };
  };

  test('--json prints exactly the protocol result', async () => {
    const { code, io } = await run('list-sas', '--json');
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(io.stdout), [SAMPLE_SA, SAMPLE_SA2]);
    const s = await run('stats', '--json');
    assert.deepEqual(JSON.parse(s.io.stdout), SAMPLE_COUNTERS);
    const f = await run('--json', 'list-sas', '--ike=office');
    assert.deepEqual(JSON.parse(f.io.stdout), [SAMPLE_SA2]);
  });

  test('human list-sas, initiate, terminate', async () => {
    const l = await run('list-sas', '--ike', 'home');
    assert.equal(l.io.stdout, formatSas([SAMPLE_SA], NOW));
    const i = await run('initiate', 'home', '--child', 'net', '--timeout', '5');
    assert.equal(i.code, 0);
    assert.equal(i.io.stdout, 'initiated home: IKE SA #1, CHILD SA #3\n');
    const bad = await run('initiate', 'nowhere');
    assert.equal(bad.code, 1);
    assert.match(bad.io.stderr, /initiating nowhere failed: no connection named "nowhere"/);
    const t = await run('terminate', '--ike', '1');
    assert.equal(t.io.stdout, 'terminated IKE SA #1\n');
    const t2 = await run('terminate', '--child', '8');
    assert.equal(t2.code, 1);
    assert.equal(t2.io.stderr, 'no CHILD SA with id #8\n');
  });

  test('reload failure exits 1 and lists the errors', async () => {
    const r = await run('reload');
    assert.equal(r.code, 1);
    assert.match(r.io.stderr, /x\.conf:1:1: broken/);
  });

  test('version shows both sides', async () => {
    const v = await run('version');
    assert.equal(v.code, 0);
    assert.match(v.io.stdout, /^daemon 1\.2\.3 \(protocol v1, node v\d+/m);
  });

  test('usage errors exit 2 with usage text', async () => {
    for (const argv of [[], ['frobnicate'], ['initiate'], ['terminate'], ['terminate', '--ike', '1', '--child', '2'], ['terminate', '--ike', 'x'], ['list-sas', '--bogus'], ['initiate', 'a', '--timeout', '-1'], ['stats', 'extra']]) {
      const r = await run(...argv);
      assert.equal(r.code, 2, `argv ${argv.join(' ')}`);
      assert.match(r.io.stderr, /usage: keyway/);
    }
  });

  test('an unreachable daemon is exit 1 with a message on stderr', async () => {
    const r = await run('stats', '--socket', join(dir, 'nobody.sock'));
    assert.equal(r.code, 1);
    assert.equal(r.io.stdout, '');
    assert.match(r.io.stderr, /cannot connect .*is the daemon running\?/);
  });
});
