/**
 * charon (strongSwan 5.9.8) tuned for a load benchmark, one per namespace.
 * Like test/interop/lab/strongswan.ts (private mount namespace for the
 * hard-coded /var/run/charon.pid, per-instance temp dir), but with the
 * settings strongSwan's own load-testing notes recommend, so that the
 * reference is not handicapped by defaults meant for a small gateway:
 *
 *   - ikesa_table_size / segments: the IKE SA hash table (default 1 bucket)
 *   - block_threshold / cookie_threshold(_ip) / init_limit_half_open: no DoS
 *     throttling of a single busy initiator
 *   - reuse_ikesa = no: every `initiate` makes a new IKE SA (the initiator)
 *   - threads: enough for many concurrent blocking vici initiates
 *   - logging at level 0 to a file (only errors), as a busy gateway would run
 *
 * kernel-libipsec (userspace ESP) is the CHILD SA dataplane: the host kernel
 * has no ESP. It makes charon fake a NAT, so IKE_AUTH moves to port 4500.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOk, start, waitFor, type Started } from '../../test/interop/lab/exec.js';
import { availablePlugins, findCharon } from '../../test/interop/lab/strongswan.js';
import type { Host } from '../../test/interop/lab/topology.js';
import { ViciClient } from './vici.js';

export interface BenchCharon {
  readonly dir: string;
  readonly viciPath: string;
  readonly proc: Started;
  load(swanctlConf: string): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

function conf(section: string, dir: string, threads: number, logLevel: number): string {
  const plugins = availablePlugins();
  return `${section} {
  load = ${plugins.join(' ')}
  install_routes = no
  install_virtual_ip = no
  port = 500
  port_nat_t = 4500
  threads = ${threads}
  reuse_ikesa = no
  ikesa_table_size = 4096
  ikesa_table_segments = 16
  block_threshold = 1000000
  cookie_threshold = 1000000
  cookie_threshold_ip = 1000000
  init_limit_half_open = 0
  half_open_timeout = 60
  retransmit_timeout = 4.0
  retransmit_tries = 5
  plugins {
    vici {
      socket = unix://${dir}/charon.vici
    }
  }
  filelog {
    bench {
      path = ${dir}/charon.log
      default = ${logLevel}
      time_format = %T
      time_add_ms = yes
      flush_line = no
    }
  }
  journal {
    default = -1
  }
  syslog {
    daemon {
      default = -1
    }
  }
}
`;
}

export async function startBenchCharon(host: Host, opts: { threads?: number; logLevel?: number } = {}): Promise<BenchCharon> {
  const bin = findCharon();
  if (bin === undefined) throw new Error('charon not installed');
  const dir = mkdtempSync(join(tmpdir(), `kw-bench-charon-${host.ns}-`));
  const section = bin.endsWith('charon-systemd') ? 'charon-systemd' : 'charon';
  const confPath = join(dir, 'strongswan.conf');
  writeFileSync(confPath, conf(section, dir, opts.threads ?? 16, opts.logLevel ?? 0));
  const viciPath = join(dir, 'charon.vici');
  const proc = start(host.exec(['unshare', '-m', 'sh', '-c', `mount -t tmpfs none /var/run && exec ${bin}`]), {
    ...process.env,
    STRONGSWAN_CONF: confPath,
  });
  const logPath = join(dir, 'charon.log');
  const log = (): string => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  const cleanup = async (): Promise<void> => {
    await proc.stop();
    if (process.env['KEYWAY_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('charon vici socket', async () => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`charon exited early:\n${proc.output()}`);
      if (!existsSync(viciPath)) return false;
      try {
        const c = await ViciClient.open(viciPath);
        c.close();
        return true;
      } catch {
        return false;
      }
    }, 15_000);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return {
    dir,
    viciPath,
    proc,
    async load(text: string): Promise<void> {
      const file = join(dir, 'swanctl.conf');
      writeFileSync(file, text);
      await runOk(['swanctl', '--load-all', '--noprompt', '--file', file, '--uri', `unix://${viciPath}`], { timeoutMs: 20_000 });
    },
    log,
    stop: cleanup,
  };
}
