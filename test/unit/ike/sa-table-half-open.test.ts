/**
 * SaTable.halfOpenCount() is kept current on state changes instead of walking
 * every SA per IKE_SA_INIT: checked against a brute-force count over the
 * table under random state changes, destroys, removals and re-adds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRng } from '../../../src/crypto/rng.js';
import { createEngine } from '../../../src/ike/engine.js';
import type { EngineContext } from '../../../src/ike/context.js';
import { IkeSa, type IkeSaState } from '../../../src/ike/ike-sa.js';
import { isHalfOpen } from '../../../src/ike/sa-table.js';
import { MemoryDataplane } from '../../../src/kernel/memory/memory-dataplane.js';
import { FakeClock } from '../../sim/fake-clock.js';
import { parseConfig } from '../../sim/harness.js';

// 'destroyed' is reached only through destroy() (which also empties the table), as in the engine
const STATES: readonly IkeSaState[] = ['created', 'connecting', 'authenticating', 'established', 'rekeyed', 'deleting'];

function context(): EngineContext {
  const clock = new FakeClock();
  const config = parseConfig('daemon {\n  listen = 192.0.2.2\n  log_level = error\n}\n');
  const engine = createEngine(
    {
      rng: new SeededRng('half-open'),
      clock,
      wallClock: clock,
      scheduler: clock,
      transport: { send: () => undefined },
      dataplane: new MemoryDataplane(new SeededRng('half-open-spi')),
      logger: { log: () => undefined },
    },
    config,
  );
  return engine.context;
}

function bruteForce(ctx: EngineContext): number {
  return ctx.table.all().filter((sa) => !sa.isOriginalInitiator && ['created', 'connecting', 'authenticating'].includes(sa.state)).length;
}

type Op =
  | { readonly op: 'create'; readonly initiator: boolean }
  | { readonly op: 'transition'; readonly pick: number; readonly to: IkeSaState }
  | { readonly op: 'destroy'; readonly pick: number }
  | { readonly op: 'remove'; readonly pick: number }
  | { readonly op: 'readd'; readonly pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), initiator: fc.boolean() }),
  // transitions dominate, so SAs walk through the state machine (invalid edges are refused by IkeSa)
  fc.record({ op: fc.constant('transition' as const), pick: fc.nat(), to: fc.constantFrom(...STATES) }),
  fc.record({ op: fc.constant('transition' as const), pick: fc.nat(), to: fc.constantFrom(...STATES) }),
  fc.record({ op: fc.constant('transition' as const), pick: fc.nat(), to: fc.constantFrom(...STATES) }),
  fc.record({ op: fc.constant('destroy' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('readd' as const), pick: fc.nat() }),
);

test('halfOpenCount equals a brute-force count under random state changes', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      const ctx = context();
      const made: IkeSa[] = [];
      let spi = 0;
      for (const o of ops) {
        if (o.op === 'create') {
          const s = new Uint8Array(8);
          new DataView(s.buffer).setUint32(4, ++spi);
          const ep = { address: '192.0.2.2', port: 500 };
          const sa = new IkeSa(ctx, { initiator: o.initiator, spiI: s, spiR: s.slice(), local: ep, remote: { address: '198.51.100.1', port: 500 } });
          ctx.table.add(sa);
          made.push(sa);
        } else {
          const sa = made[o.pick % Math.max(1, made.length)];
          if (sa === undefined) continue;
          if (o.op === 'transition') sa.transition(o.to);
          else if (o.op === 'destroy') sa.destroy('test');
          else if (o.op === 'remove') ctx.table.remove(sa);
          // a re-add of a live SA happens (ike-init-initiator); of a destroyed one it must not count
          else if (sa.state !== 'destroyed') ctx.table.add(sa);
        }
        assert.equal(ctx.table.halfOpenCount(), bruteForce(ctx));
      }
      // tearing everything down leaves nothing counted: each SA left the count exactly once
      for (const sa of made) sa.destroy('end');
      assert.equal(ctx.table.halfOpenCount(), 0);
      assert.equal(ctx.table.size(), 0);
    }),
    { numRuns: 300 },
  );
});

test('a responder SA is half-open until established; an initiator SA never is', () => {
  const ctx = context();
  const ep = { address: '192.0.2.2', port: 500 };
  const remote = { address: '198.51.100.1', port: 500 };
  const r = new IkeSa(ctx, { initiator: false, spiI: new Uint8Array(8).fill(1), spiR: new Uint8Array(8).fill(2), local: ep, remote });
  const i = new IkeSa(ctx, { initiator: true, spiI: new Uint8Array(8).fill(3), spiR: new Uint8Array(8), local: ep, remote });
  ctx.table.add(r);
  ctx.table.add(i);
  assert.equal(ctx.table.halfOpenCount(), 1);
  r.transition('connecting');
  r.transition('connecting'); // a repeated INIT round (COOKIE, INVALID_KE) must not count twice
  r.transition('authenticating');
  assert.equal(ctx.table.halfOpenCount(), 1);
  r.transition('established');
  assert.equal(ctx.table.halfOpenCount(), 0);
  r.transition('connecting'); // refused: established -> connecting is not an edge
  assert.equal(ctx.table.halfOpenCount(), 0);
  assert.equal(isHalfOpen(false, 'authenticating'), true);
  assert.equal(isHalfOpen(true, 'created'), false);
  const again = new IkeSa(ctx, { initiator: false, spiI: new Uint8Array(8).fill(4), spiR: new Uint8Array(8).fill(5), local: ep, remote });
  ctx.table.add(again);
  again.destroy('half-open IKE SA timed out');
  again.destroy('twice');
  assert.equal(ctx.table.halfOpenCount(), 0);
});
