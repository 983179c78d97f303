/**
 * Per-run RSA key pairs for the IKEv1 signature tests (raw public keys,
 * written 0600 into a temp folder the caller removes) and the auth rounds
 * that use them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RsaKeyFiles {
  readonly key: string;
  readonly pub: string;
  readonly spki: Uint8Array;
  readonly pkcs8: Uint8Array;
}

export interface RsaKeyDir {
  /** the temp folder (relative key paths in a config resolve against it) */
  readonly dir: string;
  keyPair(name: string): RsaKeyFiles;
  /** removes the folder and every key in it */
  remove(): void;
}

export function rsaKeyDir(prefix: string): RsaKeyDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    keyPair(name: string): RsaKeyFiles {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = join(dir, `${name}.key.pem`);
      const pub = join(dir, `${name}.pub.pem`);
      writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
      return { key, pub, spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), pkcs8: new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' })) };
    },
    remove(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** local and remote auth rounds with RSA signatures: our private key, the peer's public key. */
export const rsaAuth = (mine: { key: string }, peer: { pub: string }): { local: string; remote: string } => ({
  local: `auth = pubkey\n      private_key = ${mine.key}`,
  remote: `auth = pubkey\n      pubkeys = ${peer.pub}`,
});
