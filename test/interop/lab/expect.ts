/**
 * Cross-checks between what strongSwan (`swanctl --list-sas --raw`) and
 * Keyway (`keyway list-sas --json`) report for the same negotiation.
 */
import assert from 'node:assert/strict';
import type { IkeSaInfo } from '../../../src/ike/info.js';
import type { SwanIkeSa } from './vici-raw.js';
import { EAST_NET, WEST_NET } from './scenario.js';

/** Expected algorithm names (strongSwan spelling, shared by Keyway's JSON). */
export interface Suite {
  /** swanctl proposal strings */
  readonly ike: string;
  readonly esp: string;
  readonly encr: string;
  /** undefined where strongSwan prints no key size (ChaCha20-Poly1305) */
  readonly bits: number | undefined;
  readonly integ: string | undefined;
  readonly prf: string;
  readonly dh: string;
  readonly espEncr: string;
  readonly espBits: number | undefined;
  readonly espInteg: string | undefined;
}

/** Poll `get` until `done` holds for its value or timeoutMs passes; returns the last value. */
export async function pollUntil<T>(get: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
}

export function kwEstablished(sas: readonly IkeSaInfo[]): boolean {
  return sas.length === 1 && sas[0]?.state === 'established' && sas[0].children.some((c) => c.state === 'installed');
}

export function swEstablished(sas: readonly SwanIkeSa[]): boolean {
  return sas.length === 1 && sas[0]?.state === 'ESTABLISHED' && sas[0].children.some((c) => c.state === 'INSTALLED');
}

function bitsOk(actual: number | undefined, want: number | undefined, what: string): void {
  if (want === undefined) {
    // ChaCha20-Poly1305 has a fixed 256-bit key; either spelling is fine
    assert.ok(actual === undefined || actual === 256, `${what}: key bits ${String(actual)}`);
  } else {
    assert.equal(actual, want, `${what}: key bits`);
  }
}

/**
 * Assert Keyway (west) and strongSwan (east) agree on one established IKE SA
 * with one installed CHILD SA using `s`.
 */
export function assertAgree(kw: readonly IkeSaInfo[], sw: readonly SwanIkeSa[], s: Suite, keywayInitiated: boolean): void {
  const ctx = `\nkeyway: ${JSON.stringify(kw)}\nstrongswan: ${JSON.stringify(sw.map((x) => x.raw))}`;
  assert.equal(sw.length, 1, `strongSwan: one IKE SA${ctx}`);
  assert.equal(kw.length, 1, `Keyway: one IKE SA${ctx}`);
  const w = kw[0];
  const e = sw[0];
  assert.ok(w !== undefined && e !== undefined);

  // strongSwan side
  assert.equal(e.state, 'ESTABLISHED', `strongSwan IKE state${ctx}`);
  assert.equal(e.initiator, !keywayInitiated, 'strongSwan initiator flag');
  assert.equal(e.encrAlg, s.encr, 'strongSwan IKE encr');
  assert.equal(e.encrKeysize, s.bits === undefined ? undefined : String(s.bits), 'strongSwan IKE key size');
  assert.equal(e.integAlg, s.integ, 'strongSwan IKE integ');
  assert.equal(e.prfAlg, s.prf, 'strongSwan IKE prf');
  assert.equal(e.dhGroup, s.dh, 'strongSwan IKE dh');
  assert.equal(e.children.length, 1, `strongSwan: one CHILD SA${ctx}`);
  const ec = e.children[0];
  assert.ok(ec !== undefined);
  assert.equal(ec.state, 'INSTALLED', 'strongSwan CHILD state');
  assert.equal(ec.encrAlg, s.espEncr, 'strongSwan ESP encr');
  assert.equal(ec.encrKeysize, s.espBits === undefined ? undefined : String(s.espBits), 'strongSwan ESP key size');
  assert.equal(ec.integAlg, s.espInteg, 'strongSwan ESP integ');
  assert.deepEqual(ec.localTs, [EAST_NET]);
  assert.deepEqual(ec.remoteTs, [WEST_NET]);

  // Keyway side
  assert.equal(w.state, 'established', `Keyway IKE state${ctx}`);
  assert.equal(w.initiator, keywayInitiated, 'Keyway initiator flag');
  assert.equal(w.spiI.toLowerCase(), e.spiI, 'IKE SPIi agrees');
  assert.equal(w.spiR.toLowerCase(), e.spiR, 'IKE SPIr agrees');
  assert.equal(w.algorithms.encryption, s.encr, 'Keyway IKE encr');
  bitsOk(w.algorithms.encryptionKeyBits, s.bits, 'Keyway IKE');
  assert.equal(w.algorithms.integrity, s.integ, 'Keyway IKE integ');
  assert.equal(w.algorithms.prf, s.prf, 'Keyway IKE prf');
  assert.equal(w.algorithms.keyExchange, s.dh, 'Keyway IKE key exchange');
  assert.equal(w.children.length, 1, `Keyway: one CHILD SA${ctx}`);
  const wc = w.children[0];
  assert.ok(wc !== undefined);
  assert.equal(wc.state, 'installed', 'Keyway CHILD state');
  assert.equal(wc.protocol, 'esp');
  assert.equal(wc.spiIn.toLowerCase(), ec.spiOut, 'Keyway inbound SPI = strongSwan outbound SPI');
  assert.equal(wc.spiOut.toLowerCase(), ec.spiIn, 'Keyway outbound SPI = strongSwan inbound SPI');
  assert.equal(wc.algorithms.encryption, s.espEncr, 'Keyway ESP encr');
  bitsOk(wc.algorithms.encryptionKeyBits, s.espBits, 'Keyway ESP');
  assert.equal(wc.algorithms.integrity, s.espInteg, 'Keyway ESP integ');
  assert.deepEqual([...wc.localTs], [WEST_NET], 'Keyway local TS');
  assert.deepEqual([...wc.remoteTs], [EAST_NET], 'Keyway remote TS');
}
