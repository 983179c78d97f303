/**
 * The layering rules of docs/architecture.md, checked mechanically (the
 * cheap stand-in for a boundary linter that ADR 0004 calls for):
 * - the protocol core (iana, util, wire, crypto, message, policy, ike) is
 *   pure: no sockets, files, processes, threads or global timers, no wall
 *   clock and no Math.random: clock, scheduler, RNG, network and kernel
 *   come in through the ports, so two engines run in one process with a
 *   fake clock;
 * - config/ touches the file system only in its loaders;
 * - the CLI talks to the daemon only through the control protocol.
 * A rule broken on purpose belongs in ALLOWED with a reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoPath } from '../../helpers/paths.js';

const SRC = repoPath('src');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Source without comments, so prose that names an API does not count. */
function code(file: string): string {
  return readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const CORE = ['iana', 'util', 'wire', 'crypto', 'message', 'policy', 'ike'];
const IMPURE_MODULES = /from\s+'node:(dgram|net|fs|fs\/promises|child_process|worker_threads|cluster|os|http|https|tls|dns)'/;
const IMPURE_CALLS = /\b(setTimeout|setInterval|setImmediate|Date\.now|new Date\(\)|Math\.random|process\.(hrtime|env|exit|on)\b)/;
/** config/ modules allowed to read files: the loaders */
const CONFIG_FS = new Set(['config/load.ts', 'config/keys.ts']);

function violations(dirs: readonly string[], check: (rel: string, src: string) => string | undefined): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    for (const f of tsFiles(join(SRC, d))) {
      const rel = relative(SRC, f);
      const why = check(rel, code(f));
      if (why !== undefined) out.push(`src/${rel}: ${why}`);
    }
  }
  return out;
}

test('the protocol core imports no I/O module and uses no global timer, wall clock or Math.random', () => {
  const bad = violations(CORE, (_rel, src) => IMPURE_MODULES.exec(src)?.[0] ?? IMPURE_CALLS.exec(src)?.[0]);
  assert.deepEqual(bad, []);
});

test('config/ reads files only in its loaders', () => {
  const bad = violations(['config'], (rel, src) => (CONFIG_FS.has(rel) ? undefined : IMPURE_MODULES.exec(src)?.[0] ?? IMPURE_CALLS.exec(src)?.[0]));
  assert.deepEqual(bad, []);
});

test('the CLI reaches the daemon only through the control protocol', () => {
  const bad = violations(['cli'], (_rel, src) => {
    for (const m of src.matchAll(/from\s+'(\.\.\/[^']+)'/g)) {
      const target = m[1] ?? '';
      if (!target.startsWith('../control/') || /server|engine/.test(target)) return `imports ${target}`;
    }
    return undefined;
  });
  assert.deepEqual(bad, []);
});

test('the checker sees a violation when there is one', () => {
  // guards the rules themselves: a regex that matched nothing would pass everything
  assert.match("import { createSocket } from 'node:dgram';", IMPURE_MODULES);
  assert.match('const t = setTimeout(f, 10);', IMPURE_CALLS);
  assert.equal(IMPURE_CALLS.test(code(repoPath('src', 'daemon', 'node-platform.ts'))), true, 'the platform adapter does use timers');
});
