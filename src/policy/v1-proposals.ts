/**
 * IKEv1 proposal building and selection (RFC 2409 §5, App. A; RFC 2407 §4.5).
 *
 * IKEv1 negotiates whole transforms: each phase 1 transform names one
 * encryption algorithm (+ key length), hash, authentication method, group
 * and lifetime. The responder picks one of the initiator's transforms and
 * returns it unchanged (RFC 2408 §4.2), or answers NO_PROPOSAL_CHOSEN.
 * Our config speaks IKEv2 proposal strings (strongSwan does the same for
 * IKEv1): they are expanded into the cross product of their algorithms.
 */
import type { ChildConfig, ConnectionConfig } from '../config/model.js';
import { encrDescriptor, integDescriptor, keDescriptor } from '../crypto/registry.js';
import { EncapMode, KEY_IKE, LifeType, P1Attr, P1Auth, P1Encr, P1Hash, P2Attr, P2Auth, V1Protocol } from '../iana/ikev1.js';
import { EncrId, IntegId, PrfId } from '../iana/ikev2.js';
import { attributeNumber, numberAttribute } from '../wire/ikev1/attributes.js';
import type { DataAttribute, V1Proposal, V1Transform } from '../wire/ikev1/types.js';

/** A phase 1 transform in our terms. */
export interface P1Choice {
  /** IKEv2 ENCR id (for the registry) and key bits */
  readonly encrId: number;
  readonly keyBits: number;
  /** RFC 2409 hash id */
  readonly hash: number;
  readonly auth: number;
  readonly group: number;
  /** 0 = not given */
  readonly lifeSeconds: number;
}

/** A phase 2 (ESP) transform in our terms. */
export interface P2Choice {
  readonly encrId: number;
  readonly keyBits: number;
  /** IKEv2 INTEG id, 0 for AEAD */
  readonly integId: number;
  /** 0 = no PFS */
  readonly group: number;
  readonly encapMode: number;
  readonly lifeSeconds: number;
}

const ENCR_TO_P1: ReadonlyMap<number, number> = new Map([[EncrId.ENCR_AES_CBC, P1Encr.AES_CBC], [EncrId.ENCR_3DES, P1Encr['3DES_CBC']]]);
const HASH_OF_INTEG: ReadonlyMap<number, number> = new Map([
  [IntegId.AUTH_HMAC_SHA1_96, P1Hash.SHA], [IntegId.AUTH_HMAC_SHA2_256_128, P1Hash.SHA2_256],
  [IntegId.AUTH_HMAC_SHA2_384_192, P1Hash.SHA2_384], [IntegId.AUTH_HMAC_SHA2_512_256, P1Hash.SHA2_512],
]);
const HASH_OF_PRF: ReadonlyMap<number, number> = new Map([
  [PrfId.PRF_HMAC_SHA1, P1Hash.SHA], [PrfId.PRF_HMAC_SHA2_256, P1Hash.SHA2_256],
  [PrfId.PRF_HMAC_SHA2_384, P1Hash.SHA2_384], [PrfId.PRF_HMAC_SHA2_512, P1Hash.SHA2_512],
]);
/** RFC 2407 §4.5 Authentication Algorithm <-> IKEv2 INTEG ids */
const P2AUTH_OF_INTEG: ReadonlyMap<number, number> = new Map([
  [IntegId.AUTH_HMAC_MD5_96, P2Auth.HMAC_MD5], [IntegId.AUTH_HMAC_SHA1_96, P2Auth.HMAC_SHA], [IntegId.AUTH_HMAC_SHA2_256_128, P2Auth.HMAC_SHA2_256],
  [IntegId.AUTH_HMAC_SHA2_384_192, P2Auth.HMAC_SHA2_384], [IntegId.AUTH_HMAC_SHA2_512_256, P2Auth.HMAC_SHA2_512], [IntegId.AUTH_AES_XCBC_96, P2Auth.AES_XCBC_MAC],
]);

function p1EncrToV2(id: number): number | undefined {
  for (const [v2, v1] of ENCR_TO_P1) if (v1 === id) return v2;
  return undefined;
}

function integOfP2Auth(a: number): number | undefined {
  for (const [v2, v1] of P2AUTH_OF_INTEG) if (v1 === a) return v2;
  return undefined;
}

