/** `daemon { metrics = ADDR:PORT }` (docs/metrics.md, docs/config.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';

const daemon = (value: string): string => `# metrics exporter\ndaemon {\n  log_level = info\n  metrics = ${value}\n}\n`;

test('metrics is off by default', () => {
  const r = loadConfigText('daemon {\n  log_level = info\n}\n', 'm.conf');
  assert.ok(r.config);
  assert.equal(r.config.daemon.metrics, undefined);
});

test('metrics accepts an IPv4 address and port, and a bracketed IPv6 address', () => {
  for (const [text, host, port] of [['127.0.0.1:9109', '127.0.0.1', 9109], ['[::1]:9110', '::1', 9110], ['"192.0.2.1:1"', '192.0.2.1', 1]] as const) {
    const r = loadConfigText(daemon(text), 'm.conf');
    assert.deepEqual(r.errors.map((e) => e.message), []);
    assert.deepEqual(r.config?.daemon.metrics, { host, port });
    assert.deepEqual(r.warnings, [], `no warning for ${text}`);
  }
});

test('explicit wildcards are accepted with an exposure warning', () => {
  for (const text of ['0.0.0.0:9109', '[::]:9109']) {
    const r = loadConfigText(daemon(text), 'm.conf');
    assert.ok(r.config?.daemon.metrics, text);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /^m\.conf:4: warning: 'daemon\.metrics' listens on every address/);
  }
});

test('metrics refuses implicit wildcards, host names, missing or bad ports, with file:line:column and a hint', () => {
  for (const text of ['9109', ':9109', '*:9109', 'localhost:9109', '::1:9109', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '[::1]', '[host]:9109', '256.0.0.1:9109']) {
    const r = loadConfigText(daemon(text), 'm.conf');
    assert.equal(r.config, undefined, text);
    assert.equal(r.errors.length, 1, text);
    const e = r.errors[0];
    assert.ok(e);
    assert.equal(e.file, 'm.conf');
    assert.equal(e.line, 4, text);
    assert.equal(e.column, 13, text);
    assert.match(e.message, /invalid value .* for 'daemon\.metrics'/);
    assert.match(e.hint ?? '', /127\.0\.0\.1:9109 or \[::1\]:9109/);
  }
});
