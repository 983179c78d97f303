/**
 * The Prometheus exporter (docs/metrics.md): HTTP behaviour against a fake
 * engine, real values from a pair of simulated engines, lifecycle on reload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { FakeEngine } from '../control/fake-engine.js';
import { Pair } from '../../sim/harness.js';
import { KeywayMetrics, MAX_EVENT_NAMES, type MetricsSource } from '../../../src/daemon/metrics.js';
import { MetricsExporter } from '../../../src/daemon/metrics-exporter.js';
import { EstablishTimer, MAX_PENDING } from '../../../src/daemon/metrics-timing.js';
import { mapCounter } from '../../../src/daemon/metrics-map.js';
import type { CountersInfo } from '../../../src/ike/info.js';
import type { Logger } from '../../../src/ike/ports.js';

const quiet: Logger = { log: () => undefined };

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

function http(port: number, method = 'GET', path = '/metrics', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-length': Buffer.byteLength(body) };
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The value of one sample line, e.g. value(text, 'keyway_ike_sas{version="2",state="established"}'). */
function value(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

async function withExporter(source: MetricsSource, fn: (port: number, ex: MetricsExporter) => Promise<void>): Promise<void> {
  const ex = new MetricsExporter(source, quiet, new EstablishTimer(() => 0));
  await ex.apply({ host: '127.0.0.1', port: 0 });
  try {
    const port = ex.address?.port;
    assert.ok(port !== undefined && port > 0);
    await fn(port, ex);
  } finally {
    await ex.close();
  }
}

test('GET /metrics serves the text format with mapped counters and SA gauges (fake engine)', async () => {
  const engine = new FakeEngine();
  await withExporter(engine, async (port) => {
    const r = await http(port);
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    // SAMPLE_COUNTERS: ike.established = 7, msg.rx.drop.badHeader = 3 (not in the closed list: reason="other")
    assert.equal(value(r.body, 'keyway_ike_sas_established_total{version="2"}'), 7);
    assert.equal(value(r.body, 'keyway_ike_messages_dropped_total{version="2",reason="other"}'), 3);
    assert.equal(value(r.body, 'keyway_ike_messages_dropped_total{version="2",reason="integrity"}'), 0);
    assert.equal(value(r.body, 'keyway_events_total{event="msg.rx.drop.badHeader"}'), 3);
    // SAMPLE_SA and SAMPLE_SA2 are established IKEv2 SAs; only 'home' is a configured connection
    assert.equal(value(r.body, 'keyway_ike_sas{version="2",state="established"}'), 2);
    assert.equal(value(r.body, 'keyway_child_sas{version="2",state="installed"}'), 1);
    assert.equal(value(r.body, 'keyway_connection_ike_sas_established{connection="home"}'), 1);
    assert.equal(value(r.body, 'keyway_connection_child_sas_installed{connection="home"}'), 1);
    assert.ok(!r.body.includes('connection="office"'), 'no series for a connection that is not configured');
    assert.equal(value(r.body, 'keyway_esp_bytes_total{direction="in"}'), 1234);
    assert.equal(value(r.body, 'keyway_esp_packets_total{direction="out"}'), 20);
    assert.ok(!r.body.includes('process_cpu'), 'default process metrics are not exported');
    assert.ok(!r.body.includes('198.51.100.2'), 'no peer addresses in labels');
  });
});

test('only GET /metrics is answered; bodies and junk are refused; the server keeps working', async () => {
  await withExporter(new FakeEngine(), async (port) => {
    assert.equal((await http(port, 'GET', '/')).status, 404);
    assert.equal((await http(port, 'GET', '/metrics/x')).status, 404);
    assert.equal((await http(port, 'POST', '/metrics')).status, 404);
    assert.equal((await http(port, 'GET', '/metrics', 'x'.repeat(100))).status, 413);
    // oversized headers: node answers 431 (or drops the socket) without calling the handler
    const big = await http(port, 'GET', `/metrics?${'a'.repeat(20_000)}`).catch(() => ({ status: 0, type: '', body: '' }));
    assert.ok(big.status === 431 || big.status === 0, `status ${big.status}`);
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.end('NOT HTTP\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.resume();
    });
    assert.equal((await http(port)).status, 200);
  });
});

test('a failing engine read is counted, never thrown: the scrape still answers 200', async () => {
  const engine = new FakeEngine();
  engine.failListSas = true;
  const broken: MetricsSource = {
    counters: (): CountersInfo => {
      throw new Error('boom');
    },
    listSas: () => engine.listSas(),
    listConnections: () => engine.listConnections(),
  };
  await withExporter(broken, async (port) => {
    const r = await http(port);
    assert.equal(r.status, 200);
    assert.equal(value(r.body, 'keyway_metrics_scrape_errors_total'), 2);
  });
});

test('unknown counter names cannot create unbounded series', async () => {
  const many: Record<string, number> = {};
  for (let i = 0; i < MAX_EVENT_NAMES + 100; i++) many[`x.${i}`] = 1;
  many['bad name{"'] = 5;
  const m = new KeywayMetrics({ counters: () => ({ counters: many, ikeSas: 0, childSas: 0, halfOpen: 0 }), listSas: () => Promise.resolve([]), listConnections: () => [] });
  const text = await m.render();
  const events = text.split('\n').filter((l) => l.startsWith('keyway_events_total{'));
  assert.equal(events.length, MAX_EVENT_NAMES + 1);
  assert.equal(value(text, 'keyway_events_total{event="other"}'), 105);
  assert.deepEqual(mapCounter('msg.rx.drop.198.51.100.7'), { metric: 'rxDropped', labels: { version: '2', reason: 'other' } });
  assert.deepEqual(mapCounter('failure.auth'), { metric: 'failures', labels: { kind: 'auth' } });
});

