/**
 * Raw public keys for the interop lab (swanctl `pubkeys = file.pem`):
 * per-run key pairs in a temp folder, strongSwan's private key loaded from
 * its swanctl key folder, and the swanctl.conf both daemons read. Keyway
 * takes its private key from `secrets { private-<side> { file } }`
 * (swanctl.conf(5)); strongSwan from <SWANCTL_DIR>/rsa|ecdsa|pkcs8.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';
import { EAST_NET, WEST_NET } from './scenario.js';
import type { Charon } from './strongswan.js';
import { EAST_ADDR, WEST_ADDR } from './topology.js';

export type KeyKind = 'rsa' | 'ecdsa' | 'ed25519';

export interface KeyPairFiles {
  readonly kind: KeyKind;
  /** private key, 0600: PKCS#1 (rsa), SEC1 (ecdsa) or PKCS#8 (ed25519), as swanctl's folders want them */
  readonly key: string;
  /** SubjectPublicKeyInfo PEM */
  readonly pub: string;
}

/** swanctl(8): rsa/ takes PKCS#1, ecdsa/ SEC1, pkcs8/ PKCS#8; Keyway reads all three. */
const FOLDER: Readonly<Record<KeyKind, string>> = { rsa: 'rsa', ecdsa: 'ecdsa', ed25519: 'pkcs8' };

export function writeKeyPair(dir: string, name: string, kind: KeyKind): KeyPairFiles {
  const kp = kind === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : kind === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const k = { kind, key: join(dir, `${name}.key.pem`), pub: join(dir, `${name}.pub.pem`) };
  const type = kind === 'rsa' ? 'pkcs1' : kind === 'ecdsa' ? 'sec1' : 'pkcs8';
  writeFileSync(k.key, kp.privateKey.export({ type, format: 'pem' } as const), { mode: 0o600 });
  writeFileSync(k.pub, kp.publicKey.export({ type: 'spki', format: 'pem' }));
  return k;
}

/**
 * Loads `k` as charon's private key: swanctl reads private keys from its
 * folders, and every --load-all unloads keys it did not load itself, so
 * call this after the connections are loaded. `conf` is the swanctl.conf
 * --load-creds sees (it also unloads shared secrets not in it).
 */
export async function loadCharonKey(sw: Charon, dir: string, k: KeyPairFiles, conf = ''): Promise<void> {
  const swanctlDir = join(dir, `swanctl-${k.kind}`);
  const folder = FOLDER[k.kind];
  mkdirSync(join(swanctlDir, folder), { recursive: true, mode: 0o700 });
  copyFileSync(k.key, join(swanctlDir, folder, 'east.pem'));
  writeFileSync(join(swanctlDir, 'swanctl.conf'), conf, { mode: 0o600 });
  const r = await run(['swanctl', '--load-creds', '--noprompt', '--uri', sw.uri], { env: { ...process.env, SWANCTL_DIR: swanctlDir }, timeoutMs: 20_000 });
  assert.equal(r.code, 0, `swanctl --load-creds: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /loaded \w+ key/i);
}

export type AuthRound = 'psk' | 'pubkey';

export interface RawKeyConn {
  readonly self: 'west' | 'east';
  readonly version: 1 | 2;
  readonly own: KeyPairFiles;
  /** the public key this side trusts for the peer */
  readonly peerPub: string;
  /** Keyway names its private key in secrets; strongSwan's comes from loadCharonKey */
  readonly keyway: boolean;
  readonly local?: AuthRound;
  readonly remote?: AuthRound;
  readonly aggressive?: boolean;
  readonly proposals: string;
  readonly esp: string;
  /** shared secret for psk rounds */
  readonly psk?: string;
}

export function rawKeyConf(c: RawKeyConn): string {
  const w = c.self === 'west';
  const local = c.local ?? 'pubkey';
  const remote = c.remote ?? 'pubkey';
  const round = (method: AuthRound, id: string, pub: string): string[] => [
    `      auth = ${method}`,
    `      id = ${id}`,
    ...(method === 'pubkey' ? [`      pubkeys = ${pub}`] : []),
  ];
  return [
    'connections {',
    '  gw {',
    `    version = ${c.version}`,
    // strongSwan needs no i_dont_care_about_security_... setting for this: that one is for Aggressive Mode with a PSK
    ...(c.aggressive === true ? ['    aggressive = yes'] : []),
    `    local_addrs = ${w ? WEST_ADDR : EAST_ADDR}`,
    `    remote_addrs = ${w ? EAST_ADDR : WEST_ADDR}`,
    `    proposals = ${c.proposals}`,
    '    local {',
    ...round(local, c.self, c.own.pub),
    '    }',
    '    remote {',
    ...round(remote, w ? 'east' : 'west', c.peerPub),
    '    }',
    '    children {',
    '      net {',
    `        local_ts = ${w ? WEST_NET : EAST_NET}`,
    `        remote_ts = ${w ? EAST_NET : WEST_NET}`,
    `        esp_proposals = ${c.esp}`,
    '      }',
    '    }',
    '  }',
    '}',
    'secrets {',
    ...(c.psk === undefined ? [] : ['  ike-gw {', '    id-1 = west', '    id-2 = east', `    secret = ${c.psk}`, '  }']),
    // Keyway's private key as swanctl.conf(5) names one (strongSwan's comes from its key folders)
    ...(c.keyway && local === 'pubkey' ? [`  private-${c.self} {`, `    file = ${c.own.key}`, '  }'] : []),
    '}',
    '',
  ].join('\n');
}
