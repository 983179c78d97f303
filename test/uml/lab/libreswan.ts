/**
 * Libreswan 4.10 (pluto) as a lab peer in a namespace (LAB.md §3). It
 * conflicts with the strongSwan packages, so it is never installed:
 * scripts/uml/setup.sh extracts the .deb into LIBRESWAN_ROOT. pluto runs
 * `/usr/libexec/ipsec/addconn` by that fixed path, so it starts in its own
 * mount namespace with a tmpfs on /usr/libexec and the extracted
 * `usr/libexec/ipsec` bind-mounted there (the host's /usr/libexec is not
 * touched, and inside User-mode Linux the root is read-only anyway).
 * Everything else (config, secrets, NSS db, run dir) lives in a temp folder
 * removed by stop(); the process is ended by its pid.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOk, start, waitFor, type RunResult, type Started } from '../../interop/lab/exec.js';

/** where scripts/uml/setup.sh extracts libreswan_4.10*.deb (outside the repo, owned by the lab) */
export const LIBRESWAN_ROOT = '/var/cache/keyway-lab/libreswan';
const LIBEXEC = join(LIBRESWAN_ROOT, 'usr', 'libexec', 'ipsec');

export function libreswanAvailable(): boolean {
  return existsSync(join(LIBEXEC, 'pluto')) && existsSync(join(LIBEXEC, 'whack'));
}

export interface PlutoOptions {
  readonly ns: string;
  /** ipsec.conf text (config setup + conns, `auto = add`) */
  readonly conf: string;
  /** ipsec.secrets text */
  readonly secrets: string;
  readonly startTimeoutMs?: number;
}

export interface Pluto {
  readonly dir: string;
  readonly proc: Started;
  whack(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** `whack --status` (SA states with their SPIs) */
  status(): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

export async function startPluto(o: PlutoOptions): Promise<Pluto> {
  if (!libreswanAvailable()) throw new Error(`Libreswan not extracted in ${LIBRESWAN_ROOT} (scripts/uml/setup.sh)`);
  const dir = mkdtempSync(join(tmpdir(), `kw-pluto-${o.ns}-`));
  const rundir = join(dir, 'run');
  const nss = join(dir, 'nss');
  mkdirSync(rundir);
  mkdirSync(nss);
  const conf = join(dir, 'ipsec.conf');
  const secrets = join(dir, 'ipsec.secrets');
  writeFileSync(conf, o.conf);
  // holds the PSK: 0600 (lab-only secret, but the rule holds everywhere)
  writeFileSync(secrets, o.secrets, { mode: 0o600 });
  await runOk(['certutil', '-N', '-d', `sql:${nss}`, '--empty-password'], { timeoutMs: 60_000 });
  const ctl = join(rundir, 'pluto.ctl');
  const script = [
    'set -e',
    'mount -t tmpfs none /usr/libexec',
    'mkdir /usr/libexec/ipsec',
    `mount --bind ${LIBEXEC} /usr/libexec/ipsec`,
    `exec /usr/libexec/ipsec/pluto --config ${conf} --secretsfile ${secrets} --nssdir ${nss} --rundir ${rundir} --ipsecdir ${dir} --nofork --stderrlog --no-dnssec`,
  ].join('\n');
  const proc = start(['ip', 'netns', 'exec', o.ns, 'unshare', '-m', 'sh', '-c', script]);
  const whack = (args: readonly string[], timeoutMs = 60_000): Promise<RunResult> =>
    run([join(LIBEXEC, 'whack'), '--ctlsocket', ctl, ...args], { timeoutMs });
  let dead = false;
  void proc.exited.then(() => {
    dead = true;
  });
  const stop = async (): Promise<void> => {
    await proc.stop(10_000);
    if (process.env['KEYWAY_KEEP_LAB'] !== '1') rmSync(dir, { recursive: true, force: true });
  };
  try {
    // pluto answers whack before addconn has loaded the conns: wait for ours
    await waitFor('pluto control socket and connections', async () => {
      if (dead) throw new Error(`pluto exited early:\n${proc.output().slice(-4000)}`);
      if (!existsSync(ctl)) return false;
      const r = await whack(['--status'], 20_000);
      return r.code === 0 && /"[^"]+":/.test(r.stdout);
    }, o.startTimeoutMs ?? 60_000, 250);
  } catch (e) {
    const out = proc.output().slice(-4000);
    await stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- pluto ---\n${out}`);
  }
  return {
    dir,
    proc,
    whack,
    async status() {
      const r = await whack(['--status']);
      return r.stdout;
    },
    output: () => proc.output(),
    stop,
  };
}
