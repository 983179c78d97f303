/**
 * The validated, immutable configuration model. `validate.ts` produces it from
 * the swanctl.conf-style AST; the engine consumes only this.
 * All durations are in seconds, all sizes in bytes/packets. 0 means "disabled".
 */

/** One transform with an optional key length (RFC 7296 §3.3.5 KEY_LENGTH). */
export interface TransformChoice {
  readonly id: number;
  /** key length in bits for variable-length ciphers (AES), undefined otherwise */
  readonly keyBits?: number;
}

/**
 * One proposal: for each transform type, the alternatives in preference order
 * (strongSwan proposal string, e.g. "aes128gcm16-aes256gcm16-prfsha256-x25519-ecp256").
 */
export interface ProposalSpec {
  /** the text as written in the config, for diagnostics */
  readonly text: string;
  readonly encr: readonly TransformChoice[];
  readonly prf: readonly number[];
  /** empty when every encr is AEAD */
  readonly integ: readonly number[];
  /** key exchange methods (DH groups); empty = no PFS (ESP only) */
  readonly ke: readonly number[];
  /** ESN choices (ESP only): [0] by default */
  readonly esn: readonly number[];
}

/** An identity as configured (RFC 7296 §3.5). `any` matches every peer ID (%any). */
export interface IdentitySpec {
  /** the text as written, e.g. "@vpn.example.com", "192.0.2.1", "user@example.com", "keyid:0a0b" */
  readonly text: string;
  readonly any: boolean;
  /** IANA ID type (IdType); 0 when `any` */
  readonly type: number;
  /** encoded identification data as it appears in IDi/IDr */
  readonly data: Uint8Array;
}

export type AuthMethodName = 'psk' | 'pubkey' | 'eap' | 'null';

/** A key read from a file named in the config (PEM or DER; kept as DER, the private one is never logged). */
export interface KeyFile {
  /** the path as resolved (relative paths: from the config file's folder) */
  readonly file: string;
  /** SubjectPublicKeyInfo DER for public keys, PKCS#8 DER for private keys */
  readonly der: Uint8Array;
}

/** One authentication round (swanctl `local`/`remote` section). */
export interface AuthSpec {
  readonly method: AuthMethodName;
  /** undefined: the local ID defaults to the local IP address; for remote: %any */
  readonly id?: IdentitySpec;
  /**
   * swanctl `pubkeys`: raw public keys trusted for this round's identity
   * (auth = pubkey); in a local round: ours, which picks the private key
   */
  readonly pubkeys?: readonly KeyFile[];
  /**
   * Local rounds with auth = pubkey: the private key we sign with (PKCS#8 DER),
   * the secrets key matching `pubkeys`, or Keyway's `private_key = file`
   */
  readonly privateKey?: KeyFile;
}

/** A traffic selector as configured: "10.1.0.0/16", "10.1.0.1-10.1.0.9[tcp/80]", "dynamic" */
export interface TsSpec {
  readonly text: string;
  /** "dynamic": replaced by the IKE SA's own address (or a virtual IP) at negotiation time */
  readonly dynamic: boolean;
  readonly family: 4 | 6;
  /** inclusive range, raw address bytes (4 or 16); empty when dynamic */
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  /** IP protocol number, 0 = any */
  readonly protocol: number;
  /** inclusive port range; 0-65535 = any */
  readonly startPort: number;
  readonly endPort: number;
}

export type StartAction = 'none' | 'trap' | 'start';
export type ActionOnClose = 'none' | 'trap' | 'start';
export type DpdAction = 'clear' | 'trap' | 'restart';
export type IpsecModeName = 'tunnel' | 'transport';

export interface ChildConfig {
  readonly name: string;
  readonly localTs: readonly TsSpec[];
  readonly remoteTs: readonly TsSpec[];
  readonly espProposals: readonly ProposalSpec[];
  readonly mode: IpsecModeName;
  readonly startAction: StartAction;
  readonly closeAction: ActionOnClose;
  readonly dpdAction: DpdAction;
  readonly rekeyTime: number;
  readonly lifeTime: number;
  readonly randTime: number;
  readonly rekeyBytes: number;
  readonly lifeBytes: number;
  readonly randBytes: number;
  readonly rekeyPackets: number;
  readonly lifePackets: number;
  readonly randPackets: number;
  readonly replayWindow: number;
  /** 1-based line in the config file (for diagnostics) */
  readonly line: number;
}

