/**
 * Runs INSIDE User-mode Linux (scripts/uml/guest-init.sh starts it): every
 * kernel-ESP scenario of one boot, one after the other, each recorded in
 * `<work>/results.json` (name, ok, details, error, ms) for the host-side
 * test (test/uml/uml.test.ts) to assert on; files the host should inspect
 * (captures, key lines) go to `<work>/artifacts/`. Never throws: a failing scenario
 * is recorded and the next one runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kwToStrongswan } from './scenario-strongswan.js';
import { kwToKwNat } from './scenario-nat.js';
import { kwXfrmToUserspace } from './scenario-userspace.js';
import { kwToLibreswan } from './scenario-libreswan.js';
import type { Recorder, ScenarioResult } from './record.js';

const work = process.argv[2];
if (work === undefined) {
  console.error('usage: runner.js WORK_DIR');
  process.exit(2);
}

const results: ScenarioResult[] = [];
const save = (): void => writeFileSync(join(work, 'results.json'), JSON.stringify({ results }, null, 2));

const rec: Recorder = {
  async scenario(name, fn) {
    const t0 = Date.now();
    const details: Record<string, unknown> = {};
    console.log(`runner: ${name} ...`);
    try {
      await fn(details);
      results.push({ name, ok: true, details, ms: Date.now() - t0 });
    } catch (e) {
      results.push({ name, ok: false, details, ms: Date.now() - t0, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
    }
    console.log(`runner: ${name}: ${results[results.length - 1]?.ok === true ? 'ok' : 'FAILED'} (${Date.now() - t0} ms)`);
    save();
  },
};

const t0 = Date.now();
await kwToStrongswan(rec);
await kwToKwNat(rec);
await kwXfrmToUserspace(rec, work);
await kwToLibreswan(rec);
console.log(`runner: all scenarios done in ${Date.now() - t0} ms`);
save();
process.exit(0);