/** Phase 1 choices of a connection, in preference order. */
export function phase1Choices(conn: ConnectionConfig, lifeSeconds: number): P1Choice[] {
  const out: P1Choice[] = [];
  // one auth method per transform (RFC 2409 App. A): ours, as both sides configure the same
  const auth = conn.local[0]?.method === 'pubkey' ? P1Auth.RSA_SIGNATURES : P1Auth.PRE_SHARED_KEY;
  for (const p of conn.proposals) {
    const hashes = [...new Set([...p.integ.map((i) => HASH_OF_INTEG.get(i)), ...p.prf.map((i) => HASH_OF_PRF.get(i))])].filter((h): h is number => h !== undefined);
    for (const e of p.encr) {
      if (!ENCR_TO_P1.has(e.id)) continue;
      const keyBits = e.keyBits ?? encrDescriptor(e.id)?.keyBits ?? 0;
      for (const hash of hashes) for (const group of p.ke) if (keDescriptor(group) !== undefined) out.push({ encrId: e.id, keyBits, hash, auth, group, lifeSeconds });
    }
  }
  return out;
}

export function p1Transform(c: P1Choice, number: number): V1Transform {
  const attrs: DataAttribute[] = [numberAttribute(P1Attr.ENCRYPTION_ALGORITHM, ENCR_TO_P1.get(c.encrId) ?? 0)];
  if (c.encrId === EncrId.ENCR_AES_CBC) attrs.push(numberAttribute(P1Attr.KEY_LENGTH, c.keyBits));
  attrs.push(numberAttribute(P1Attr.HASH_ALGORITHM, c.hash), numberAttribute(P1Attr.AUTHENTICATION_METHOD, c.auth), numberAttribute(P1Attr.GROUP_DESCRIPTION, c.group));
  if (c.lifeSeconds > 0) attrs.push(numberAttribute(P1Attr.LIFE_TYPE, LifeType.SECONDS), numberAttribute(P1Attr.LIFE_DURATION, c.lifeSeconds));
  return { number, id: KEY_IKE, attributes: attrs };
}

/** Attribute values of a transform; undefined when an attribute repeats (suricata ikev1-duplicate-proposals). */
function attrMap(t: V1Transform): Map<number, number> | undefined {
  const m = new Map<number, number>();
  let lifeType = 0;
  for (const a of t.attributes) {
    const v = attributeNumber(a);
    if (v === undefined) return undefined;
    // life type/duration pairs may repeat (seconds + kilobytes, RFC 2409 App. A); other attributes may not
    if (a.type === P1Attr.LIFE_TYPE) { lifeType = v; continue; }
    if (a.type === P1Attr.LIFE_DURATION) {
      if (lifeType === LifeType.SECONDS) {
        if (m.has(-1)) return undefined;
        m.set(-1, v);
      }
      continue;
    }
    if (m.has(a.type)) return undefined;
    m.set(a.type, v);
  }
  return m;
}

/** Reads a phase 1 transform; undefined when malformed or not something we implement. */
export function parseP1Transform(t: V1Transform): P1Choice | undefined {
  const m = attrMap(t);
  if (t.id !== KEY_IKE || m === undefined) return undefined;
  const encrId = p1EncrToV2(m.get(P1Attr.ENCRYPTION_ALGORITHM) ?? 0);
  if (encrId === undefined) return undefined;
  const keyBits = m.get(P1Attr.KEY_LENGTH) ?? (encrId === EncrId.ENCR_AES_CBC ? 128 : 192);
  if (encrDescriptor(encrId, keyBits) === undefined) return undefined;
  return {
    encrId, keyBits,
    hash: m.get(P1Attr.HASH_ALGORITHM) ?? 0,
    auth: m.get(P1Attr.AUTHENTICATION_METHOD) ?? 0,
    group: m.get(P1Attr.GROUP_DESCRIPTION) ?? 0,
    lifeSeconds: m.get(-1) ?? 0,
  };
}

function sameP1(a: P1Choice, b: P1Choice): boolean {
  return a.encrId === b.encrId && a.keyBits === b.keyBits && a.hash === b.hash && a.auth === b.auth && a.group === b.group;
}

