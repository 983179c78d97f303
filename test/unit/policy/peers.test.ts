import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthMethod, IdType } from '../../../src/iana/ikev2.js';
import { authMethodNameOf, candidateConnectionsForInit, findPsk, idToString, selectPeerConfig } from '../../../src/policy/peers.js';
import type { IkeSecret } from '../../../src/config/model.js';
import { ANY_ID, conn, email, fqdn } from './fixtures.js';

const enc = new TextEncoder();
const idFqdn = (s: string) => ({ type: IdType.ID_FQDN, data: enc.encode(s) });
const idEmail = (s: string) => ({ type: IdType.ID_RFC822_ADDR, data: enc.encode(s) });

describe('candidateConnectionsForInit', () => {
  const conns = [
    conn('any'),
    conn('subnet', { remote: ['198.51.100.0/24'] }),
    conn('exact', { remote: ['198.51.100.7'], local: ['192.0.2.1'] }),
    conn('range', { remote: ['198.51.100.1-198.51.100.9'] }),
    conn('other', { remote: ['203.0.113.5'] }),
    conn('v1only', { version: 1 }),
    conn('any6', { remote: ['%any6'] }),
    conn('host', { remote: ['vpn.example.com'] }),
  ];
  test('orders exact > subnet/range > %any and drops non-matching', () => {
    const c = candidateConnectionsForInit(conns, '192.0.2.1', '198.51.100.7', 2).map((x) => x.name);
    assert.deepEqual(c, ['exact', 'subnet', 'range', 'any']);
  });
  test('version 0 connections accept both; hostnames only match literally', () => {
    const c = candidateConnectionsForInit([conn('both', { version: 0 }), ...conns], '192.0.2.1', '203.0.113.5', 1).map((x) => x.name);
    assert.deepEqual(c, ['both', 'v1only']);
    assert.deepEqual(candidateConnectionsForInit(conns, '192.0.2.1', 'vpn.example.com', 2).map((x) => x.name), ['host', 'any']);
  });
  test('IPv6 addresses and %any6', () => {
    const c = candidateConnectionsForInit(conns, '2001:db8::1', '2001:db8::2', 2).map((x) => x.name);
    assert.deepEqual(c, ['any', 'any6']);
  });
});

describe('selectPeerConfig (RFC 7296 §2.15)', () => {
  const alice = conn('alice', { remoteId: fqdn('alice.example.com'), localId: fqdn('gw.example.com') });
  const wild = conn('wild', { remoteId: fqdn('*.example.org') });
  const users = conn('users', { remoteId: email('*@example.com'), method: 'eap' });
  const catchall = conn('catchall', { remoteId: ANY_ID, method: 'pubkey' });
  const all = [catchall, alice, wild, users];

  test('exact remote ID wins over %any regardless of order', () => {
    const s = selectPeerConfig(all, idFqdn('alice.example.com'), undefined, 'psk');
    assert.ok(s.ok);
    assert.equal(s.connection.name, 'alice');
  });
  test('FQDN comparison is case-insensitive; wildcards match', () => {
    const a = selectPeerConfig(all, idFqdn('ALICE.example.COM'), undefined, 'psk');
    assert.ok(a.ok && a.connection.name === 'alice');
    const w = selectPeerConfig(all, idFqdn('host1.example.org'), undefined, 'psk');
    assert.ok(w.ok && w.connection.name === 'wild');
    const u = selectPeerConfig(all, idEmail('bob@example.com'), undefined, 'eap');
    assert.ok(u.ok && u.connection.name === 'users');
  });
  test('IDr must match our local ID when sent', () => {
    const s = selectPeerConfig([alice], idFqdn('alice.example.com'), idFqdn('other.example.com'), 'psk');
    assert.ok(!s.ok);
    assert.equal(s.diagnostic.receivedIdr, 'other.example.com');
    assert.match(s.diagnostic.considered[0]?.rejected ?? '', /local id @gw\.example\.com does not match IDr other\.example\.com/);
  });
  test('auth method must match; diagnostic lists every candidate', () => {
    const s = selectPeerConfig(all, idFqdn('mallory.example.net'), undefined, 'psk');
    assert.ok(!s.ok);
    const d = s.diagnostic;
    assert.equal(d.receivedId, 'mallory.example.net');
    assert.equal(d.receivedIdr, undefined);
    assert.deepEqual(d.considered.map((c) => c.connection), ['catchall', 'alice', 'wild', 'users']);
    assert.equal(d.considered[0]?.rejected, 'remote auth is pubkey, peer used psk');
    assert.match(d.considered[1]?.rejected ?? '', /remote id @alice\.example\.com does not match IDi mallory\.example\.net/);
    assert.match(d.reason, /no connection accepts IDi mallory\.example\.net with psk authentication \(4 considered\)/);
  });
  test('the %any connection takes what nobody else claims', () => {
    const s = selectPeerConfig(all, idFqdn('mallory.example.net'), undefined, 'pubkey');
    assert.ok(s.ok && s.connection.name === 'catchall');
  });
  test('AUTH method numbers map to config method names', () => {
    assert.equal(authMethodNameOf(AuthMethod.SHARED_KEY_MIC), 'psk');
    assert.equal(authMethodNameOf(AuthMethod.DIGITAL_SIGNATURE), 'pubkey');
    assert.equal(authMethodNameOf(AuthMethod.NULL_AUTH), 'null');
    assert.equal(authMethodNameOf(undefined), 'eap');
    assert.equal(authMethodNameOf(200), undefined);
  });
});

