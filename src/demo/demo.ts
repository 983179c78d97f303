/**
 * `npm run demo`: two Keyway daemons on loopback (127.0.0.1 "west" and
 * 127.0.0.2 "east", unprivileged ports), an IKEv2 IKE SA and CHILD SA with a
 * pre-shared key, both sides' SA tables, then a clean teardown.
 * Everything goes through the real daemon and the real `keyway` CLI.
 * `--namespaces` (root): the same across two network namespaces with the
 * userspace ESP dataplane and traffic through the tunnel (namespaces.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNamespacesDemo } from './namespaces.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'bin', 'keyway.js');

function freePort(address: string): Promise<number> {
  return new Promise((res, rej) => {
    const s = createSocket('udp4');
    s.once('error', rej);
    s.bind(0, address, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function config(me: string, peer: string, port: number, natPort: number, dir: string, name: string, peerName: string): string {
  return `# Keyway demo: ${name}
daemon {
  listen = ${me}
  port = ${port}
  nat_port = ${natPort}
  control_socket = ${join(dir, `${name}.sock`)}
  dataplane = memory
  log_level = info
}
connections {
  demo {
    version = 2
    local_addrs = ${me}
    remote_addrs = ${peer}
    remote_port = ${port}
    proposals = aes256gcm16-prfsha384-x25519
    local {
      auth = psk
      id = ${name}.keyway.example
    }
    remote {
      auth = psk
      id = ${peerName}.keyway.example
    }
    children {
      net {
        local_ts = ${name === 'west' ? '10.1.0.0/24' : '10.2.0.0/24'}
        remote_ts = ${name === 'west' ? '10.2.0.0/24' : '10.1.0.0/24'}
        esp_proposals = aes128gcm16-x25519
        rekey_time = 1h
      }
    }
  }
}
secrets {
  ike-demo {
    id-1 = west.keyway.example
    id-2 = east.keyway.example
    secret = "keyway demo secret: not for production"
  }
}
`;
}

function cli(args: string[]): { status: number; out: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

async function waitFor(path: string, proc: ChildProcess, log: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (existsSync(path)) return;
    if (proc.exitCode !== null) throw new Error(`daemon exited early:\n${readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`control socket ${path} did not appear`);
}

function banner(text: string): void {
  console.log(`\n=== ${text} ${'='.repeat(Math.max(0, 70 - text.length))}`);
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'keyway-demo-'));
  const procs: ChildProcess[] = [];
  try {
    const port = await freePort('127.0.0.1');
    const natPort = await freePort('127.0.0.1');
    const sides = [
      { name: 'west', me: '127.0.0.1', peer: '127.0.0.2', peerName: 'east' },
      { name: 'east', me: '127.0.0.2', peer: '127.0.0.1', peerName: 'west' },
    ] as const;
    for (const s of sides) {
      const file = join(dir, `${s.name}.conf`);
      writeFileSync(file, config(s.me, s.peer, port, natPort, dir, s.name, s.peerName), { mode: 0o600 });
      const log = join(dir, `${s.name}.log`);
      const fd = openSync(log, 'w', 0o600);
      const p = spawn(process.execPath, [bin, 'daemon', '--config', file, '--log-format', 'text'], { stdio: ['ignore', fd, fd] });
      procs.push(p);
      await waitFor(join(dir, `${s.name}.sock`), p, log);
    }
    const sock = (n: string): string => join(dir, `${n}.sock`);
    banner(`two daemons: west 127.0.0.1:${port}, east 127.0.0.2:${port} (config in ${dir})`);
    banner('west: keyway initiate demo');
    const init = cli(['initiate', 'demo', '--socket', sock('west')]);
    console.log(init.out.trimEnd());
    if (init.status !== 0) throw new Error('initiation failed');
    for (const n of ['west', 'east']) {
      banner(`${n}: keyway list-sas`);
      console.log(cli(['list-sas', '--socket', sock(n)]).out.trimEnd());
    }
    // Cross-check the two sides from the documented JSON shape.
    type Sa = { uniqueId: number; spiI: string; spiR: string; children: { spiIn: string; spiOut: string }[] };
    const w = JSON.parse(cli(['list-sas', '--json', '--socket', sock('west')]).out) as Sa[];
    const e = JSON.parse(cli(['list-sas', '--json', '--socket', sock('east')]).out) as Sa[];
    const ws = w[0];
    const es = e[0];
    const match =
      ws !== undefined && es !== undefined && ws.spiI === es.spiI && ws.spiR === es.spiR &&
      ws.children[0]?.spiIn === es.children[0]?.spiOut && ws.children[0]?.spiOut === es.children[0]?.spiIn;
    banner(match ? 'check: both sides agree on IKE and ESP SPIs' : 'check FAILED: the sides disagree');
    if (!match || ws === undefined) return 1;
    banner('west: keyway terminate --ike ' + String(ws.uniqueId));
    console.log(cli(['terminate', '--ike', String(ws.uniqueId), '--socket', sock('west')]).out.trimEnd());
    await new Promise((r) => setTimeout(r, 200));
    for (const n of ['west', 'east']) {
      banner(`${n}: keyway list-sas (after delete)`);
      console.log(cli(['list-sas', '--socket', sock(n)]).out.trimEnd() || '(no SAs)');
    }
    banner('west: keyway stats');
    console.log(cli(['stats', '--socket', sock('west')]).out.trimEnd());
    return 0;
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)))));
    if (process.env['KEYWAY_DEMO_KEEP'] !== '1') rmSync(dir, { recursive: true, force: true });
    banner('daemons stopped, demo files removed');
  }
}

process.exitCode = await (process.argv.includes('--namespaces') ? runNamespacesDemo(bin) : main()).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  return 1;
});