export type P1Selection =
  | { readonly ok: true; readonly transform: V1Transform; readonly choice: P1Choice }
  | { readonly ok: false; readonly offered: readonly string[]; readonly configured: readonly string[] };

export function describeP1(c: P1Choice): string {
  return `${encrDescriptor(c.encrId, c.keyBits)?.name ?? c.encrId}-${c.keyBits}/HASH${c.hash}/AUTH${c.auth}/GROUP${c.group}${c.lifeSeconds ? `/${c.lifeSeconds}s` : ''}`;
}

/**
 * Responder: the first offered transform (initiator's order) that equals one
 * of ours in everything but the lifetime, which may be anything (we apply
 * the shorter of both, RFC 2409 §4.5 leaves the reaction to policy).
 */
export function selectPhase1(offered: readonly V1Proposal[], ours: readonly P1Choice[]): P1Selection {
  const seen: string[] = [];
  for (const p of offered) {
    if (p.protocolId !== V1Protocol.ISAKMP) continue;
    for (const t of p.transforms) {
      const c = parseP1Transform(t);
      if (c === undefined) { seen.push(`transform ${t.number} (unsupported)`); continue; }
      seen.push(describeP1(c));
      if (ours.some((o) => sameP1(o, c))) return { ok: true, transform: t, choice: c };
    }
  }
  return { ok: false, offered: seen, configured: ours.map(describeP1) };
}

// ------------------------------------------------------------------ phase 2

/**
 * ESP transforms of a child. PFS (RFC 2409 §5.5) as in IKEv2 proposals: a
 * proposal listing key exchange methods requires PFS with one of them, one
 * listing none forbids it. `pfs` selects: 0 = the proposals without KE
 * methods; a group = the proposals listing it, with that group (the
 * initiator sends one KE, so it offers one group); 'all' = every proposal
 * with KE methods, each of its groups (the responder's view of a QM with KE).
 */
export function phase2Choices(child: ChildConfig, encap: boolean, pfs: number | 'all'): P2Choice[] {
  const out: P2Choice[] = [];
  const mode = child.mode === 'transport'
    ? (encap ? EncapMode.UDP_ENCAPSULATED_TRANSPORT : EncapMode.TRANSPORT)
    : (encap ? EncapMode.UDP_ENCAPSULATED_TUNNEL : EncapMode.TUNNEL);
  for (const p of child.espProposals) {
    const groups = pfs === 0 ? (p.ke.length === 0 ? [0] : []) : pfs === 'all' ? p.ke : p.ke.filter((g) => g === pfs);
    for (const e of p.encr) {
      const d = encrDescriptor(e.id, e.keyBits);
      if (d === undefined || e.id === EncrId.ENCR_NULL) continue;
      const integs = d.aead ? [0] : p.integ.filter((i) => P2AUTH_OF_INTEG.has(i));
      for (const integId of integs) for (const group of groups) out.push({ encrId: e.id, keyBits: d.keyBits, integId, group, encapMode: mode, lifeSeconds: child.lifeTime });
    }
  }
  return out;
}

/** The child's PFS group as initiator: the first KE method of its first proposal listing one, 0 = no PFS. */
export function initiatorPfsGroup(child: ChildConfig): number {
  return child.espProposals.find((p) => p.ke.length > 0)?.ke[0] ?? 0;
}

export function espProposal(choices: readonly P2Choice[], spi: Uint8Array): V1Proposal {
  const transforms = choices.map((c, i): V1Transform => {
    const attrs: DataAttribute[] = [];
    if (c.lifeSeconds > 0) attrs.push(numberAttribute(P2Attr.SA_LIFE_TYPE, LifeType.SECONDS), numberAttribute(P2Attr.SA_LIFE_DURATION, c.lifeSeconds));
    if (c.group !== 0) attrs.push(numberAttribute(P2Attr.GROUP_DESCRIPTION, c.group));
    attrs.push(numberAttribute(P2Attr.ENCAPSULATION_MODE, c.encapMode));
    if (c.integId !== 0) attrs.push(numberAttribute(P2Attr.AUTHENTICATION_ALGORITHM, P2AUTH_OF_INTEG.get(c.integId) ?? 0));
    if (encrDescriptor(c.encrId)?.defaultKeyBits === undefined) attrs.push(numberAttribute(P2Attr.KEY_LENGTH, c.keyBits));
    return { number: i + 1, id: c.encrId, attributes: attrs };
  });
  return { number: 1, protocolId: V1Protocol.IPSEC_ESP, spi, transforms };
}

