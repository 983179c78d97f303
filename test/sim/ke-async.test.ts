/**
 * The IKE_SA_INIT responder while its Diffie-Hellman is computed elsewhere
 * (the daemon's worker pool): the KeyExchanger port is async, and the
 * responder must keep its properties while a DH is pending:
 *   - a retransmitted request is not computed twice (RFC 7296 §2.1),
 *   - the pending SA counts as half-open (half-open limit, COOKIE threshold §2.6),
 *   - nothing is sent until the DH is done, then the exchange completes,
 *   - an invalid KE value found by the (remote) computation is answered
 *     INVALID_SYNTAX and leaves no state.
 * The gate below holds each respond() until the test releases it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InThreadKeyExchanger, type KeResponse, type KeyExchanger, type PendingKeyExchange } from '../../src/crypto/ke/exchanger.js';
import { createKeyExchange, type KeyExchangeOptions } from '../../src/crypto/ke/index.js';
import { SeededRng } from '../../src/crypto/rng.js';
import { createEngine, type Engine } from '../../src/ike/engine.js';
import { MemoryDataplane } from '../../src/kernel/memory/memory-dataplane.js';
import { CryptoError } from '../../src/util/errors.js';
import { FakeClock } from './fake-clock.js';
import { FakeNet, settle } from './fake-net.js';
import { EAST, RecordingLogger, WEST, parseConfig, sideConfig } from './harness.js';

class GatedKeyExchanger implements KeyExchanger {
  readonly inner: KeyExchanger;
  responds = 0;
  private readonly held: (() => void)[] = [];
  failNext: CryptoError | undefined;

  constructor(seed: string) {
    const rng = new SeededRng(seed);
    this.inner = new InThreadKeyExchanger((g, o) => createKeyExchange(g, rng, o));
  }

  async respond(group: number, peer: Uint8Array, opts?: KeyExchangeOptions): Promise<KeResponse> {
    this.responds++;
    await new Promise<void>((r) => this.held.push(r));
    const f = this.failNext;
    this.failNext = undefined;
    if (f !== undefined) throw f;
    return this.inner.respond(group, peer, opts);
  }

  initiate(group: number, opts?: KeyExchangeOptions): Promise<PendingKeyExchange> {
    return this.inner.initiate(group, opts);
  }

  get pending(): number {
    return this.held.length;
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

interface Lab {
  clock: FakeClock;
  net: FakeNet;
  west: Engine;
  east: Engine;
  gate: GatedKeyExchanger;
}

function lab(eastDaemon = ''): Lab {
  const clock = new FakeClock();
  const net = new FakeNet();
  const gate = new GatedKeyExchanger('east-ke');
  const mk = (address: string, cfgText: string, name: string, ke?: KeyExchanger): Engine => {
    const engine = createEngine(
      {
        rng: new SeededRng(`ke-async-${name}`),
        clock,
        wallClock: clock,
        scheduler: clock,
        transport: net.transport(),
        dataplane: new MemoryDataplane(new SeededRng(`ke-async-${name}-spi`)),
        logger: new RecordingLogger(),
        ...(ke ? { keyExchanger: ke } : {}),
      },
      parseConfig(cfgText, `${name}.conf`),
    );
    net.attach(address, engine);
    return engine;
  };
  const psk = '"a sim secret of decent length"';
  const west = mk(WEST, sideConfig(WEST, EAST, 'west@example.org', 'east@example.org', '10.1.0.0/24', '10.2.0.0/24', '', '', '', psk), 'west');
  const east = mk(EAST, sideConfig(EAST, WEST, 'east@example.org', 'west@example.org', '10.2.0.0/24', '10.1.0.0/24', '', '', eastDaemon, psk), 'east', gate);
  return { clock, net, west, east, gate };
}

async function runNet(net: FakeNet): Promise<void> {
  await settle();
  for (let i = 0; i < 200 && net.deliverOne(); i++) await settle();
}

/** Shuts both engines down, running the network (and the clock, for unanswered deletes) meanwhile. */
async function shutdown(l: Lab): Promise<void> {
  l.gate.release();
  let finished = false;
  const p = Promise.all([l.west.shutdown(), l.east.shutdown()]).then(() => (finished = true));
  for (let i = 0; i < 100 && !finished; i++) {
    await runNet(l.net);
    if (finished) break;
    const next = l.clock.nextAt();
    if (next !== undefined) l.clock.advance(Math.max(0, next - l.clock.nowMs()));
  }
  await p;
}

