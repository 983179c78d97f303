/**
 * The dataplane port (ARCHITECTURE B1.1 "KernelIpsec"): what the engine asks of
 * whatever carries ESP: the `memory` recorder, the `userspace` ESP dataplane,
 * or the Linux kernel over XFRM netlink. Implementations live in src/kernel/*;
 * the engine never imports them.
 *
 * Lifecycle contract: allocateSpi() reserves an inbound SPI that is released by
 * deleteSa() (even if addSa() was never called for it). All methods may reject
 * with a KernelError; the engine then fails the CHILD SA and tells the peer.
 */

export type IpsecProtocol = 'esp' | 'ah';
export type IpsecMode = 'tunnel' | 'transport';
export type Direction = 'in' | 'out';

/** A traffic selector as installed: an address range, IP protocol and port range. */
export interface Selector {
  readonly family: 4 | 6;
  /** textual start/end addresses (inclusive) */
  readonly startAddress: string;
  readonly endAddress: string;
  /** 0 = any */
  readonly protocol: number;
  readonly startPort: number;
  readonly endPort: number;
}

export interface SaKey {
  /** IANA ENCR transform id (RFC 7296 §3.3.2) */
  readonly encrId: number;
  readonly encrKeyBits: number;
  /** encryption key including any salt (RFC 4106 §8.1 / RFC 7634 §2) */
  readonly encrKey: Uint8Array;
  /** IANA INTEG transform id, 0 for AEAD */
  readonly integId: number;
  readonly integKey: Uint8Array;
}

export interface SaLifetime {
  readonly softBytes?: number;
  readonly hardBytes?: number;
  readonly softPackets?: number;
  readonly hardPackets?: number;
  /** seconds */
  readonly softSeconds?: number;
  readonly hardSeconds?: number;
}

export interface SaSpec {
  readonly protocol: IpsecProtocol;
  readonly spi: number;
  readonly direction: Direction;
  /** outer addresses: for inbound SAs src is the peer */
  readonly src: string;
  readonly dst: string;
  /** UDP encapsulation ports when ESP-in-UDP is used (RFC 3948) */
  readonly encap?: { readonly srcPort: number; readonly dstPort: number };
  readonly mode: IpsecMode;
  readonly keys: SaKey;
  readonly esn: boolean;
  readonly replayWindow: number;
  readonly localTs: readonly Selector[];
  readonly remoteTs: readonly Selector[];
  readonly lifetime: SaLifetime;
  /** the engine's CHILD SA unique id, so events can be routed back */
  readonly reqid: number;
}

export interface SaId {
  readonly protocol: IpsecProtocol;
  readonly spi: number;
  readonly dst: string;
}

export interface SaCounters {
  readonly bytes: number;
  readonly packets: number;
  /** clock ms of last use, if known */
  readonly lastUsedMs?: number;
}

export interface PolicySpec {
  readonly direction: 'in' | 'out' | 'fwd';
  readonly local: Selector;
  readonly remote: Selector;
  readonly mode: IpsecMode;
  /** tunnel endpoints (outer addresses) for tunnel mode */
  readonly tunnelSrc: string;
  readonly tunnelDst: string;
  readonly reqid: number;
  readonly protocol: IpsecProtocol;
  readonly priority: number;
}

export type KernelEvent =
  | { readonly kind: 'acquire'; readonly reqid: number; readonly local: Selector; readonly remote: Selector }
  | { readonly kind: 'expire'; readonly hard: boolean; readonly sa: SaId; readonly reqid: number };

export interface Dataplane {
  readonly name: string;
  /** true if this dataplane carries only ESP-in-UDP (RFC 3948), e.g. the userspace one */
  readonly requiresUdpEncap?: boolean;
  allocateSpi(protocol: IpsecProtocol, src: string, dst: string, reqid: number): Promise<number>;
  addSa(sa: SaSpec): Promise<void>;
  deleteSa(id: SaId): Promise<void>;
  /**
   * Replaces an installed SA's addresses/encapsulation ports (RFC 7296 §2.23:
   * the peer's NAT mapping changed). Optional: without it the engine re-adds.
   */
  updateSa?(old: SaId, sa: SaSpec): Promise<void>;
  querySa(id: SaId): Promise<SaCounters>;
  addPolicy(p: PolicySpec): Promise<void>;
  deletePolicy(p: PolicySpec): Promise<void>;
  /** removes everything this instance installed */
  flush(): Promise<void>;
  onEvent(listener: (e: KernelEvent) => void): () => void;
}