export function parseP2Transform(t: V1Transform): P2Choice | undefined {
  const m = new Map<number, number>();
  let lifeType = 0;
  let lifeSeconds = 0;
  for (const a of t.attributes) {
    const v = attributeNumber(a);
    if (v === undefined) return undefined;
    if (a.type === P2Attr.SA_LIFE_TYPE) { lifeType = v; continue; }
    if (a.type === P2Attr.SA_LIFE_DURATION) { if (lifeType === LifeType.SECONDS) lifeSeconds = v; continue; }
    if (m.has(a.type)) return undefined;
    m.set(a.type, v);
  }
  const d = encrDescriptor(t.id, m.get(P2Attr.KEY_LENGTH));
  if (d === undefined) return undefined;
  const auth = m.get(P2Attr.AUTHENTICATION_ALGORITHM);
  const integId = auth === undefined ? 0 : integOfP2Auth(auth);
  if (integId === undefined || (integId === 0 && !d.aead) || (integId !== 0 && integDescriptor(integId) === undefined)) return undefined;
  return { encrId: t.id, keyBits: d.keyBits, integId, group: m.get(P2Attr.GROUP_DESCRIPTION) ?? 0, encapMode: m.get(P2Attr.ENCAPSULATION_MODE) ?? EncapMode.TUNNEL, lifeSeconds };
}

/** RFC 3947 §5.2 and the draft values: both name UDP encapsulation. */
export function encapKind(mode: number): { tunnel: boolean; udp: boolean } | undefined {
  switch (mode) {
    case EncapMode.TUNNEL: return { tunnel: true, udp: false };
    case EncapMode.TRANSPORT: return { tunnel: false, udp: false };
    case EncapMode.UDP_ENCAPSULATED_TUNNEL: case EncapMode.UDP_ENCAPSULATED_TUNNEL_DRAFT: return { tunnel: true, udp: true };
    case EncapMode.UDP_ENCAPSULATED_TRANSPORT: case EncapMode.UDP_ENCAPSULATED_TRANSPORT_DRAFT: return { tunnel: false, udp: true };
    default: return undefined;
  }
}

export type P2Selection =
  | { readonly ok: true; readonly proposal: V1Proposal; readonly transform: V1Transform; readonly choice: P2Choice }
  | { readonly ok: false; readonly reason: string };

/**
 * Responder: first offered ESP transform matching ours, mode included and
 * lifetime free. PFS as in IKEv2: with a KE payload the group must be one
 * the child's esp_proposals list; without one, the child must list none.
 */
export function selectPhase2(offered: readonly V1Proposal[], child: ChildConfig, withKe: boolean): P2Selection {
  const ours = phase2Choices(child, false, withKe ? 'all' : 0);
  for (const p of offered) {
    if (p.protocolId !== V1Protocol.IPSEC_ESP || p.spi.length !== 4) continue;
    // proposals sharing a number are ANDed (e.g. AH+ESP, RFC 2408 §4.2): we only do ESP alone
    if (offered.filter((q) => q.number === p.number).length > 1) continue;
    for (const t of p.transforms) {
      const c = parseP2Transform(t);
      const kind = c === undefined ? undefined : encapKind(c.encapMode);
      if (c === undefined || kind === undefined || kind.tunnel !== (child.mode === 'tunnel')) continue;
      if (withKe !== (c.group !== 0)) continue;
      if (ours.some((o) => o.encrId === c.encrId && o.keyBits === c.keyBits && o.integId === c.integId && o.group === c.group)) {
        return { ok: true, proposal: { ...p, transforms: [t] }, transform: t, choice: c };
      }
    }
  }
  const pfsRequired = child.espProposals.every((p) => p.ke.length > 0);
  const why = !withKe && pfsRequired ? ': PFS is required (KE missing)' : withKe && ours.length === 0 ? ': PFS is not configured' : '';
  return { ok: false, reason: `no acceptable ESP transform for ${child.name}${why} (configured ${child.espProposals.map((p) => p.text).join(', ')})` };
}
