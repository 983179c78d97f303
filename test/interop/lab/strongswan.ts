/**
 * strongSwan 5.9.8 (charon) as the reference peer, one per namespace
 * (LAB.md §2). charon hard-codes /var/run/charon.pid, so each instance runs
 * in a private mount namespace with a tmpfs on /var/run. Its strongswan.conf,
 * vici socket, swanctl.conf and log all live in a per-instance temp dir.
 *
 * CHILD SAs: the host kernel has no ESP, so kernel-netlink alone cannot
 * install them. kernel-libipsec (loaded before kernel-netlink) provides a
 * userspace ESP dataplane over a TUN device (/dev/net/tun), which always
 * UDP-encapsulates and therefore makes charon pretend to be behind a NAT
 * (IKE_AUTH moves to port 4500). It also always installs a route for each
 * policy, which needs a local address inside the local traffic selector: the
 * topology adds 10.1.0.1 / 10.2.0.1 to the veth for that reason.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOk, start, waitFor } from './exec.js';
import type { RunResult, Started } from './exec.js';
import type { Host } from './topology.js';
import { ikeSasFromRaw } from './vici-raw.js';
import type { SwanIkeSa } from './vici-raw.js';

const PLUGIN_DIR = '/usr/lib/ipsec/plugins';

/**
 * Plugins we want, in load order. openssl covers MODP/ECP (incl. brainpool),
 * AES-CBC/GCM, SHA-2 and X25519; xcbc is needed for AES-XCBC (openssl has no
 * XCBC), chapoly is a fallback for ChaCha20-Poly1305. kernel-libipsec must come
 * before kernel-netlink so that it registers the IPsec (SA/SP) interface.
 */
export const WANTED_PLUGINS: readonly string[] = [
  'random', 'nonce', 'openssl', 'aes', 'sha1', 'sha2', 'hmac', 'gcm', 'chapoly',
  'curve25519', 'x509', 'pem', 'pkcs1', 'pubkey', 'revocation', 'kdf',
  'kernel-libipsec', 'kernel-netlink', 'socket-default', 'vici', 'updown', 'xcbc', 'cmac',
];

