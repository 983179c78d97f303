/**
 * Ports: everything the protocol engine needs from the outside world comes in
 * through these interfaces, so that two engines can run in one process with a
 * fake clock, a seeded RNG and a lossy fake network (ARCHITECTURE B1.1).
 * The engine never imports node:dgram, node:net, node:fs or global timers.
 */
import type { Rng } from '../crypto/rng.js';
import type { V2SignatureScheme } from '../crypto/sig-v2.js';
import type { KeResponse, KeyExchanger, PendingKeyExchange } from '../crypto/ke/exchanger.js';
export type { Rng, KeResponse, KeyExchanger, PendingKeyExchange };

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface Datagram {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** IKE message bytes, without the RFC 3948 non-ESP marker */
  readonly bytes: Uint8Array;
}

/**
 * Sends IKE datagrams. When `local.port` is the NAT-T port, the transport adds
 * the four-byte non-ESP marker (RFC 3948 §2.2). Fire and forget: loss is the
 * engine's problem (retransmission).
 */
export interface Transport {
  send(d: Datagram): void;
  /** RFC 3948 §2.3 NAT keepalive (a single 0xFF byte) from the NAT-T port; optional */
  sendKeepalive?(local: Endpoint, remote: Endpoint): void;
}

/** Monotonic milliseconds. */
export interface Clock {
  nowMs(): number;
}

export interface TimerHandle {
  readonly id: number;
}

/**
 * Timers. `fire` is called once at or after `whenMs` (Clock time) unless
 * cancelled. Cancelling an already-fired or cancelled handle is a no-op.
 */
export interface Scheduler {
  at(whenMs: number, fire: () => void): TimerHandle;
  cancel(h: TimerHandle): void;
}

/** A private key as the config names it (its PEM file); the Signer holds or loads the key itself. */
export interface KeyRef {
  readonly file: string;
}

/**
 * 'rsa-pkcs1-raw': RSASSA-PKCS1-v1_5 padding without DigestInfo over the given bytes (IKEv1 SIG, RFC 2409 §5.1);
 * the others: IKEv2 AUTH signatures over the signed octets (RFC 7427, RFC 4754, RFC 8420; src/crypto/sig-v2.ts).
 */
export type SignatureScheme = 'rsa-pkcs1-raw' | V2SignatureScheme;

/**
 * Signs with a private key on the engine's behalf (ARCHITECTURE B1.5): async
 * and addressed by reference, so keys can move to another process, a worker
 * or an HSM without the protocol code changing. Rejects with CryptoError.
 */
export interface Signer {
  sign(key: KeyRef, scheme: SignatureScheme, data: Uint8Array): Promise<Uint8Array>;
}

/** Wall-clock time for display only (established-at timestamps). */
export interface WallClock {
  nowEpochMs(): number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Structured logger: one record per event. `fields` must never contain key
 * material; secrets are written only through the KeyLog port.
 */
export interface Logger {
  log(level: LogLevel, event: string, fields: Readonly<Record<string, unknown>>): void;
}

/**
 * Debug key logging (off by default): receives IKE SA and CHILD SA keys so they
 * can be written in formats tshark reads (LAB.md §7).
 */
export interface KeyLog {
  ikeSaKeys(entry: IkeKeyLogEntry): void;
  childSaKeys(entry: ChildKeyLogEntry): void;
}

export interface IkeKeyLogEntry {
  readonly spiI: Uint8Array;
  readonly spiR: Uint8Array;
  readonly skEi: Uint8Array;
  readonly skEr: Uint8Array;
  readonly skAi: Uint8Array;
  readonly skAr: Uint8Array;
  /** encryption transform id and key length in bits */
  readonly encrId: number;
  readonly encrKeyBits: number;
  readonly integId: number;
}

export interface ChildKeyLogEntry {
  readonly spi: number;
  readonly src: string;
  readonly dst: string;
  readonly encrId: number;
  readonly encrKeyBits: number;
  readonly encrKey: Uint8Array;
  readonly integId: number;
  readonly integKey: Uint8Array;
}
