/**
 * Differential test (wireguard-go style): the interval intersection in
 * ts-narrow.ts against an obviously correct point-by-point reference over a
 * small universe (addresses in 10.0.0.0/28, ports 0..20, protocols 0/6/17).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { intersectTs, narrowTs, tsContains, type TsRange } from '../../../src/policy/ts.js';

const BASE = 0x0a000000n; // 10.0.0.0
const PROTOS = [0, 6, 17];
const CONCRETE = [1, 6, 17];

const arbRange: fc.Arbitrary<TsRange> = fc
  .record({
    a: fc.integer({ min: 0, max: 15 }),
    b: fc.integer({ min: 0, max: 15 }),
    p: fc.constantFrom(...PROTOS),
    s: fc.integer({ min: 0, max: 20 }),
    e: fc.integer({ min: 0, max: 20 }),
    anyPort: fc.boolean(),
  })
  .map(({ a, b, p, s, e, anyPort }) => ({
    family: 4 as const,
    start: BASE + BigInt(Math.min(a, b)),
    end: BASE + BigInt(Math.max(a, b)),
    protocol: p,
    startPort: anyPort ? 0 : Math.min(s, e),
    endPort: anyPort ? 65535 : Math.max(s, e),
  }));

function member(r: TsRange, addr: bigint, proto: number, port: number): boolean {
  return addr >= r.start && addr <= r.end && (r.protocol === 0 || r.protocol === proto) && port >= r.startPort && port <= r.endPort;
}

function* points(): Generator<[bigint, number, number]> {
  for (let a = 0n; a < 16n; a++) for (const p of CONCRETE) for (let port = 0; port <= 21; port++) yield [BASE + a, p, port];
}

test('intersectTs equals the point-wise AND of its inputs', () => {
  fc.assert(
    fc.property(arbRange, arbRange, (x, y) => {
      const i = intersectTs(x, y);
      let any = false;
      for (const [a, p, port] of points()) {
        const both = member(x, a, p, port) && member(y, a, p, port);
        any ||= both;
        assert.equal(i !== undefined && member(i, a, p, port), both);
      }
      assert.equal(i !== undefined, any, 'empty exactly when no common point');
      // a protocol-any result only when both inputs were protocol-any
      if (i !== undefined && i.protocol === 0) assert.ok(x.protocol === 0 && y.protocol === 0);
    }),
    { numRuns: 300 },
  );
});

test('narrowTs covers exactly the points in (any proposed) AND (any configured)', () => {
  fc.assert(
    fc.property(fc.array(arbRange, { maxLength: 3 }), fc.array(arbRange, { maxLength: 3 }), (prop, conf) => {
      const n = narrowTs(prop, conf);
      for (const [a, p, port] of points()) {
        const want = prop.some((x) => member(x, a, p, port)) && conf.some((y) => member(y, a, p, port));
        assert.equal(n.some((z) => member(z, a, p, port)), want);
      }
      for (const z of n) assert.ok(prop.some((x) => tsContains(x, z)), 'every result lies in a proposed selector');
    }),
    { numRuns: 200 },
  );
});
