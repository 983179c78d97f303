/**
 * Two Keyway engines with IKEv1 enabled (createV1Engine as v1Factory) on the
 * shared fake clock and network of the IKEv2 simulator (harness.ts).
 */
import { SeededRng } from '../../src/crypto/rng.js';
import { createEngine, type Engine } from '../../src/ike/engine.js';
import { createV1Engine } from '../../src/ike/v1/engine-v1.js';
import { MemoryDataplane } from '../../src/kernel/memory/memory-dataplane.js';
import { FakeClock } from './fake-clock.js';
import { FakeNet, settle } from './fake-net.js';
import { parseConfig, RecordingLogger, type Peer, WEST, EAST } from './harness.js';

export interface V1PairOptions {
  readonly westConn?: string;
  readonly eastConn?: string;
  readonly westChild?: string;
  readonly eastChild?: string;
  readonly westDaemon?: string;
  readonly eastDaemon?: string;
  readonly westPsk?: string;
  readonly eastPsk?: string;
  /** extra connections/children (whole sections) appended inside `connections {}` / the child list */
  readonly westExtraChildren?: string;
  readonly eastExtraChildren?: string;
  readonly seed?: string;
  readonly westVersion?: 0 | 1 | 2;
  readonly eastVersion?: 0 | 1 | 2;
  /** whole connection sections placed before east's `net` (so they rank first by config order) */
  readonly eastConnsBefore?: string;
  /** whole secret sections appended to east's secrets */
  readonly eastSecrets?: string;
  /** east's connection name (default net) */
  readonly eastName?: string;
  /** lines of the local / remote sections instead of `auth = psk` (e.g. RSA signatures with key files) */
  readonly westAuth?: { readonly local: string; readonly remote: string };
  readonly eastAuth?: { readonly local: string; readonly remote: string };
}

export function v1SideConfig(me: string, peer: string, meId: string, peerId: string, lts: string, rts: string, o: { conn: string; child: string; daemon: string; psk: string; extra: string; version: number; before?: string; secrets?: string; name?: string; auth?: { readonly local: string; readonly remote: string } }): string {
  return `
daemon {
  listen = ${me}
  log_level = debug
  ${o.daemon}
}
connections {
  ${o.before ?? ''}
  ${o.name ?? 'net'} {
    version = ${o.version}
    local_addrs = ${me}
    remote_addrs = ${peer}
    ${/\bproposals\s*=/.test(o.conn) ? '' : 'proposals = aes128-sha256-modp2048, aes256-sha1-ecp256'}
    ${o.conn}
    local {
      ${o.auth?.local ?? 'auth = psk'}
      id = ${meId}
    }
    remote {
      ${o.auth?.remote ?? 'auth = psk'}
      id = ${peerId}
    }
    children {
      net {
        local_ts = ${lts}
        remote_ts = ${rts}
        ${o.child.includes('esp_proposals') ? '' : 'esp_proposals = aes128-sha256, aes256gcm16'}
        ${o.child}
      }
      ${o.extra}
    }
  }
}
secrets {
  ike-1 {
    id-a = ${meId}
    id-b = ${peerId}
    secret = ${o.psk}
  }
  ${o.secrets ?? ''}
}
`;
}

export class V1Pair {
  readonly clock = new FakeClock();
  readonly net = new FakeNet();
  readonly west: Peer;
  readonly east: Peer;

  constructor(opts: V1PairOptions = {}) {
    const seed = opts.seed ?? 'v1pair';
    const psk = '"an IKEv1 sim secret of decent length"';
    const mk = (name: string, address: string, text: string): Peer => {
      const rng = new SeededRng(`${seed}-${name}`);
      const dataplane = new MemoryDataplane(new SeededRng(`${seed}-${name}-spi`));
      const logger = new RecordingLogger();
      const engine = createEngine(
        { rng, clock: this.clock, wallClock: this.clock, scheduler: this.clock, transport: this.net.transport(), dataplane, logger, v1Factory: createV1Engine },
        parseConfig(text, `${name}.conf`),
      );
      this.net.attach(address, engine);
      return { name, address, engine, dataplane, logger };
    };
    this.west = mk('west', WEST, v1SideConfig(WEST, EAST, 'west@example.org', 'east@example.org', '10.1.0.0/24', '10.2.0.0/24', {
      conn: opts.westConn ?? '', child: opts.westChild ?? '', daemon: opts.westDaemon ?? '', psk: opts.westPsk ?? psk, extra: opts.westExtraChildren ?? '', version: opts.westVersion ?? 1,
      ...(opts.westAuth === undefined ? {} : { auth: opts.westAuth }),
    }));
    this.east = mk('east', EAST, v1SideConfig(EAST, WEST, 'east@example.org', 'west@example.org', '10.2.0.0/24', '10.1.0.0/24', {
      conn: opts.eastConn ?? '', child: opts.eastChild ?? '', daemon: opts.eastDaemon ?? '', psk: opts.eastPsk ?? psk, extra: opts.eastExtraChildren ?? '', version: opts.eastVersion ?? 1,
      before: opts.eastConnsBefore ?? '', secrets: opts.eastSecrets ?? '', name: opts.eastName ?? 'net',
      ...(opts.eastAuth === undefined ? {} : { auth: opts.eastAuth }),
    }));
  }

  async run(maxSteps = 1000): Promise<void> {
    await settle();
    for (let i = 0; i < maxSteps; i++) {
      if (!this.net.deliverOne()) {
        await settle();
        if (this.net.queue.length === 0) return;
        continue;
      }
      await settle();
    }
    throw new Error('network did not quiesce');
  }

  async advance(ms: number, step = 500): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await this.run();
    }
  }

  /** Runs an API call to completion, advancing fake time to due timers when the network is idle. */
  async settle<T>(p: Promise<T>, maxRounds = 400): Promise<T> {
    let result: { v: T } | undefined;
    void p.then((v) => (result = { v }));
    for (let i = 0; i < maxRounds && result === undefined; i++) {
      await this.run();
      if (result !== undefined) break;
      const next = this.clock.nextAt();
      if (next === undefined) break;
      this.clock.advance(Math.max(0, next - this.clock.nowMs()));
    }
    return result === undefined ? await p : result.v;
  }

  initiate(from: Peer, conn = 'net', child?: string): ReturnType<Engine['initiate']> {
    return this.settle(from.engine.initiate(conn, child));
  }
}
