import type { TeardownRecord } from '../../../src/ike/history.js';
/**
 * A scripted EngineApi for control-server and CLI tests, with fixed info
 * objects (no real engine, no timers).
 */
import type { KeywayConfig } from '../../../src/config/model.js';
import type { EngineApi, FlushCounts, InitiateResult } from '../../../src/ike/engine-api.js';
import type { ConnectionInfo, CountersInfo, FailureRecord, IkeSaInfo } from '../../../src/ike/info.js';
import type { Datagram } from '../../../src/ike/ports.js';

export const SAMPLE_SA: IkeSaInfo = {
  uniqueId: 1,
  connection: 'home',
  state: 'established',
  version: 2,
  initiator: true,
  spiI: '0123456789abcdef',
  spiR: 'fedcba9876543210',
  local: { address: '192.0.2.1', port: 4500, id: 'moon.example' },
  remote: { address: '198.51.100.2', port: 4500, id: 'sun.example' },
  natLocal: true,
  natRemote: false,
  algorithms: {
    encryption: 'AES_CBC',
    encryptionKeyBits: 256,
    integrity: 'HMAC_SHA2_256_128',
    prf: 'PRF_HMAC_SHA2_256',
    keyExchange: 'CURVE_25519',
  },
  establishedAt: '2025-01-01T00:00:00.000Z',
  rekeyIn: 3500,
  reauthIn: null,
  expiresIn: 3900,
  generation: 0,
  children: [
    {
      uniqueId: 3,
      name: 'net',
      state: 'installed',
      protocol: 'esp',
      mode: 'tunnel',
      encap: true,
      spiIn: 'c1234567',
      spiOut: 'c7654321',
      algorithms: { encryption: 'AES_GCM_16', encryptionKeyBits: 128, esn: false },
      localTs: ['10.1.0.0/16'],
      remoteTs: ['10.2.0.0/16'],
      bytesIn: 1234,
      bytesOut: 5678,
      packetsIn: 10,
      packetsOut: 20,
      establishedAt: '2025-01-01T00:00:10.000Z',
      rekeyIn: 3000,
      expiresIn: 3600,
      generation: 0,
    },
  ],
};

export const SAMPLE_SA2: IkeSaInfo = { ...SAMPLE_SA, uniqueId: 2, connection: 'office', children: [] };

export const SAMPLE_CONN: ConnectionInfo = {
  name: 'home',
  version: 2,
  localAddrs: ['192.0.2.1'],
  remoteAddrs: ['198.51.100.2'],
  localPort: 500,
  remotePort: 500,
  proposals: ['aes256-sha256-x25519'],
  localAuth: [{ method: 'psk', id: 'moon.example' }],
  remoteAuth: [{ method: 'psk', id: 'sun.example' }],
  children: [
    {
      name: 'net',
      mode: 'tunnel',
      localTs: ['10.1.0.0/16'],
      remoteTs: ['10.2.0.0/16'],
      espProposals: ['aes128gcm16'],
      startAction: 'trap',
    },
  ],
};

export const SAMPLE_COUNTERS: CountersInfo = {
  counters: { 'msg.rx.drop.badHeader': 3, 'ike.established': 7 },
  ikeSas: 2,
  childSas: 1,
  halfOpen: 0,
};

export const SAMPLE_FAILURE: FailureRecord = {
  at: '2025-01-01T00:01:00.000Z',
  connection: 'home',
  ikeSaId: 4,
  peer: '198.51.100.2[500]',
  kind: 'proposal',
  exchange: 'IKE_SA_INIT',
  message: 'no acceptable IKE proposal',
  detail: { offered: ['aes128-sha1-modp1024'] },
};

export class FakeEngine implements EngineApi {
  rekeyIke(id: number): Promise<boolean> {
    return Promise.resolve(id === 1);
  }
  rekeyChild(id: number): Promise<boolean> {
    return Promise.resolve(id === 2);
  }
  reauthIke(id: number): Promise<boolean> {
    return Promise.resolve(id === 1);
  }
  history(): readonly TeardownRecord[] {
    return [{ at: '2026-11-23T12:00:00.000Z', kind: 'child', uniqueId: 7, name: 'net/net', reason: 'deleted by peer' }];
  }

  readonly calls: string[] = [];
  /** when set, initiate() never resolves (timeout tests) */
  hangInitiate = false;
  /** when set, listSas() throws (internal-error tests) */
  failListSas = false;

  receive(_d: Datagram): void {
    this.calls.push('receive');
  }
  initiate(connection: string, child?: string): Promise<InitiateResult> {
    this.calls.push(`initiate ${connection} ${child ?? '-'}`);
    if (this.hangInitiate) return new Promise(() => {});
    if (connection === 'home') return Promise.resolve({ ok: true, ikeSaId: 1, childSaId: 3 });
    return Promise.resolve({ ok: false, error: `no connection named "${connection}"` });
  }
  terminateIke(uniqueId: number): Promise<boolean> {
    this.calls.push(`terminateIke ${uniqueId}`);
    return Promise.resolve(uniqueId === 1);
  }
  terminateChild(uniqueId: number): Promise<boolean> {
    this.calls.push(`terminateChild ${uniqueId}`);
    return Promise.resolve(uniqueId === 3);
  }
  loadConfig(_config: KeywayConfig): void {
    this.calls.push('loadConfig');
  }
  listSas(): Promise<readonly IkeSaInfo[]> {
    if (this.failListSas) return Promise.reject(new Error('boom'));
    return Promise.resolve([SAMPLE_SA, SAMPLE_SA2]);
  }
  listConnections(): readonly ConnectionInfo[] {
    return [SAMPLE_CONN];
  }
  counters(): CountersInfo {
    return SAMPLE_COUNTERS;
  }
  failures(): readonly FailureRecord[] {
    return [SAMPLE_FAILURE];
  }
  flush(waitMs?: number): Promise<FlushCounts> {
    this.calls.push(`flush ${waitMs ?? '-'}`);
    return Promise.resolve({ ikeSas: 2, childSas: 1, traps: 1, unanswered: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
