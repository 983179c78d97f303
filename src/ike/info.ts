/**
 * Read-only snapshots of engine state, as served by the control socket and
 * printed by `keyway ... --json`. This shape is documented in the README and
 * kept stable: add fields, never rename or remove them.
 */

export interface AlgorithmInfo {
  /** e.g. "AES_GCM_16", "AES_CBC" */
  readonly encryption: string;
  readonly encryptionKeyBits?: number;
  /** e.g. "HMAC_SHA2_256_128"; absent for AEAD */
  readonly integrity?: string;
  /** IKE SAs only, e.g. "PRF_HMAC_SHA2_256" */
  readonly prf?: string;
  /** e.g. "CURVE_25519", "MODP_2048"; absent for a CHILD SA without PFS */
  readonly keyExchange?: string;
  /** CHILD SAs only */
  readonly esn?: boolean;
}

export interface ChildSaInfo {
  readonly uniqueId: number;
  readonly name: string;
  /** 'installing' | 'installed' | 'rekeying' | 'rekeyed' | 'deleting' | 'failed' */
  readonly state: string;
  readonly protocol: 'esp' | 'ah';
  readonly mode: 'tunnel' | 'transport';
  readonly encap: boolean;
  /** hex, 8 digits */
  readonly spiIn: string;
  readonly spiOut: string;
  readonly algorithms: AlgorithmInfo;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  /** ISO-8601 */
  readonly establishedAt: string;
  /** seconds from now, or null when disabled */
  readonly rekeyIn: number | null;
  readonly expiresIn: number | null;
  readonly generation: number;
}

export interface IkeSaInfo {
  readonly uniqueId: number;
  readonly connection: string;
  /** 'connecting' | 'established' | 'rekeying' | 'deleting' | ... */
  readonly state: string;
  readonly version: 1 | 2;
  readonly initiator: boolean;
  /** hex, 16 digits */
  readonly spiI: string;
  readonly spiR: string;
  readonly local: { readonly address: string; readonly port: number; readonly id: string };
  readonly remote: { readonly address: string; readonly port: number; readonly id: string };
  readonly natLocal: boolean;
  readonly natRemote: boolean;
  readonly algorithms: AlgorithmInfo;
  readonly establishedAt: string | null;
  readonly rekeyIn: number | null;
  readonly reauthIn: number | null;
  readonly expiresIn: number | null;
  readonly generation: number;
  readonly children: readonly ChildSaInfo[];
  /** the last teardowns of this connection's SAs, oldest first (see `keyway history`) */
  readonly recentTeardowns?: readonly { readonly at: string; readonly kind: 'ike' | 'child'; readonly uniqueId: number; readonly name: string; readonly reason: string }[];
  /** IKEv1 only: phase 1 mode ('main' | 'aggressive') */
  readonly mode?: string;
  /** authentication methods used by each side, e.g. 'psk' */
  readonly localAuth?: string;
  readonly remoteAuth?: string;
  /** negotiated IKE SA lifetime in seconds (IKEv1 negotiates it, RFC 2409 §4.5) */
  readonly lifetime?: number;
}

export interface ConnectionInfo {
  readonly name: string;
  readonly version: 0 | 1 | 2;
  readonly localAddrs: readonly string[];
  readonly remoteAddrs: readonly string[];
  readonly localPort: number;
  readonly remotePort: number;
  readonly proposals: readonly string[];
  readonly localAuth: readonly { readonly method: string; readonly id: string }[];
  readonly remoteAuth: readonly { readonly method: string; readonly id: string }[];
  readonly children: readonly {
    readonly name: string;
    readonly mode: string;
    readonly localTs: readonly string[];
    readonly remoteTs: readonly string[];
    readonly espProposals: readonly string[];
    readonly startAction: string;
  }[];
}

/**
 * Why a negotiation failed, in one structured record (shown in logs and by
 * `keyway failures`). `kind` selects which detail block is filled.
 */
export interface FailureRecord {
  readonly at: string;
  readonly connection: string | null;
  readonly ikeSaId: number | null;
  readonly peer: string;
  readonly kind: 'proposal' | 'ts' | 'auth' | 'peer-notify' | 'timeout' | 'ke' | 'internal' | 'config';
  readonly exchange: string;
  /** one-line human summary */
  readonly message: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface CountersInfo {
  readonly counters: Readonly<Record<string, number>>;
  readonly ikeSas: number;
  readonly childSas: number;
  readonly halfOpen: number;
}