test('ESP traffic counters stay monotonic when a CHILD SA disappears', async () => {
  const engine = new FakeEngine();
  const m = new KeywayMetrics(engine);
  assert.equal(value(await m.render(), 'keyway_esp_bytes_total{direction="out"}'), 5678);
  engine.listSas = () => Promise.resolve([]);
  assert.equal(value(await m.render(), 'keyway_esp_bytes_total{direction="out"}'), 5678);
});

test('values change after a real establishment (simulated pair); establishment time is observed', async () => {
  const pair = new Pair({ seed: 'metrics' });
  const timer = new EstablishTimer(() => pair.clock.nowMs());
  const recorder = pair.west.logger;
  const original = recorder.log.bind(recorder);
  recorder.log = (level, event, fields): void => {
    original(level, event, fields);
    timer.onLog(event, fields);
  };
  await withExporter(pair.west.engine, async (port, ex) => {
    timer.setSink((s) => ex.metrics?.establishSeconds.observe(s));
    const before = (await http(port)).body;
    assert.equal(value(before, 'keyway_ike_sas_established_total{version="2"}'), 0);
    assert.equal(value(before, 'keyway_connection_ike_sas_established{connection="net"}'), 0);
    assert.equal(value(before, 'keyway_ike_sa_establishment_seconds_count'), 0);
    const r = await pair.initiate(pair.west);
    assert.equal(r.ok, true);
    const after = (await http(port)).body;
    assert.equal(value(after, 'keyway_ike_sas_established_total{version="2"}'), 1);
    assert.equal(value(after, 'keyway_ike_sas_initiated_total{version="2"}'), 1);
    assert.equal(value(after, 'keyway_ike_sas{version="2",state="established"}'), 1);
    assert.equal(value(after, 'keyway_connection_ike_sas_established{connection="net"}'), 1);
    assert.equal(value(after, 'keyway_connection_child_sas_installed{connection="net"}'), 1);
    assert.equal(value(after, 'keyway_child_sas_installed_total{version="2"}'), 1);
    assert.equal(value(after, 'keyway_ike_sa_establishment_seconds_count'), 1);
    assert.equal(timer.pendingCount, 0);
  });
});

test('the establishment timer ignores responders and bounds pending initiations', () => {
  let now = 0;
  const seen: number[] = [];
  const t = new EstablishTimer(() => now);
  t.setSink((s) => seen.push(s));
  t.onLog('ike.initiate', { ike: 1 });
  now = 250;
  t.onLog('ike.established', { ike: 1, initiator: true });
  t.onLog('ike.established', { ike: 2, initiator: false });
  assert.deepEqual(seen, [0.25]);
  for (let i = 0; i < MAX_PENDING + 10; i++) t.onLog('ike.initiate', { ike: 100 + i });
  assert.equal(t.pendingCount, MAX_PENDING);
  t.onLog('ike.closed', { ike: 100 + MAX_PENDING });
  assert.equal(t.pendingCount, MAX_PENDING - 1);
});

test('reload moves the exporter; removing the key and close() stop it', async () => {
  const ex = new MetricsExporter(new FakeEngine(), quiet, new EstablishTimer(() => 0));
  await ex.apply({ host: '127.0.0.1', port: 0 });
  const first = ex.address?.port;
  assert.ok(first !== undefined);
  assert.equal((await http(first)).status, 200);
  await ex.apply({ host: '127.0.0.1', port: 0 });
  assert.equal(ex.address?.port, first, 'same address: the server is kept');
  await ex.apply({ host: '::1', port: 0 }).catch(() => ex.apply({ host: '127.0.0.2', port: 0 }));
  assert.ok(ex.address !== undefined, 'running on the new address');
  await assert.rejects(http(first), 'the old port is closed');
  await ex.apply(undefined);
  assert.equal(ex.address, undefined);
  await ex.close();
});

/** A port that was free a moment ago (the config refuses port 0). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

test('the daemon starts the exporter from daemon { metrics } and closes it on stop', async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startDaemon } = await import('../../../src/daemon/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'kw-metrics-'));
  try {
    const [ike, natt, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const configPath = join(dir, 'keyway.conf');
    writeFileSync(configPath, `daemon {\n  listen = 127.0.0.1\n  port = ${ike}\n  nat_port = ${natt}\n  crypto_workers = 0\n  log_level = error\n  metrics = 127.0.0.1:${metricsPort}\n}\n`, { mode: 0o600 });
    const d = await startDaemon({ configPath, socketPath: join(dir, 'keyway.sock') });
    try {
      assert.deepEqual(d.metrics.address, { host: '127.0.0.1', port: metricsPort });
      const r = await http(metricsPort);
      assert.equal(r.status, 200);
      assert.equal(value(r.body, 'keyway_ike_sas_half_open'), 0);
    } finally {
      await d.stop();
    }
    await assert.rejects(http(metricsPort), 'closed on stop');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
