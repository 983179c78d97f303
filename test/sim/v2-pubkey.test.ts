/**
 * IKEv2 public key authentication with raw keys (RFC 7296 §2.15, RFC 7427
 * method 14, RFC 4754 methods 9-11, RFC 8420 Ed25519), one method per
 * direction. Two engines in one process (harness.ts Pair) with configs
 * loaded through the real config loader; keys generated per run into a
 * 0700 temp folder.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExchangeType, NotifyType, PayloadType } from '../../src/iana/ikev2.js';
import type { Signer } from '../../src/ike/ports.js';
import { CryptoError } from '../../src/util/errors.js';
import { decodeMessage, encodeMessage } from '../../src/wire/ikev2/message.js';
import { EAST, Pair, WEST, assertNoLeaks, parseConfig, terminateAll, type Peer } from './harness.js';
import { settle } from './fake-net.js';

const dir = mkdtempSync(join(tmpdir(), 'kw-v2-pubkey-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface KeyFiles {
  readonly key: string;
  readonly pub: string;
}

function keyPair(name: string, kind: 'rsa' | 'p256' | 'p384' | 'ed25519'): KeyFiles {
  const kp = kind === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : kind === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: kind === 'p256' ? 'P-256' : 'P-384' });
  const key = join(dir, `${name}.key.pem`);
  const pub = join(dir, `${name}.pub.pem`);
  writeFileSync(key, kp.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(pub, kp.publicKey.export({ type: 'spki', format: 'pem' }));
  return { key, pub };
}

const K = {
  rsaW: keyPair('rsa-west', 'rsa'),
  rsaE: keyPair('rsa-east', 'rsa'),
  ecW: keyPair('ec-west', 'p256'),
  ecE: keyPair('ec-east', 'p256'),
  ec384: keyPair('ec384-east', 'p384'),
  edW: keyPair('ed-west', 'ed25519'),
  edE: keyPair('ed-east', 'ed25519'),
  other: keyPair('other', 'ed25519'),
};

const PSK = '"a sim secret of decent length"';

/** One side: `local` / `remote` are the bodies of the auth rounds (without id). */
function side(me: string, peer: string, meId: string, peerId: string, lts: string, rts: string, local: string, remote: string): string {
  return `
daemon {
  listen = ${me}
  log_level = debug
}
connections {
  net {
    version = 2
    local_addrs = ${me}
    remote_addrs = ${peer}
    local {
      id = ${meId}
      ${local}
    }
    remote {
      id = ${peerId}
      ${remote}
    }
    children {
      net {
        local_ts = ${lts}
        remote_ts = ${rts}
      }
    }
  }
}
secrets {
  ike-1 {
    id-a = ${meId}
    id-b = ${peerId}
    secret = ${PSK}
  }
}
`;
}

const pubkey = (k: KeyFiles): string => `auth = pubkey\n      pubkeys = ${k.pub}`;
const mine = (k: KeyFiles): string => `auth = pubkey\n      private_key = ${k.key}`;
const psk = 'auth = psk';

/** A Pair whose two configs are replaced by the given auth rounds. */
function pairWith(west: { local: string; remote: string }, east: { local: string; remote: string }, seed: string): Pair {
  const pair = new Pair({ seed });
  pair.west.engine.loadConfig(parseConfig(side(WEST, EAST, 'west@example.org', 'east@example.org', '10.1.0.0/24', '10.2.0.0/24', west.local, west.remote), 'west.conf'));
  pair.east.engine.loadConfig(parseConfig(side(EAST, WEST, 'east@example.org', 'west@example.org', '10.2.0.0/24', '10.1.0.0/24', east.local, east.remote), 'east.conf'));
  return pair;
}

/** The scheme each side signed with (debug log ike.auth.signed). */
function signed(p: Peer): { method: unknown; scheme: unknown }[] {
  return p.logger.records.filter((r) => r.event === 'ike.auth.signed').map((r) => ({ method: r.fields['method'], scheme: r.fields['scheme'] }));
}