test('a pending DH: the request is computed once, counts as half-open, and the exchange completes when it is done', async () => {
  const l = lab('half_open_limit = 1');
  const { net, west, east, gate } = l;
  const done = west.initiate('net');
  await settle();
  const request = net.queue[0];
  assert.ok(request !== undefined, 'west sent IKE_SA_INIT');
  net.deliverOne();
  await settle();
  assert.equal(gate.responds, 1);
  assert.equal(gate.pending, 1, 'the DH is still being computed');
  assert.equal(east.counters().halfOpen, 1, 'the pending SA is half-open');
  assert.equal(net.queue.length, 0, 'nothing is sent before the DH is done');

  // §2.1: the initiator retransmits; the responder must not start a second DH.
  east.receive({ local: request.remote, remote: request.local, bytes: request.bytes });
  await settle();
  assert.equal(gate.responds, 1, 'the retransmission was not computed again');
  assert.equal(east.counters().counters['msg.rx.drop.init.pending'], 1);

  // Another initiator (different SPIi) meets the half-open limit the pending SA occupies.
  const other = new Uint8Array(request.bytes);
  other[0] = (other[0] ?? 0) ^ 0xff;
  east.receive({ local: request.remote, remote: request.local, bytes: other });
  await settle();
  assert.equal(gate.responds, 1);
  assert.equal(east.counters().counters['msg.rx.drop.init.halfopen_limit'], 1);

  gate.release();
  await settle();
  assert.equal(net.queue.length, 1, 'the IKE_SA_INIT response went out once the DH was done');
  await runNet(net);
  const r = await done;
  assert.equal(r.ok, true, r.error);
  assert.equal(gate.responds, 1);
  assert.equal((await east.listSas())[0]?.state, 'established');
  await shutdown(l);
  assert.equal(east.counters().ikeSas, 0);
});

test('a pending DH counts towards the COOKIE threshold', async () => {
  const l = lab('cookie_threshold = 1');
  const { net, west, east, gate } = l;
  void west.initiate('net');
  await settle();
  const request = net.queue[0];
  assert.ok(request !== undefined);
  net.deliverOne();
  await settle();
  assert.equal(gate.pending, 1);
  const other = new Uint8Array(request.bytes);
  other[1] = (other[1] ?? 0) ^ 0xff;
  east.receive({ local: request.remote, remote: request.local, bytes: other });
  await settle();
  assert.equal(east.counters().counters['ike.init.cookie.sent'], 1, 'the second initiator is asked for a COOKIE');
  await shutdown(l);
});

test('an invalid KE value reported by the DH computation: INVALID_SYNTAX, no state left', async () => {
  const l = lab();
  const { net, west, east, gate } = l;
  const done = west.initiate('net');
  await settle();
  net.deliverOne();
  await settle();
  assert.equal(east.counters().halfOpen, 1);
  gate.failNext = new CryptoError('IKE_ERR_KE_INVALID', 'public value rejected');
  gate.release();
  await settle();
  assert.equal(east.counters().ikeSas, 0, 'the half-open SA is gone');
  assert.equal(east.counters().halfOpen, 0);
  assert.equal(east.counters().counters['ike.init.invalid_ke_value'], 1);
  assert.equal(east.failures()[0]?.kind, 'ke');
  assert.equal(net.queue.length, 1, 'one stateless answer');
  await runNet(net);
  const r = await done;
  assert.equal(r.ok, false);
  await shutdown(l);
});