/** The charon binary: Debian's charon-systemd runs fine without systemd. */
export function findCharon(): string | undefined {
  for (const p of ['/usr/lib/ipsec/charon', '/usr/sbin/charon-systemd', '/usr/libexec/ipsec/charon']) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function availablePlugins(wanted: readonly string[] = WANTED_PLUGINS): string[] {
  return wanted.filter((p) => existsSync(join(PLUGIN_DIR, `libstrongswan-${p}.so`)));
}

export interface CharonOptions {
  readonly host: Host;
  /** filelog levels per subsystem; defaults give enough for assertions */
  readonly logLevels?: Readonly<Record<string, number>>;
  /** override the plugin list (e.g. without kernel-libipsec for IKE-only runs) */
  readonly plugins?: readonly string[];
  /** extra `key = value` lines for charon's section of strongswan.conf */
  readonly settings?: readonly string[];
}

/**
 * charon refuses to answer Aggressive Mode with a PSK unless told it may
 * (the offline-guessing risk, docs/ikev1.md): lab charons that test it set this.
 */
export const AGGRESSIVE_PSK_SETTING = 'i_dont_care_about_security_and_use_aggressive_mode_psk = yes';

export interface InitiateSpec {
  readonly child?: string;
  readonly ike?: string;
  readonly timeoutS?: number;
}

export interface Charon {
  readonly host: Host;
  readonly dir: string;
  readonly uri: string;
  readonly logPath: string;
  readonly proc: Started;
  /** Run swanctl with `--uri` appended; resolves with the result (no throw). */
  swanctl(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** Write swanctl.conf and load connections and secrets (replacing the old ones). */
  load(conf: string): Promise<void>;
  listSas(): Promise<SwanIkeSa[]>;
  initiate(spec: InitiateSpec): Promise<RunResult>;
  terminateIke(nameOrId: string | number): Promise<RunResult>;
  /** Terminate every IKE SA (between scenarios). */
  terminateAll(): Promise<void>;
  log(): string;
  /** Resolve when the log matches `re` (searching from `fromOffset`). */
  waitForLog(re: RegExp, timeoutMs?: number, fromOffset?: number): Promise<string>;
  stop(): Promise<void>;
}

const DEFAULT_LOG: Readonly<Record<string, number>> = {
  default: 1, ike: 2, cfg: 2, knl: 1, net: 1, enc: 1, chd: 2, lib: 1,
};

function strongswanConf(section: string, dir: string, plugins: readonly string[], levels: Readonly<Record<string, number>>, settings: readonly string[]): string {
  // one key = value per line (LAB.md §2)
  const lv = Object.entries(levels).map(([k, v]) => `        ${k} = ${v}`);
  return [
    `${section} {`,
    `  load = ${plugins.join(' ')}`,
    '  install_routes = no',
    '  install_virtual_ip = no',
    '  port = 500',
    '  port_nat_t = 4500',
    // keep the default 16 threads: charon parks about 9 of them in blocking
    // watchers (netlink, sockets, vici, libipsec), with 8 vici requests hang
    '  retransmit_tries = 3',
    '  retransmit_timeout = 1.0',
    ...settings.map((l) => `  ${l}`),
    '  plugins {',
    '    vici {',
    `      socket = unix://${dir}/charon.vici`,
    '    }',
    '  }',
    '  filelog {',
    '    lab {',
    `      path = ${dir}/charon.log`,
    '      time_format = %T',
    '      ike_name = yes',
    '      flush_line = yes',
    ...lv.map((l) => l.slice(2)),
    '    }',
    '  }',
    '  journal {',
    '    default = -1',
    '  }',
    '  syslog {',
    '    daemon {',
    '      default = -1',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
}

export async function startCharon(opts: CharonOptions): Promise<Charon> {
  const bin = findCharon();
  if (bin === undefined) throw new Error('charon not installed (apt-get install charon-systemd)');
  const dir = mkdtempSync(join(tmpdir(), `kw-charon-${opts.host.ns}-`));
  const logPath = join(dir, 'charon.log');
  const uri = `unix://${dir}/charon.vici`;
  // charon-systemd reads its settings from `charon-systemd { }`
  const section = bin.endsWith('charon-systemd') ? 'charon-systemd' : 'charon';
  const plugins = opts.plugins ?? availablePlugins();
  const confPath = join(dir, 'strongswan.conf');
  writeFileSync(confPath, strongswanConf(section, dir, plugins, opts.logLevels ?? DEFAULT_LOG, opts.settings ?? []));
  writeFileSync(logPath, '');
  const proc = start(
    opts.host.exec(['unshare', '-m', 'sh', '-c', `mount -t tmpfs none /var/run && exec ${bin}`]),
    { ...process.env, STRONGSWAN_CONF: confPath },
  );
  let dead = false;
  void proc.exited.then(() => {
    dead = true;
  });
  const log = (): string => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  const swanctl = (args: readonly string[], timeoutMs = 20_000): Promise<RunResult> =>
    run(['swanctl', ...args, '--uri', uri], { timeoutMs });
  try {
    await waitFor('charon vici socket', async () => {
      if (dead) throw new Error(`charon exited early:\n${proc.output()}\n${log()}`);
      if (!existsSync(join(dir, 'charon.vici'))) return false;
      return (await swanctl(['--stats'], 3_000)).code === 0;
    }, 15_000);
  } catch (e) {
    await proc.stop();
    if (process.env['KEYWAY_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const charon: Charon = {
    host: opts.host,
    dir,
    uri,
    logPath,
    proc,
    swanctl,
    async load(conf) {
      const file = join(dir, 'swanctl.conf');
      writeFileSync(file, conf);
      // --load-all = --load-creds (secrets) + --load-conns; conns not in the file are unloaded
      await runOk(['swanctl', '--load-all', '--noprompt', '--file', file, '--uri', uri], { timeoutMs: 20_000 });
    },
    async listSas() {
      const r = await swanctl(['--list-sas', '--raw']);
      if (r.code !== 0) throw new Error(`swanctl --list-sas failed: ${r.stderr}`);
      return ikeSasFromRaw(r.stdout);
    },
    initiate(spec) {
      const args = ['--initiate', '--timeout', String(spec.timeoutS ?? 15)];
      if (spec.child !== undefined) args.push('--child', spec.child);
      if (spec.ike !== undefined) args.push('--ike', spec.ike);
      return swanctl(args, ((spec.timeoutS ?? 15) + 5) * 1000);
    },
    terminateIke(nameOrId) {
      return typeof nameOrId === 'number'
        ? swanctl(['--terminate', '--ike-id', String(nameOrId), '--timeout', '10'])
        : swanctl(['--terminate', '--ike', nameOrId, '--timeout', '10']);
    },
    async terminateAll() {
      for (const sa of await charon.listSas()) {
        await swanctl(['--terminate', '--ike-id', sa.uniqueId, '--force', '--timeout', '3']);
      }
    },
    log,
    async waitForLog(re, timeoutMs = 10_000, fromOffset = 0) {
      let hit = '';
      await waitFor(`charon log to match ${re}`, () => {
        const m = re.exec(log().slice(fromOffset));
        if (m !== null) hit = m[0];
        return m !== null;
      }, timeoutMs);
      return hit;
    },
    async stop() {
      await proc.stop();
      if (process.env['KEYWAY_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
  return charon;
}