/** Establishes, checks both sides agree, tears down; returns the initiator's [localAuth, remoteAuth] from list-sas. */
async function establishBoth(pair: Pair, from: Peer, to: Peer): Promise<[string | undefined, string | undefined]> {
  const r = await pair.initiate(from);
  assert.equal(r.ok, true, r.error);
  const [a] = await from.engine.listSas();
  const [b] = await to.engine.listSas();
  assert.ok(a && b);
  assert.equal(a.state, 'established');
  assert.equal(b.state, 'established');
  assert.equal(a.spiI, b.spiI);
  assert.equal(a.spiR, b.spiR);
  // list-sas names each direction's method, as the initiator's and responder's configs say
  assert.deepEqual([a.localAuth, a.remoteAuth], [b.remoteAuth, b.localAuth]);
  assert.ok(a.localAuth !== undefined && a.remoteAuth !== undefined);
  const [ac] = a.children;
  const [bc] = b.children;
  assert.ok(ac && bc, 'CHILD SA on both sides');
  assert.equal(ac.spiIn, bc.spiOut);
  assert.equal(ac.spiOut, bc.spiIn);
  assert.deepEqual(from.engine.failures(), []);
  assert.deepEqual(to.engine.failures(), []);
  await terminateAll(pair, from);
  assertNoLeaks(pair);
  return [a.localAuth, a.remoteAuth];
}

const both = (w: KeyFiles, e: KeyFiles): [{ local: string; remote: string }, { local: string; remote: string }] => [
  { local: mine(w), remote: pubkey(e) },
  { local: mine(e), remote: pubkey(w) },
];

for (const [name, w, e, scheme] of [
  ['RSA (RSASSA-PSS, SHA-256)', K.rsaW, K.rsaE, 'rsa-pss-sha256'],
  ['ECDSA P-256 (SHA-256, DER)', K.ecW, K.ecE, 'ecdsa-sha256'],
  ['Ed25519 (identity hash)', K.edW, K.edE, 'ed25519'],
] as const) {
  test(`${name}: method 14 both ways, either side initiating`, async () => {
    for (const initiator of ['west', 'east'] as const) {
      const pair = pairWith(...both(w, e), `pk-${scheme}-${initiator}`);
      const [from, to] = initiator === 'west' ? [pair.west, pair.east] : [pair.east, pair.west];
      await establishBoth(pair, from, to);
      for (const p of [pair.west, pair.east]) assert.deepEqual(signed(p), [{ method: 'DIGITAL_SIGNATURE', scheme }], p.name);
    }
  });
}

test('ECDSA P-384 key against a P-256 peer: each side uses its own curve hash', async () => {
  const pair = pairWith({ local: mine(K.ecW), remote: pubkey(K.ec384) }, { local: mine(K.ec384), remote: pubkey(K.ecW) }, 'pk-384');
  await establishBoth(pair, pair.west, pair.east);
  assert.deepEqual(signed(pair.east), [{ method: 'DIGITAL_SIGNATURE', scheme: 'ecdsa-sha384' }]);
});

test('methods per direction: west proves itself with a PSK, east with an RSA signature (and the mirror)', async () => {
  const pair = pairWith({ local: psk, remote: pubkey(K.rsaE) }, { local: mine(K.rsaE), remote: psk }, 'pk-mixed');
  assert.deepEqual(await establishBoth(pair, pair.west, pair.east), ['psk', 'pubkey']);
  assert.deepEqual(signed(pair.west), []);
  assert.deepEqual(signed(pair.east), [{ method: 'DIGITAL_SIGNATURE', scheme: 'rsa-pss-sha256' }]);
  const mirror = pairWith({ local: mine(K.edW), remote: psk }, { local: psk, remote: pubkey(K.edW) }, 'pk-mixed2');
  await establishBoth(mirror, mirror.west, mirror.east);
  assert.deepEqual(signed(mirror.west), [{ method: 'DIGITAL_SIGNATURE', scheme: 'ed25519' }]);
});