export interface ConnectionConfig {
  readonly name: string;
  /** 0 = any (respond to both), 1 = IKEv1, 2 = IKEv2 */
  readonly version: 0 | 1 | 2;
  /** addresses, hostnames, or ranges/subnets; "%any" for any */
  readonly localAddrs: readonly string[];
  readonly remoteAddrs: readonly string[];
  readonly localPort: number;
  readonly remotePort: number;
  readonly proposals: readonly ProposalSpec[];
  /** authentication rounds, in order (usually one each) */
  readonly local: readonly AuthSpec[];
  readonly remote: readonly AuthSpec[];
  readonly children: readonly ChildConfig[];
  /** force UDP encapsulation of ESP (RFC 3948) even without a NAT */
  readonly encap: boolean;
  readonly mobike: boolean;
  readonly fragmentation: 'yes' | 'no' | 'accept' | 'force';
  readonly dpdDelay: number;
  readonly dpdTimeout: number;
  readonly rekeyTime: number;
  readonly reauthTime: number;
  readonly overTime: number;
  readonly randTime: number;
  /** 0 = forever */
  readonly keyingtries: number;
  readonly unique: 'no' | 'never' | 'keep' | 'replace';
  readonly sendCertreq: boolean;
  /**
   * IKEv1: accept/initiate Aggressive Mode (swanctl `aggressive = yes`); set
   * only when configured, absent = Main Mode only. Aggressive Mode with PSKs
   * exposes a PSK-keyed hash to offline guessing (docs/ikev1.md).
   */
  readonly aggressive?: boolean;
  readonly line: number;
}

export interface IkeSecret {
  /** identities this secret applies to; empty = any */
  readonly ids: readonly IdentitySpec[];
  /** the raw shared secret (never logged) */
  readonly secret: Uint8Array;
  readonly name: string;
  readonly line: number;
}

/**
 * A private key loaded by swanctl.conf(5) secrets `rsa<suffix>`, `ecdsa<suffix>`,
 * `pkcs8<suffix>` or `private<suffix>` (`file`, optional passphrase `secret`).
 * The passphrase is used to decrypt the file and not kept.
 */
export interface PrivateKeySecret {
  readonly name: string;
  /** the path as resolved (relative paths: from the config file's folder) */
  readonly file: string;
  /** PKCS#8 DER (never logged) */
  readonly der: Uint8Array;
  /** SubjectPublicKeyInfo DER of its public key: local `pubkeys` select the key by it */
  readonly publicDer: Uint8Array;
  /** 'rsa', 'ec', 'ed25519', ... */
  readonly keyType: string;
  /** a passphrase was configured: the config file holds a secret */
  readonly hasPassphrase: boolean;
  readonly line: number;
}

export interface RetransmitSettings {
  /** first timeout in seconds (strongSwan retransmit_timeout, default 4.0) */
  readonly timeout: number;
  /** back-off base (strongSwan retransmit_base, default 1.8) */
  readonly base: number;
  /** number of retransmissions before giving up (strongSwan retransmit_tries, default 5) */
  readonly tries: number;
}

export type DataplaneName = 'memory' | 'userspace' | 'xfrm';

export interface DaemonSettings {
  /** local addresses to listen on (IPv4 and IPv6); default ["0.0.0.0", "::"] */
  readonly listen: readonly string[];
  /** IKE port, default 500 */
  readonly port: number;
  /** NAT-T port, default 4500 */
  readonly natPort: number;
  readonly controlSocket: string;
  readonly dataplane: DataplaneName;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** debug key log file (tshark formats); undefined = off */
  readonly keyLog?: string;
  /** half-open IKE SAs above which COOKIEs are demanded (RFC 7296 §2.6) */
  readonly cookieThreshold: number;
  /** hard cap on half-open IKE SAs */
  readonly halfOpenLimit: number;
  readonly retransmit: RetransmitSettings;
  /** half-open SA timeout in seconds */
  readonly halfOpenTimeout: number;
  /** NAT keepalive interval in seconds when we are behind a NAT (RFC 3948 §2.3); 0 = off */
  readonly natKeepalive: number;
  /** MODP private exponent: 'short' (2x security strength, NIST SP 800-56A) or 'full' */
  readonly modpExponent: 'short' | 'full';
  /** Diffie-Hellman worker threads, 0-64 or 'auto' (one per core from 2 cores up); set only when configured */
  readonly cryptoWorkers?: number | 'auto';
  /** userspace dataplane: TUN device name (default keyway0); set only when configured */
  readonly tunName?: string;
  /** userspace dataplane: TUN MTU (default 1400) */
  readonly tunMtu?: number;
  /** userspace dataplane: CIDR addresses put on the TUN device (default none) */
  readonly tunAddresses?: readonly string[];
  /** userspace dataplane: policy-routing table for tunnel routes (default 220) */
  readonly routeTable?: number;
  /** xfrm dataplane: top octet of every reqid Keyway installs (ownership tag, default 0x4b); set only when configured */
  readonly xfrmReqidTag?: number;
  /** xfrm dataplane: inbound SPI range for ALLOCSPI (default 0x100..0xffffffff, RFC 4303 §2.1) */
  readonly xfrmSpiMin?: number;
  readonly xfrmSpiMax?: number;
  /** Prometheus exporter address (docs/metrics.md); set only when configured, off by default */
  readonly metrics?: MetricsListen;
}

/** `daemon { metrics = 127.0.0.1:9109 }` or `[::1]:9109`: an explicit IP address, never a host name. */
export interface MetricsListen {
  readonly host: string;
  readonly port: number;
}

export interface KeywayConfig {
  readonly file: string;
  readonly daemon: DaemonSettings;
  readonly connections: readonly ConnectionConfig[];
  readonly secrets: readonly IkeSecret[];
  readonly privateKeys: readonly PrivateKeySecret[];
}
