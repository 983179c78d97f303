import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SystemClock, SystemWallClock, TimerScheduler } from '../../../src/daemon/node-platform.js';

describe('node platform ports', () => {
  test('SystemClock is monotonic and in milliseconds', async () => {
    const c = new SystemClock();
    const a = c.nowMs();
    await new Promise((r) => setTimeout(r, 20));
    const b = c.nowMs();
    assert.ok(b - a >= 15 && b - a < 1000, `elapsed ${b - a}`);
    assert.ok(Math.abs(new SystemWallClock().nowEpochMs() - Date.now()) < 1000);
  });

  test('timers fire once, at or after their time, in order', async () => {
    const clock = new SystemClock();
    const s = new TimerScheduler(clock);
    const fired: [string, number][] = [];
    const t0 = clock.nowMs();
    s.at(t0 + 30, () => fired.push(['b', clock.nowMs()]));
    s.at(t0 + 10, () => fired.push(['a', clock.nowMs()]));
    s.at(t0 - 100, () => fired.push(['past', clock.nowMs()]));
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(fired.map(([n]) => n), ['past', 'a', 'b']);
    assert.ok((fired[1]?.[1] ?? 0) >= t0 + 10 - 1);
    assert.ok((fired[2]?.[1] ?? 0) >= t0 + 30 - 1);
    assert.equal(s.pending, 0);
  });

  test('cancel prevents firing and is idempotent; errors go to onError', async () => {
    const clock = new SystemClock();
    const errors: unknown[] = [];
    const s = new TimerScheduler(clock, (e) => errors.push(e));
    let fired = 0;
    const h = s.at(clock.nowMs() + 10, () => fired++);
    s.cancel(h);
    s.cancel(h);
    s.at(clock.nowMs() + 5, () => {
      throw new Error('boom');
    });
    const far = s.at(clock.nowMs() + 2 ** 40, () => fired++);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(fired, 0);
    assert.equal(errors.length, 1);
    assert.equal(s.pending, 1);
    s.cancel(far);
    assert.equal(s.pending, 0);
  });
});
