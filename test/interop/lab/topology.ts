/**
 * Two hosts as network namespaces joined by a veth pair (LAB.md §1):
 *
 *     west (192.0.2.1/24, dev w0) <==== veth ====> east (192.0.2.2/24, dev e0)
 *
 * Namespace names are unique per run (`kw-<pid>-<n>-west`) so parallel runs
 * and leftovers from a crashed run never collide. `destroy()` deletes both
 * namespaces; the same deletion is registered as an exit hook so that a test
 * that throws, or a Ctrl-C, still leaves the host clean.
 */
import { onAbnormalExit, runOk, run, runSyncQuiet } from './exec.js';

export interface Host {
  /** Namespace name */
  readonly ns: string;
  /** Interface name inside the namespace */
  readonly dev: string;
  readonly address: string;
  /** Prefix this command with `ip netns exec <ns>` */
  exec(argv: readonly string[]): string[];
}

export interface Topology {
  readonly west: Host;
  readonly east: Host;
  destroy(): Promise<void>;
}

let counter = 0;

function host(ns: string, dev: string, address: string): Host {
  return { ns, dev, address, exec: (argv) => ['ip', 'netns', 'exec', ns, ...argv] };
}

export const WEST_ADDR = '192.0.2.1';
export const EAST_ADDR = '192.0.2.2';
/** An address inside each side's protected network (10.1.0.0/24 west, 10.2.0.0/24 east). */
export const WEST_LAN = '10.1.0.1';
export const EAST_LAN = '10.2.0.1';

export async function createTopology(): Promise<Topology> {
  counter += 1;
  const prefix = `kw-${process.pid}-${counter}`;
  const west = host(`${prefix}-west`, 'w0', WEST_ADDR);
  const east = host(`${prefix}-east`, 'e0', EAST_ADDR);
  const unregister = onAbnormalExit(() => {
    runSyncQuiet(['ip', 'netns', 'del', west.ns]);
    runSyncQuiet(['ip', 'netns', 'del', east.ns]);
  });
  const destroy = async (): Promise<void> => {
    unregister();
    // deleting a namespace also removes the veth end in it (and its peer)
    await run(['ip', 'netns', 'del', west.ns]);
    await run(['ip', 'netns', 'del', east.ns]);
  };
  try {
    await runOk(['ip', 'netns', 'add', west.ns]);
    await runOk(['ip', 'netns', 'add', east.ns]);
    await runOk(['ip', 'link', 'add', west.dev, 'netns', west.ns, 'type', 'veth', 'peer', 'name', east.dev, 'netns', east.ns]);
    for (const h of [west, east]) {
      await runOk(['ip', '-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', h.dev]);
      await runOk(['ip', '-n', h.ns, 'link', 'set', 'lo', 'up']);
      await runOk(['ip', '-n', h.ns, 'link', 'set', h.dev, 'up']);
    }
    // strongSwan's kernel-libipsec routes each policy via its TUN device with a
    // source address from the local traffic selector, and fails the CHILD SA
    // without one; there is no dummy driver here, so put it on the veth.
    await runOk(['ip', '-n', west.ns, 'addr', 'add', `${WEST_LAN}/24`, 'dev', west.dev]);
    await runOk(['ip', '-n', east.ns, 'addr', 'add', `${EAST_LAN}/24`, 'dev', east.dev]);
  } catch (e) {
    await destroy();
    throw e;
  }
  return { west, east, destroy };
}
