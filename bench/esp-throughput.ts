/**
 * Userspace ESP throughput (issue 4 "Performance"): two Keyway daemons with
 * the `userspace` dataplane in two network namespaces (west 192.0.2.1, east
 * 192.0.2.2, the lab topology of test/interop), one CHILD SA between
 * 10.1.0.0/24 and 10.2.0.0/24. A UDP flood runs inside west from 10.1.0.1 to
 * a sink on 10.2.0.1 for a bounded time; packets/s and Mbit/s are what the
 * sink received through the tunnel (inner IP packet sizes, 64 and 1400 bytes).
 * Both daemons, the generator and the sink share this machine's cores.
 *
 * Run (root): npm run bench:esp [-- --seconds 5 --esp aes128gcm16 --rate 0]
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { repoPath } from '../test/helpers/paths.js';
import { run, start, sleep } from '../test/interop/lab/exec.js';
import { startKeyway } from '../test/interop/lab/keyway.js';
import { missingPrereqs } from '../test/interop/lab/prereq.js';
import { eastConf, sitePair, westConf } from '../test/interop/lab/scenario.js';
import { createTopology, EAST_LAN, WEST_LAN } from '../test/interop/lab/topology.js';
import { kwEstablished, pollUntil } from '../test/interop/lab/expect.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

const seconds = Number(arg('seconds', '5'));
const esps = arg('esp', 'aes128gcm16,aes256-sha256').split(',');
const rate = Number(arg('rate', '0'));
const verbose = process.argv.includes('--verbose');
const sizes = arg('sizes', '64,1400').split(',').map(Number);
const flood = repoPath('dist', 'bench', 'udp-flood.js');
const PORT = 9999;

/** user+system CPU seconds of a process (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s) */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  const why = missingPrereqs(['root', 'netns']);
  if (why !== undefined) {
    console.error(`bench:esp needs ${why}`);
    process.exitCode = 1;
    return;
  }
  console.log(`userspace ESP throughput, ${seconds} s per run, ${cpus().length} CPU(s): ${cpus()[0]?.model ?? ''}`);
  console.log('esp                 inner IP size  offered pkt/s  delivered pkt/s  Mbit/s (inner)  loss');
  for (const esp of esps) {
    const topo = await createTopology();
    const pair = sitePair({ ike: 'aes128gcm16-prfsha256-x25519', esp });
    const east = await startKeyway({ host: topo.east, conf: eastConf(pair), dataplane: 'userspace', logLevel: 'warn' });
    const west = await startKeyway({ host: topo.west, conf: westConf(pair), dataplane: 'userspace', logLevel: 'warn' });
    try {
      const r = await west.initiate('gw', 'net');
      if (r.code !== 0) throw new Error(`initiate failed: ${r.stdout}${r.stderr}`);
      await pollUntil(() => west.listSas(), kwEstablished);
      for (const ipSize of sizes) {
        const sink = start(topo.east.exec([process.execPath, flood, 'sink', EAST_LAN, String(PORT)]));
        for (let i = 0; i < 100 && !sink.output().includes('listening'); i++) await sleep(50);
        const cpu0 = [cpuSeconds(west.proc.pid), cpuSeconds(east.proc.pid)];
        const sent = await run(topo.west.exec([process.execPath, flood, 'send', WEST_LAN, EAST_LAN, String(PORT), String(ipSize - 28), String(seconds), String(rate)]), {
          timeoutMs: (seconds + 30) * 1000,
        });
        const cpu1 = [cpuSeconds(west.proc.pid), cpuSeconds(east.proc.pid)];
        await sleep(500); // let the queues drain
        await sink.stop();
        const got = JSON.parse(/\{.*\}/.exec(sink.output())?.[0] ?? '{}') as { packets?: number; firstMs?: number; lastMs?: number };
        const offered = Number(/"sent":(\d+)/.exec(sent.stdout)?.[1] ?? 0);
        const packets = got.packets ?? 0;
        const pps = packets / seconds;
        const mbit = (pps * ipSize * 8) / 1e6;
        const loss = offered > 0 ? (1 - packets / offered) * 100 : 0;
        console.log(
          `${esp.padEnd(20)}${String(ipSize).padStart(13)}  ${Math.round(offered / seconds).toString().padStart(13)}  ${Math.round(pps).toString().padStart(15)}  ${mbit.toFixed(1).padStart(14)}  ${loss.toFixed(1).padStart(4)}%`,
        );
        if (verbose) {
          console.log(`  daemon CPU: west ${(((cpu1[0] ?? 0) - (cpu0[0] ?? 0)) / seconds * 100).toFixed(0)}%, east ${(((cpu1[1] ?? 0) - (cpu0[1] ?? 0)) / seconds * 100).toFixed(0)}%`);
          // where packets were lost: daemon counters and the kernel's UDP counters per namespace
          const pick = (c: unknown): Record<string, number> =>
            Object.fromEntries(Object.entries((c as { counters?: Record<string, number> }).counters ?? {}).filter(([k]) => /^(tun|esp|udp)\./.test(k)));
          console.log('  west', JSON.stringify(pick(await west.cli(['stats']))));
          console.log('  east', JSON.stringify(pick(await east.cli(['stats']))));
          for (const h of [topo.west, topo.east]) {
            const snmp = await run(h.exec(['cat', '/proc/net/snmp']));
            console.log(`  ${h.ns} ${snmp.stdout.split('\n').filter((l) => l.startsWith('Udp:')).join(' | ')}`);
            const link = await run(h.exec(['ip', '-s', 'link', 'show', 'keyway0']));
            console.log(`  ${h.ns} ${link.stdout.replace(/\s+/g, ' ')}`);
          }
        }
      }
    } finally {
      await west.stop();
      await east.stop();
      await topo.destroy();
    }
  }
}

await main();
