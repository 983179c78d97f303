/**
 * Quick Mode KEYMAT and installation of the IPsec SA pair (RFC 2409 §5.5):
 * each direction has its own SPI (chosen by its receiver) and KEYMAT, the
 * encryption key first, then the integrity key.
 */
import { quickKeymat } from '../../crypto/keymat-v1.js';
import { encrDescriptor, integDescriptor, keDescriptor } from '../../crypto/registry.js';
import { V1Protocol } from '../../iana/ikev1.js';
import { formatIp } from '../../policy/ip.js';
import { formatTs, type TsRange } from '../../policy/ts-range.js';
import type { P2Choice } from '../../policy/v1-proposals.js';
import type { PolicySpec, SaSpec, Selector } from '../dataplane.js';
import type { V1Child } from './v1-child.js';
import { scheduleV1ChildLifetime } from './child-lifetime.js';

export function spiBytes(spi: number): Uint8Array {
  return new Uint8Array([(spi >>> 24) & 0xff, (spi >>> 16) & 0xff, (spi >>> 8) & 0xff, spi & 0xff]);
}

export function spiNumber(b: Uint8Array): number {
  return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
}

function selector(r: TsRange): Selector {
  return { family: r.family, startAddress: formatIp(r.family, r.start), endAddress: formatIp(r.family, r.end), protocol: r.protocol, startPort: r.startPort, endPort: r.endPort };
}

export interface QuickKeys {
  readonly niB: Uint8Array;
  readonly nrB: Uint8Array;
  /** g(qm)^xy with PFS */
  readonly gxy?: Uint8Array;
}

export async function installChild(child: V1Child, choice: P2Choice, k: QuickKeys, localTs: TsRange, remoteTs: TsRange, udpEncap: boolean): Promise<void> {
  const sa = child.sa;
  const ctx = sa.ctx;
  const h = sa.hash;
  const keys = sa.keys;
  const encr = encrDescriptor(choice.encrId, choice.keyBits);
  const integ = choice.integId === 0 ? undefined : integDescriptor(choice.integId);
  if (h === undefined || keys === undefined || encr === undefined) throw new Error('Quick Mode without phase 1 keys');
  const len = encr.keyLength + (integ?.keyLength ?? 0);
  const keymat = (spi: number): { e: Uint8Array; a: Uint8Array } => {
    const km = quickKeymat(h, keys.skeyidD, { ...(k.gxy === undefined ? {} : { gxy: k.gxy }), protocol: V1Protocol.IPSEC_ESP, spi: spiBytes(spi), niB: k.niB, nrB: k.nrB }, len);
    return { e: km.slice(0, encr.keyLength), a: km.slice(encr.keyLength) };
  };
  const kin = keymat(child.spiIn);
  const kout = keymat(child.spiOut);
  child.encap = udpEncap;
  child.localTs = [formatTs(localTs)];
  child.remoteTs = [formatTs(remoteTs)];
  child.algorithms = {
    encryption: encr.name,
    encryptionKeyBits: encr.keyBits,
    ...(integ === undefined ? {} : { integrity: integ.name }),
    ...(choice.group !== 0 ? { keyExchange: keDescriptor(choice.group)?.name ?? String(choice.group) } : {}),
    esn: false,
  };
  child.lifeSeconds = choice.lifeSeconds;
  const local = sa.local.address;
  const remote = sa.remote.address;
  const encap = udpEncap ? { srcPort: sa.local.port, dstPort: sa.remote.port } : undefined;
  const cfg = child.cfg;
  const common = {
    protocol: 'esp' as const, mode: child.mode, esn: false, replayWindow: cfg.replayWindow,
    localTs: [selector(localTs)], remoteTs: [selector(remoteTs)],
    lifetime: { ...(choice.lifeSeconds > 0 ? { hardSeconds: choice.lifeSeconds } : {}), ...(cfg.lifeBytes > 0 ? { hardBytes: cfg.lifeBytes } : {}) },
    reqid: child.reqid,
  };
  const sas: SaSpec[] = [
    { ...common, spi: child.spiIn, direction: 'in', src: remote, dst: local, ...(encap ? { encap: { srcPort: encap.dstPort, dstPort: encap.srcPort } } : {}),
      keys: { encrId: choice.encrId, encrKeyBits: encr.keyBits, encrKey: kin.e, integId: choice.integId, integKey: kin.a } },
    { ...common, spi: child.spiOut, direction: 'out', src: local, dst: remote, ...(encap ? { encap } : {}),
      keys: { encrId: choice.encrId, encrKeyBits: encr.keyBits, encrKey: kout.e, integId: choice.integId, integKey: kout.a } },
  ];
  const base = { local: selector(localTs), remote: selector(remoteTs), mode: child.mode, reqid: child.reqid, protocol: 'esp' as const, priority: 0 };
  const policies: PolicySpec[] = [
    { ...base, direction: 'out', tunnelSrc: local, tunnelDst: remote },
    { ...base, direction: 'in', tunnelSrc: remote, tunnelDst: local },
    ...(child.mode === 'tunnel' ? [{ ...base, direction: 'fwd' as const, tunnelSrc: remote, tunnelDst: local }] : []),
  ];
  for (const s of sas) {
    ctx.keyLog?.childSaKeys({ spi: s.spi, src: s.src, dst: s.dst, encrId: choice.encrId, encrKeyBits: encr.keyBits, encrKey: s.keys.encrKey, integId: s.keys.integId, integKey: s.keys.integKey });
  }
  await child.install(sas, policies);
  scheduleV1ChildLifetime(child);
}
