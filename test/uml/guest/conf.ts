/**
 * swanctl.conf text for the guest scenarios: one PSK connection between
 * `west` and `east` (identities = side names), written by the interop lab's
 * generator so strongSwan, Keyway and the host tests read the same syntax.
 */
import { swanctlConf, type ChildSpec } from '../../interop/lab/swanctl-conf.js';
import { EAST_ADDR, WEST_ADDR } from '../../interop/lab/topology.js';

export interface GuestConn {
  readonly self: 'west' | 'east';
  /** default: the lab topology's address of this side / of the other side */
  readonly localAddr?: string;
  readonly remoteAddr?: string;
  readonly psk: string;
  readonly children: readonly ChildSpec[];
  readonly name?: string;
  readonly version?: 1 | 2;
  readonly proposals?: string;
}

export function guestConf(c: GuestConn): string {
  return swanctlConf(
    [{
      name: c.name ?? 'gw',
      version: c.version ?? 2,
      localAddr: c.localAddr ?? (c.self === 'west' ? WEST_ADDR : EAST_ADDR),
      remoteAddr: c.remoteAddr ?? (c.self === 'west' ? EAST_ADDR : WEST_ADDR),
      localId: c.self,
      remoteId: c.self === 'west' ? 'east' : 'west',
      proposals: c.proposals ?? 'aes128gcm16-prfsha256-x25519',
      children: c.children,
    }],
    [{ ids: ['west', 'east'], secret: c.psk }],
  );
}

/** The other side's view of a subnet pair: 10.1.x <-> 10.2.x swapped for east. */
export function sides(self: 'west' | 'east'): readonly [string, string] {
  return self === 'west' ? ['10.1', '10.2'] : ['10.2', '10.1'];
}