test('wrong public key: the responder records an auth failure naming the method, keys and identity, and answers AUTHENTICATION_FAILED', async () => {
  const pair = pairWith({ local: mine(K.edW), remote: pubkey(K.edE) }, { local: mine(K.edE), remote: pubkey(K.other) }, 'pk-wrong');
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const ef = pair.east.engine.failures().find((f) => f.kind === 'auth');
  assert.ok(ef, 'east has an auth failure record');
  assert.match(ef.message, /west@example\.org \(DIGITAL_SIGNATURE\) does not verify: the ed25519 signature does not verify/);
  assert.deepEqual(ef.detail['keysTried'], [K.other.pub]);
  assert.equal(ef.detail['receivedId'], 'west@example.org');
  assert.equal(ef.detail['method'], 'pubkey');
  const wf = pair.west.engine.failures().find((f) => f.exchange === 'IKE_AUTH');
  assert.ok(wf);
  assert.equal(wf.kind, 'peer-notify');
  assert.equal(wf.detail['notify'], 'AUTHENTICATION_FAILED');
  assert.equal(pair.east.engine.context.counters.get('ike.auth.failed'), 1);
  await pair.advance(60_000);
  assertNoLeaks(pair);
});

test('wrong key at the initiator: the responder signature does not verify, the initiator records it', async () => {
  const pair = pairWith({ local: mine(K.rsaW), remote: pubkey(K.other) }, { local: mine(K.rsaE), remote: pubkey(K.rsaW) }, 'pk-wrong-i');
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const wf = pair.west.engine.failures().find((f) => f.kind === 'auth');
  assert.ok(wf);
  // an RSA signature against an Ed25519 key
  assert.match(wf.message, /east@example\.org \(DIGITAL_SIGNATURE\) does not verify: the rsa-pss-sha256 signature does not verify/);
  assert.deepEqual(wf.detail['keysTried'], [K.other.pub]);
  await pair.advance(60_000);
});

test('remote pubkey round but the peer uses a PSK: refused with both method names', async () => {
  const pair = pairWith({ local: psk, remote: pubkey(K.rsaE) }, { local: mine(K.rsaE), remote: pubkey(K.rsaW) }, 'pk-psk-vs-pubkey');
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const ef = pair.east.engine.failures().find((f) => f.kind === 'auth');
  assert.ok(ef);
  assert.match(ef.message, /no connection accepts identity west@example\.org.*with psk authentication/);
  assert.deepEqual(ef.detail['considered'], [{ connection: 'net', rejected: 'remote auth is pubkey, peer used psk' }]);
  await pair.advance(60_000);
});

/** Runs an initiation whose IKE_SA_INIT request loses its SIGNATURE_HASH_ALGORITHMS notify on the way (an RFC 7296-only initiator). */
async function initiateWithoutSigHash(pair: Pair): Promise<boolean> {
  const p = pair.west.engine.initiate('net');
  let done: boolean | undefined;
  void p.then((r) => (done = r.ok));
  await settle();
  const d = pair.net.queue[0];
  assert.ok(d, 'IKE_SA_INIT request queued');
  const m = decodeMessage(d.bytes);
  const kept = m.payloads.filter((x) => !(x.type === PayloadType.NOTIFY && x.notifyType === NotifyType.SIGNATURE_HASH_ALGORITHMS));
  assert.equal(kept.length, m.payloads.length - 1, 'the initiator sent the notify');
  const bytes = encodeMessage(m.header, kept);
  pair.net.queue[0] = { ...d, bytes };
  // the initiator signs the message as it arrived (RealMessage1, §2.15)
  const [sa] = pair.west.engine.context.table.all();
  assert.ok(sa);
  sa.initRequest = bytes;
  for (let i = 0; i < 50 && done === undefined; i++) await pair.run();
  return done ?? false;
}

test('peer without SIGNATURE_HASH_ALGORITHMS: the responder does not send it either; classic methods 1 (RSA) and 9 (ECDSA r||s)', async () => {
  const pair = pairWith({ local: mine(K.rsaW), remote: pubkey(K.ecE) }, { local: mine(K.ecE), remote: pubkey(K.rsaW) }, 'pk-classic');
  assert.equal(await initiateWithoutSigHash(pair), true);
  assert.deepEqual(signed(pair.west), [{ method: 'RSA_SIG', scheme: 'rsa-pkcs1-sha1' }]);
  assert.deepEqual(signed(pair.east), [{ method: 'ECDSA_SHA256_P256', scheme: 'ecdsa-sha256-p1363' }]);
  await terminateAll(pair, pair.west);
  assertNoLeaks(pair);
});

