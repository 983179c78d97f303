/**
 * Default values. Connection/child defaults follow swanctl.conf(5) of strongSwan
 * 5.9 so that a config moved between the two behaves the same; daemon defaults
 * are Keyway's own (documented in docs/config.md).
 */
import type { DaemonSettings } from './model.js';

export const DAEMON_DEFAULTS: DaemonSettings = {
  listen: ['0.0.0.0', '::'],
  // RFC 7296 §2: IKE on UDP 500; RFC 3948 §2 / RFC 7296 §2.23: NAT-T on UDP 4500
  port: 500,
  natPort: 4500,
  controlSocket: '/run/keyway/keyway.sock',
  dataplane: 'memory',
  logLevel: 'info',
  // RFC 7296 §2.6: demand COOKIEs once this many IKE SAs are half-open
  cookieThreshold: 10,
  halfOpenLimit: 1000,
  halfOpenTimeout: 30,
  natKeepalive: 20,
  // strongSwan charon.retransmit_*: timeouts 4, 7.2, 13, 23.3, 42, then 75.6 s before giving up
  retransmit: { timeout: 4.0, base: 1.8, tries: 5 },
  modpExponent: 'short',
};

/** swanctl.conf(5) connection defaults (seconds). */
export const CONN_DEFAULTS = {
  version: 0,
  localAddrs: ['%any'],
  remoteAddrs: ['%any'],
  localPort: 500,
  remotePort: 500,
  encap: false,
  mobike: true,
  fragmentation: 'yes',
  dpdDelay: 0,
  dpdTimeout: 0,
  rekeyTime: 4 * 3600,
  reauthTime: 0,
  keyingtries: 1,
  unique: 'no',
  sendCertreq: true,
  /** auth when a local/remote section has no `auth` key */
  auth: 'pubkey',
} as const;

/** swanctl.conf(5) CHILD_SA defaults. */
export const CHILD_DEFAULTS = {
  localTs: 'dynamic',
  remoteTs: 'dynamic',
  mode: 'tunnel',
  startAction: 'none',
  closeAction: 'none',
  dpdAction: 'clear',
  rekeyTime: 3600,
  rekeyBytes: 0,
  rekeyPackets: 0,
  // RFC 4303 §3.4.3 anti-replay window; strongSwan's default is 32 packets
  replayWindow: 64,
} as const;

/**
 * IKE SA: over_time defaults to 10% of the longer of rekey_time and reauth_time,
 * rand_time to over_time (swanctl.conf(5)).
 */
export function ikeLifetimes(
  rekey: number,
  reauth: number,
  over: number | undefined,
  rand: number | undefined,
): { overTime: number; randTime: number } {
  const overTime = over ?? Math.floor(Math.max(rekey, reauth) / 10);
  return { overTime, randTime: rand ?? overTime };
}

/**
 * CHILD_SA limits (time, bytes or packets alike):
 *   life = rekey * 110 / 100    (when not given)
 *   rand = life - min(life, rekey)   (when not given)
 * rand only shortens the rekey limit, so with rekey = 0 (no rekeying) it is 0.
 */
export function childLimits(
  rekey: number,
  life: number | undefined,
  rand: number | undefined,
): { life: number; rand: number } {
  const l = life ?? Math.floor((rekey * 110) / 100);
  return { life: l, rand: rand ?? (rekey === 0 ? 0 : l - Math.min(l, rekey)) };
}
