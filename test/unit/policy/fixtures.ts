/** Hand-built config model objects for policy tests (no config parser involved). */
import { EncrId, EsnId, IdType, IntegId, KeId, PrfId, TransformAttr, TransformType } from '../../../src/iana/ikev2.js';
import type { ChildConfig, ConnectionConfig, IdentitySpec, ProposalSpec, TsSpec, AuthMethodName } from '../../../src/config/model.js';
import type { Proposal, Transform } from '../../../src/wire/ikev2/types.js';

export function spec(p: Partial<ProposalSpec> & Pick<ProposalSpec, 'encr'>): ProposalSpec {
  return { text: p.text ?? 'test', encr: p.encr, prf: p.prf ?? [], integ: p.integ ?? [], ke: p.ke ?? [], esn: p.esn ?? [] };
}

/** aes128gcm16-prfsha256-x25519 */
export const IKE_GCM_X25519 = spec({
  text: 'aes128gcm16-prfsha256-x25519',
  encr: [{ id: EncrId.ENCR_AES_GCM_16, keyBits: 128 }],
  prf: [PrfId.PRF_HMAC_SHA2_256],
  ke: [KeId.CURVE25519],
});

export function encr(id: number, keyBits?: number): Transform {
  return {
    type: TransformType.ENCR,
    id,
    attributes: keyBits === undefined ? [] : [{ type: TransformAttr.KEY_LENGTH, tv: true, value: keyBits, data: new Uint8Array(0) }],
  };
}
export const prf = (id: number): Transform => ({ type: TransformType.PRF, id, attributes: [] });
export const integ = (id: number): Transform => ({ type: TransformType.INTEG, id, attributes: [] });
export const ke = (id: number): Transform => ({ type: TransformType.KE, id, attributes: [] });
export const esn = (id: number): Transform => ({ type: TransformType.ESN, id, attributes: [] });

export function prop(number: number, protocolId: number, transforms: Transform[], spi: Uint8Array = new Uint8Array(0)): Proposal {
  return { number, protocolId, spi, transforms };
}

/** aes256-sha1-modp1024 as an IKE proposal */
export function ikeAes256Sha1Modp1024(number = 1): Proposal {
  return prop(number, 1, [encr(EncrId.ENCR_AES_CBC, 256), prf(PrfId.PRF_HMAC_SHA1), integ(IntegId.AUTH_HMAC_SHA1_96), ke(KeId.MODP_1024)]);
}

export const NO_ESN = EsnId.NO_ESN;

function ipBytes(text: string): Uint8Array {
  if (text.includes(':')) throw new Error('fixtures: IPv4 only');
  return Uint8Array.from(text.split('.').map(Number));
}

/** "10.1.0.0/16" or "10.1.0.1-10.1.0.9" (IPv4) with optional protocol/ports. */
export function tsSpec(text: string, protocol = 0, startPort = 0, endPort = 65535): TsSpec {
  if (text === 'dynamic') {
    return { text, dynamic: true, family: 4, start: new Uint8Array(0), end: new Uint8Array(0), protocol, startPort, endPort };
  }
  let start: Uint8Array;
  let end: Uint8Array;
  if (text.includes('/')) {
    const [a = '', l = '32'] = text.split('/');
    const base = ipBytes(a);
    const len = Number(l);
    let v = ((base[0] ?? 0) << 24 >>> 0) + ((base[1] ?? 0) << 16) + ((base[2] ?? 0) << 8) + (base[3] ?? 0);
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    v = (v & mask) >>> 0;
    const hi = (v | (~mask >>> 0)) >>> 0;
    const b = (n: number): Uint8Array => Uint8Array.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    start = b(v);
    end = b(hi);
  } else {
    const [a = '', z = a] = text.split('-');
    start = ipBytes(a);
    end = ipBytes(z);
  }
  return { text, dynamic: false, family: 4, start, end, protocol, startPort, endPort };
}

export function child(name: string, localTs: TsSpec[], remoteTs: TsSpec[], espProposals: ProposalSpec[] = []): ChildConfig {
  return {
    name, localTs, remoteTs, espProposals, mode: 'tunnel', startAction: 'none', closeAction: 'none', dpdAction: 'clear',
    rekeyTime: 3600, lifeTime: 3960, randTime: 360, rekeyBytes: 0, lifeBytes: 0, randBytes: 0,
    rekeyPackets: 0, lifePackets: 0, randPackets: 0, replayWindow: 32, line: 1,
  };
}

const enc = new TextEncoder();

export function fqdn(name: string): IdentitySpec {
  return { text: `@${name}`, any: false, type: IdType.ID_FQDN, data: enc.encode(name) };
}
export function email(addr: string): IdentitySpec {
  return { text: addr, any: false, type: IdType.ID_RFC822_ADDR, data: enc.encode(addr) };
}
export const ANY_ID: IdentitySpec = { text: '%any', any: true, type: 0, data: new Uint8Array(0) };

export function conn(
  name: string,
  o: { local?: string[]; remote?: string[]; version?: 0 | 1 | 2; localId?: IdentitySpec; remoteId?: IdentitySpec; method?: AuthMethodName; children?: ChildConfig[] } = {},
): ConnectionConfig {
  const method = o.method ?? 'psk';
  return {
    name, version: o.version ?? 2, localAddrs: o.local ?? ['%any'], remoteAddrs: o.remote ?? ['%any'], localPort: 500, remotePort: 500,
    proposals: [IKE_GCM_X25519],
    local: [{ method, ...(o.localId ? { id: o.localId } : {}) }],
    remote: [{ method, ...(o.remoteId ? { id: o.remoteId } : {}) }],
    children: o.children ?? [], encap: false, mobike: true, fragmentation: 'yes', dpdDelay: 0, dpdTimeout: 0,
    rekeyTime: 14400, reauthTime: 0, overTime: 0, randTime: 0, keyingtries: 1, unique: 'no', sendCertreq: true, line: 1,
  };
}