describe('findPsk (strongSwan best-match rule)', () => {
  const s = (name: string, ids: IkeSecret['ids']): IkeSecret => ({ name, ids, secret: enc.encode(name), line: 1 });
  const me = idFqdn('gw.example.com');
  const peer = idFqdn('alice.example.com');
  const name = (k: Uint8Array | undefined): string | undefined => (k === undefined ? undefined : new TextDecoder().decode(k));

  test('both ids > remote only > no ids > local only', () => {
    const both = s('both', [fqdn('gw.example.com'), fqdn('alice.example.com')]);
    const remote = s('remote', [fqdn('alice.example.com')]);
    const none = s('none', []);
    const local = s('local', [fqdn('gw.example.com')]);
    assert.equal(name(findPsk([local, none, remote, both], me, peer)), 'both');
    assert.equal(name(findPsk([local, none, remote], me, peer)), 'remote');
    assert.equal(name(findPsk([local, none], me, peer)), 'none');
    assert.equal(name(findPsk([local], me, peer)), 'local');
  });
  test('secrets for other identities are never used; wildcard ranks below exact', () => {
    assert.equal(findPsk([s('bob', [fqdn('bob.example.com')])], me, peer), undefined);
    const wildcard = s('wild', [fqdn('*.example.com')]);
    const exact = s('exact', [fqdn('alice.example.com')]);
    assert.equal(name(findPsk([wildcard, exact], me, peer)), 'exact');
    assert.equal(name(findPsk([wildcard], me, idFqdn('carol.example.com'))), 'wild');
  });
  test('ties keep config order', () => {
    assert.equal(name(findPsk([s('first', []), s('second', [])], me, peer)), 'first');
  });
});

describe('idToString', () => {
  test('addresses, text, and hostile bytes', () => {
    assert.equal(idToString(IdType.ID_IPV4_ADDR, Uint8Array.from([192, 0, 2, 1])), '192.0.2.1');
    assert.equal(idToString(IdType.ID_IPV6_ADDR, Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1])), '2001:db8::1');
    assert.equal(idToString(IdType.ID_IPV4_ADDR, Uint8Array.from([1, 2, 3])), 'ip:010203');
    assert.equal(idToString(IdType.ID_FQDN, enc.encode('vpn.example.com')), 'vpn.example.com');
    assert.equal(idToString(IdType.ID_FQDN, Uint8Array.from([0x61, 0x0a, 0x1b])), 'fqdn:610a1b');
    assert.equal(idToString(IdType.ID_KEY_ID, Uint8Array.from([0xde, 0xad])), 'keyid:dead');
    assert.equal(idToString(IdType.ID_NULL, new Uint8Array(0)), '%null');
    const long = idToString(IdType.ID_FQDN, new Uint8Array(5000).fill(0x61));
    assert.ok(long.length < 200 && long.endsWith('(5000 bytes)'));
  });
});