test('Ed25519 with a peer that sent no SIGNATURE_HASH_ALGORITHMS still uses method 14 (no classic method exists)', async () => {
  const pair = pairWith(...both(K.edW, K.edE), 'pk-ed-classic');
  assert.equal(await initiateWithoutSigHash(pair), true);
  assert.deepEqual(signed(pair.east), [{ method: 'DIGITAL_SIGNATURE', scheme: 'ed25519' }]);
  await terminateAll(pair, pair.west);
  assertNoLeaks(pair);
});

/** A Signer that always fails, as a key that cannot sign (or a signing service that is down) does. */
function failingSigner(p: Peer, why: string): void {
  const signer: Signer = { sign: () => Promise.reject(new CryptoError('IKE_ERR_SIGN', why)) };
  Object.assign(p.engine.context, { signer });
}

/** IKE_AUTH messages `p` sent. */
function authSentBy(pair: Pair, p: Peer): number {
  return pair.net.log.filter((x) => x.d.local.address === p.address && decodeMessage(x.d.bytes).header.exchangeType === ExchangeType.IKE_AUTH).length;
}

test('the initiator cannot sign with its key: one config failure naming the key file and the reason, no IKE_AUTH sent, the SA gone', async () => {
  const pair = pairWith(...both(K.rsaW, K.rsaE), 'pk-cannot-sign-i');
  failingSigner(pair.west, 'the key is on a token that is not present');
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /rsa-west\.key\.pem/);
  const fs = pair.west.engine.failures();
  assert.equal(fs.length, 1, JSON.stringify(fs));
  const [f] = fs;
  assert.ok(f);
  assert.equal(f.kind, 'config');
  assert.equal(f.exchange, 'IKE_AUTH');
  assert.equal(f.connection, 'net');
  assert.match(f.message, /cannot sign IKE_AUTH for connection net with .*rsa-west\.key\.pem: the key is on a token that is not present/);
  assert.equal(f.detail['key'], K.rsaW.key);
  assert.equal(f.detail['localAuth'], 'pubkey');
  assert.equal(f.detail['reason'], 'the key is on a token that is not present');
  assert.equal(authSentBy(pair, pair.west), 0, 'no IKE_AUTH request without AUTH');
  assert.equal(pair.west.engine.context.table.size(), 0, 'the initiator forgot the IKE SA at once');
  await pair.advance(60_000);
  assertNoLeaks(pair);
});

test('the initiator has no PSK for its identities: a config failure record too (as a key that cannot sign)', async () => {
  const pair = pairWith({ local: psk, remote: pubkey(K.rsaE) }, { local: mine(K.rsaE), remote: psk }, 'pk-no-psk-i');
  const cfg = pair.west.engine.context.config;
  pair.west.engine.loadConfig({ ...cfg, secrets: [] });
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const fs = pair.west.engine.failures();
  assert.equal(fs.length, 1, JSON.stringify(fs));
  assert.equal(fs[0]?.kind, 'config');
  assert.match(fs[0]?.message ?? '', /cannot authenticate IKE_AUTH for connection net: no pre-shared key found for west@example\.org - east@example\.org/);
  assert.equal(fs[0]?.detail['localAuth'], 'psk');
  assert.match(String(fs[0]?.detail['hint']), /secrets \{ ike-<name> \{ id-a = west@example\.org  id-b = east@example\.org  secret = \.\.\. \} \}/);
  assert.equal(authSentBy(pair, pair.west), 0);
  assert.equal(pair.west.engine.context.table.size(), 0);
  await pair.advance(60_000);
  assertNoLeaks(pair);
});

test('the responder cannot sign: exactly one auth failure record, AUTHENTICATION_FAILED to the initiator', async () => {
  const pair = pairWith(...both(K.ecW, K.ecE), 'pk-cannot-sign-r');
  failingSigner(pair.east, 'no such key');
  const r = await pair.initiate(pair.west);
  assert.equal(r.ok, false);
  const ef = pair.east.engine.failures();
  assert.equal(ef.length, 1, JSON.stringify(ef));
  assert.equal(ef[0]?.kind, 'auth');
  assert.match(ef[0]?.message ?? '', /cannot authenticate ourselves to west@example\.org: .*no such key/);
  const wf = pair.west.engine.failures().find((f) => f.exchange === 'IKE_AUTH');
  assert.equal(wf?.detail['notify'], 'AUTHENTICATION_FAILED');
  await pair.advance(60_000);
  assertNoLeaks(pair);
});
