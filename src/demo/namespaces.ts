/**
 * `npm run demo -- --namespaces` (root only): the two-daemon demo across two
 * network namespaces with the `userspace` ESP dataplane, showing real packets
 * crossing the tunnel:
 *
 *   west ns  192.0.2.1 (veth)  keyway0: 10.1.0.1   <== ESP in UDP 4500 ==>   east ns  192.0.2.2  keyway0: 10.2.0.1
 *
 * A UDP "ping" (echo) goes from 10.1.0.1 to 10.2.0.1 and back; both daemons'
 * SA counters and ESP statistics are printed. Namespaces, daemons and files
 * are removed at the end (and on Ctrl-C).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Side {
  readonly name: 'west' | 'east';
  readonly ns: string;
  readonly dev: string;
  readonly outer: string;
  readonly inner: string;
  readonly net: string;
}

function sh(argv: readonly string[]): { status: number; out: string } {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd ?? 'false', args, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function must(argv: readonly string[]): string {
  const r = sh(argv);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.out}`);
  return r.out;
}

function config(s: Side, peer: Side, dir: string): string {
  return `# Keyway namespaces demo: ${s.name}
daemon {
  listen = ${s.outer}
  control_socket = ${join(dir, `${s.name}.sock`)}
  dataplane = userspace
  tun_addresses = ${s.inner}/32
  log_level = info
}
connections {
  demo {
    version = 2
    local_addrs = ${s.outer}
    remote_addrs = ${peer.outer}
    proposals = aes256gcm16-prfsha384-x25519
    local {
      auth = psk
      id = ${s.name}.keyway.example
    }
    remote {
      auth = psk
      id = ${peer.name}.keyway.example
    }
    children {
      net {
        local_ts = ${s.net}
        remote_ts = ${peer.net}
        esp_proposals = aes128gcm16
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

const ECHO_SERVER = `const s=require('node:dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(7777,process.argv[1],()=>console.log('ready'));`;
const ECHO_CLIENT = `const s=require('node:dgram').createSocket('udp4');const [src,dst]=process.argv.slice(1);let i=0;
s.bind(0,src,()=>{const one=()=>{if(i===3){s.close();return;}const t=process.hrtime.bigint();const to=setTimeout(()=>{console.log('no reply');s.close();process.exitCode=1;},2000);
s.once('message',(m)=>{clearTimeout(to);console.log(m.length+' bytes from '+dst+':7777 seq='+i+' time='+(Number(process.hrtime.bigint()-t)/1e6).toFixed(2)+' ms');i++;one();});s.send(Buffer.alloc(56,i),7777,dst);};one();});`;

function banner(text: string): void {
  console.log(`\n=== ${text} ${'='.repeat(Math.max(0, 70 - text.length))}`);
}

export async function runNamespacesDemo(bin: string): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('--namespaces needs root (network namespaces, TUN devices); run: sudo npm run demo -- --namespaces');
    return 1;
  }
  const prefix = `kwdemo-${process.pid}`;
  const west: Side = { name: 'west', ns: `${prefix}-west`, dev: 'w0', outer: '192.0.2.1', inner: '10.1.0.1', net: '10.1.0.0/24' };
  const east: Side = { name: 'east', ns: `${prefix}-east`, dev: 'e0', outer: '192.0.2.2', inner: '10.2.0.1', net: '10.2.0.0/24' };
  const dir = mkdtempSync(join(tmpdir(), 'keyway-nsdemo-'));
  const procs: ChildProcess[] = [];
  const cleanup = (): void => {
    for (const p of procs) if (p.exitCode === null && p.pid !== undefined) p.kill('SIGTERM');
    for (const s of [west, east]) sh(['ip', 'netns', 'del', s.ns]);
  };
  const onSignal = (): void => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  const cli = (s: Side, args: string[]): string => sh([process.execPath, bin, ...args, '--socket', join(dir, `${s.name}.sock`)]).out.trimEnd();
  try {
    for (const s of [west, east]) {
      must(['ip', 'netns', 'add', s.ns]);
      must(['ip', '-n', s.ns, 'link', 'set', 'lo', 'up']);
    }
    must(['ip', 'link', 'add', west.dev, 'netns', west.ns, 'type', 'veth', 'peer', 'name', east.dev, 'netns', east.ns]);
    for (const s of [west, east]) {
      must(['ip', '-n', s.ns, 'addr', 'add', `${s.outer}/24`, 'dev', s.dev]);
      must(['ip', '-n', s.ns, 'link', 'set', s.dev, 'up']);
    }
    for (const [s, peer] of [[west, east], [east, west]] as const) {
      const file = join(dir, `${s.name}.conf`);
      writeFileSync(file, config(s, peer, dir), { mode: 0o600 });
      const log = join(dir, `${s.name}.log`);
      const fd = openSync(log, 'w', 0o600);
      const p = spawn('ip', ['netns', 'exec', s.ns, process.execPath, bin, 'daemon', '--config', file, '--log-format', 'text'], { stdio: ['ignore', fd, fd] });
      procs.push(p);
      const sock = join(dir, `${s.name}.sock`);
      for (let i = 0; i < 100 && !existsSync(sock); i++) {
        if (p.exitCode !== null) throw new Error(`${s.name} daemon exited:\n${readFileSync(log, 'utf8')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    banner(`namespaces ${west.ns} (192.0.2.1) and ${east.ns} (192.0.2.2), userspace dataplane`);
    banner('west: keyway initiate demo');
    console.log(cli(west, ['initiate', 'demo']));
    banner('west: ip route show table 220 / ip rule (set up by the daemon)');
    console.log(must(['ip', '-n', west.ns, 'route', 'show', 'table', '220']).trimEnd());
    console.log(must(['ip', '-n', west.ns, 'rule', 'show']).trimEnd());
    banner(`west: UDP ping ${west.inner} -> ${east.inner} through the tunnel`);
    const server = spawn('ip', ['netns', 'exec', east.ns, process.execPath, '-e', ECHO_SERVER, east.inner], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(server);
    await new Promise<void>((r) => {
      server.stdout?.once('data', () => r());
      setTimeout(r, 3000);
    });
    const ping = sh(['ip', 'netns', 'exec', west.ns, process.execPath, '-e', ECHO_CLIENT, west.inner, east.inner]);
    console.log(ping.out.trimEnd());
    server.kill('SIGTERM');
    for (const s of [west, east]) {
      banner(`${s.name}: keyway list-sas`);
      console.log(cli(s, ['list-sas']));
    }
    banner('west: ESP counters from keyway stats --json');
    const stats = JSON.parse(cli(west, ['stats', '--json'])) as { counters: Record<string, number> };
    console.log(Object.entries(stats.counters).filter(([k]) => /^(esp|tun)\./.test(k)).map(([k, v]) => `  ${k} = ${v}`).join('\n'));
    const ok = ping.status === 0;
    banner(ok ? 'check: 3 datagrams crossed the tunnel and came back' : 'check FAILED: no replies through the tunnel');
    return ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)))));
    for (const s of [west, east]) sh(['ip', 'netns', 'del', s.ns]);
    if (process.env['KEYWAY_DEMO_KEEP'] !== '1') rmSync(dir, { recursive: true, force: true });
    banner('daemons stopped, namespaces and demo files removed');
  }
}
