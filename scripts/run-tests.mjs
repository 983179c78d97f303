#!/usr/bin/env node
// Runs the compiled test suites in order: unit, fuzz, sim (each if present),
// then interop (one file at a time: the files share port 500 in their
// namespaces' names only, but each starts several daemons and 2 cores are
// easily saturated). Output streams to the terminal with node's spec
// reporter; a TAP copy goes to a temp file from which `# pass` / `# fail`
// are summed. Usage: node scripts/run-tests.mjs [--no-interop]
// Exit status: 0 when every run passed, 1 otherwise.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const noInterop = args.includes('--no-interop');

/** All *.test.js files under dir, sorted (lab helpers are not tests). */
function testFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.js')) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

const suites = [
  { name: 'unit', dir: 'dist/test/unit', extra: [] },
  { name: 'fuzz', dir: 'dist/test/fuzz', extra: [] },
  { name: 'sim', dir: 'dist/test/sim', extra: [] },
];
if (!noInterop) suites.push({ name: 'interop', dir: 'dist/test/interop', extra: ['--test-concurrency=1'] });
// Kernel dataplane (xfrm): the host kernel (no ESP) plus ONE User-mode Linux
// boot running every kernel-ESP scenario (docs/xfrm.md); its time is printed.
if (!noInterop) suites.push({ name: 'kernel-xfrm-uml', dir: 'dist/test/uml', extra: ['--test-concurrency=1'], timed: true });

function runNode(argv) {
  return new Promise((res) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: 'inherit' });
    child.on('close', (code, signal) => res(code ?? (signal ? 128 : 1)));
  });
}

/** The last `# pass N` / `# fail N` lines of a TAP stream are the run's totals. */
function tapTotals(text) {
  const last = (key) => {
    const all = [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))];
    const m = all[all.length - 1];
    return m ? Number(m[1]) : undefined;
  };
  return { pass: last('pass'), fail: last('fail'), skipped: last('skipped') };
}

const tmp = mkdtempSync(join(tmpdir(), 'kw-tests-'));
let passed = 0;
let failed = 0;
let skipped = 0;
let anyRunFailed = false;
try {
  for (const s of suites) {
    const files = testFiles(join(root, s.dir));
    if (files.length === 0) {
      console.log(`\n=== ${s.name}: no test files in ${s.dir}, skipped`);
      continue;
    }
    console.log(`\n=== ${s.name}: ${files.length} file(s) in ${s.dir}`);
    const tap = join(tmp, `${s.name}.tap`);
    const started = Date.now();
    const code = await runNode([
      '--test',
      ...s.extra,
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tap}`,
      ...files,
    ]);
    const t = existsSync(tap) ? tapTotals(readFileSync(tap, 'utf8')) : {};
    passed += t.pass ?? 0;
    failed += t.fail ?? 0;
    skipped += t.skipped ?? 0;
    // a crash before the summary counts as a failure even with no "# fail"
    if (code !== 0 || t.fail === undefined) {
      anyRunFailed = true;
      if ((t.fail ?? 0) === 0) failed += 1;
      console.log(`=== ${s.name}: FAILED (exit ${code})`);
    } else {
      console.log(`=== ${s.name}: ${t.pass} passed, ${t.fail} failed, ${t.skipped ?? 0} skipped`);
    }
    if (s.timed) {
      console.log(`=== ${s.name}: total time ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (skipped > 0) console.log(`(${skipped} skipped)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(anyRunFailed || failed > 0 ? 1 : 0);
