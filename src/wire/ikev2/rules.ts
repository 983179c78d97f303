/**
 * Declarative payload rules per exchange and direction (ARCHITECTURE B1.3,
 * C.2; RFC 7296 §1.2-§1.5 and §2.5). For each (exchange, request|response):
 * which payload types may appear, how many times at most, and in which
 * order we generate them. Required payloads are NOT checked here: an error
 * response carries only a NOTIFY, so the tasks decide what must be present.
 *
 * Encryption: IKE_SA_INIT is all cleartext (no keys yet, §1.2). Every other
 * exchange carries exactly one SK (or SKF, RFC 7383) payload in the clear
 * and everything else inside it (§3.14).
 */
import { ExchangeType, NotifyType, PayloadType } from '../../iana/ikev2.js';
import type { Payload } from './types.js';
import { payloadTypeOf } from './body.js';
import { MAX_NOTIFIES } from './limits.js';

export interface RuleViolation {
  readonly code: string;
  /** the offending payload type (for UNSUPPORTED_CRITICAL_PAYLOAD: its notify data) */
  readonly payloadType: number;
  readonly message: string;
  /** the NotifyType to answer with */
  readonly notify: number;
}

/** One allowed payload type: at most `max` occurrences. Array order = generation order. */
export interface PayloadRule {
  readonly type: number;
  readonly max: number;
}

export interface ExchangeRules {
  /** payloads allowed in the clear, in generation order */
  readonly outer: readonly PayloadRule[];
  /** payloads allowed inside SK, in generation order; null when there is no SK */
  readonly inner: readonly PayloadRule[] | null;
}

const P = PayloadType;
const N = MAX_NOTIFIES;
const V = 64; // vendor IDs
const CERTS = 16; // certificate chain length, incl. CRLs

const ENCRYPTED_OUTER: readonly PayloadRule[] = [
  { type: P.SK, max: 1 },
  { type: P.SKF, max: 1 },
];

function encrypted(inner: readonly PayloadRule[]): ExchangeRules {
  return { outer: ENCRYPTED_OUTER, inner };
}

/** key: `${exchangeType}:${'req' | 'resp'}` */
const TABLE: ReadonlyMap<string, ExchangeRules> = new Map<string, ExchangeRules>([
  // §1.2: HDR, SAi1, KEi, Ni [N(COOKIE) first, §2.6] ... [V+]
  // §2.23: notifies (NAT-D, ...) follow Ni
  ['34:req', { outer: [
    { type: P.SA, max: 1 }, { type: P.KE, max: 1 }, { type: P.NONCE, max: 1 }, { type: P.NOTIFY, max: N },
    { type: P.VENDOR_ID, max: V },
  ], inner: null }],
  // §1.2: HDR, SAr1, KEr, Nr, [CERTREQ] ... [V+]
  ['34:resp', { outer: [
    { type: P.SA, max: 1 }, { type: P.KE, max: 1 }, { type: P.NONCE, max: 1 }, { type: P.NOTIFY, max: N },
    { type: P.CERTREQ, max: CERTS }, { type: P.VENDOR_ID, max: V },
  ], inner: null }],
  // §1.2, §2.16, §3.15: SK {IDi, [CERT+], [N+], [CERTREQ+], [IDr], AUTH, [EAP], [CP], SAi2, TSi, TSr, [V+]}
  ['35:req', encrypted([
    { type: P.IDi, max: 1 }, { type: P.CERT, max: CERTS }, { type: P.NOTIFY, max: N }, { type: P.CERTREQ, max: CERTS },
    { type: P.IDr, max: 1 }, { type: P.AUTH, max: 1 }, { type: P.EAP, max: 1 }, { type: P.CP, max: 1 },
    { type: P.SA, max: 1 }, { type: P.TSi, max: 1 }, { type: P.TSr, max: 1 }, { type: P.VENDOR_ID, max: V },
  ])],
  // §1.2, §2.16: SK {IDr, [CERT+], AUTH, [EAP], [CP], [N+], SAr2, TSi, TSr, [V+]}
  ['35:resp', encrypted([
    { type: P.IDr, max: 1 }, { type: P.CERT, max: CERTS }, { type: P.AUTH, max: 1 }, { type: P.EAP, max: 1 },
    { type: P.CP, max: 1 }, { type: P.NOTIFY, max: N }, { type: P.SA, max: 1 }, { type: P.TSi, max: 1 },
    { type: P.TSr, max: 1 }, { type: P.VENDOR_ID, max: V },
  ])],
  // §1.3: SK {[N(REKEY_SA)], SA, Ni, [KEi], [TSi, TSr]}
  ['36:req', encrypted(childRules())],
  ['36:resp', encrypted(childRules())],
  // §1.4: SK {[N,] [D,] [CP,] ...}
  ['37:req', encrypted(infoRules())],
  ['37:resp', encrypted(infoRules())],
  // RFC 9242 §3 / RFC 9370 §2.2.2: IKE_INTERMEDIATE carries additional KEs and notifies
  ['43:req', encrypted([{ type: P.NOTIFY, max: N }, { type: P.KE, max: 1 }, { type: P.VENDOR_ID, max: V }])],
  ['43:resp', encrypted([{ type: P.NOTIFY, max: N }, { type: P.KE, max: 1 }, { type: P.VENDOR_ID, max: V }])],
]);

function childRules(): readonly PayloadRule[] {
  return [
    { type: P.NOTIFY, max: N }, { type: P.SA, max: 1 }, { type: P.NONCE, max: 1 }, { type: P.KE, max: 1 },
    { type: P.TSi, max: 1 }, { type: P.TSr, max: 1 }, { type: P.VENDOR_ID, max: V },
  ];
}

function infoRules(): readonly PayloadRule[] {
  return [{ type: P.NOTIFY, max: N }, { type: P.DELETE, max: 64 }, { type: P.CP, max: 1 }, { type: P.VENDOR_ID, max: V }];
}

/** The rules for an exchange and direction, or undefined for an exchange we do not handle. */
export function rulesFor(exchangeType: number, isResponse: boolean): ExchangeRules | undefined {
  return TABLE.get(`${exchangeType}:${isResponse ? 'resp' : 'req'}`);
}

function violation(code: string, payloadType: number, message: string, notify: number): RuleViolation {
  return { code, payloadType, message, notify };
}

/** §2.5: unknown payloads with C set are rejected; without C they are skipped. */
function unknownCritical(list: readonly Payload[]): RuleViolation | null {
  for (const p of list) {
    if (p.type === 'unknown' && p.critical) {
      return violation('IKE_ERR_RULE_UNSUPPORTED_CRITICAL', p.rawType,
        `unsupported critical payload type ${p.rawType}`, NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD);
    }
  }
  return null;
}

function checkList(list: readonly Payload[], allowed: readonly PayloadRule[], where: string, ex: number): RuleViolation | null {
  const counts = new Map<number, number>();
  for (const p of list) {
    if (p.type === 'unknown') continue; // non-critical unknown: skipped (§2.5)
    const t = p.type;
    const rule = allowed.find((r) => r.type === t);
    if (rule === undefined) {
      const inner = where === 'inside SK';
      const code = !inner && allowedInside(ex, t) ? 'IKE_ERR_RULE_NOT_ENCRYPTED' : 'IKE_ERR_RULE_NOT_ALLOWED';
      return violation(code, t, `payload ${t} not allowed ${where} in exchange ${ex}`, NotifyType.INVALID_SYNTAX);
    }
    const n = (counts.get(t) ?? 0) + 1;
    counts.set(t, n);
    if (n > rule.max) {
      return violation('IKE_ERR_RULE_TOO_MANY', t, `more than ${rule.max} payloads of type ${t} ${where}`, NotifyType.INVALID_SYNTAX);
    }
  }
  return null;
}

function allowedInside(ex: number, t: number): boolean {
  for (const dir of [false, true]) {
    if (rulesFor(ex, dir)?.inner?.some((r) => r.type === t) === true) return true;
  }
  return false;
}

/**
 * Checks a received message against the table. `outer` is the decoded
 * chain; `inner` the decoded SK plaintext (null if not (yet) decrypted).
 * Returns the first violation, or null.
 */
export function checkRules(
  exchangeType: number,
  isResponse: boolean,
  outer: readonly Payload[],
  inner: readonly Payload[] | null,
): RuleViolation | null {
  const rules = rulesFor(exchangeType, isResponse);
  if (rules === undefined) {
    return violation('IKE_ERR_RULE_UNKNOWN_EXCHANGE', P.NONE, `unsupported exchange type ${exchangeType}`, NotifyType.INVALID_SYNTAX);
  }
  const crit = unknownCritical(outer) ?? (inner === null ? null : unknownCritical(inner));
  if (crit !== null) return crit;
  const outerViolation = checkList(outer, rules.outer, 'in the clear', exchangeType);
  if (outerViolation !== null) return outerViolation;
  if (rules.inner === null) {
    if (inner !== null) {
      return violation('IKE_ERR_RULE_NOT_ALLOWED', P.SK, `exchange ${exchangeType} has no encrypted payload`, NotifyType.INVALID_SYNTAX);
    }
    return null;
  }
  // §3.14: exactly one SK or SKF carries the exchange
  const sealed = outer.filter((p) => p.type === P.SK || p.type === P.SKF).length;
  if (sealed !== 1) {
    return violation(sealed === 0 ? 'IKE_ERR_RULE_SK_MISSING' : 'IKE_ERR_RULE_TOO_MANY', P.SK,
      `exchange ${exchangeType} needs exactly one SK/SKF payload, found ${sealed}`, NotifyType.INVALID_SYNTAX);
  }
  if (inner === null) return null;
  const innerViolation = checkList(inner, rules.inner, 'inside SK', exchangeType);
  if (innerViolation !== null) return innerViolation;
  // §3.10 count cap applies to the whole message
  const notifies = [...outer, ...inner].filter((p) => p.type === P.NOTIFY).length;
  if (notifies > MAX_NOTIFIES) {
    return violation('IKE_ERR_RULE_TOO_MANY', P.NOTIFY, `${notifies} notifies > ${MAX_NOTIFIES}`, NotifyType.INVALID_SYNTAX);
  }
  return null;
}

/**
 * Orders payloads for sending in the table's generation order (stable
 * within a type). Two exceptions come from the RFC: in IKE_SA_INIT a COOKIE
 * notify MUST be first (§2.6), and SK/SKF always goes last (§3.14).
 * Payloads the table does not list keep their relative order, before SK.
 */
export function sortForSending(exchangeType: number, isResponse: boolean, payloads: readonly Payload[]): Payload[] {
  const rules = rulesFor(exchangeType, isResponse);
  const order = [...(rules?.outer ?? []), ...(rules?.inner ?? [])].map((r) => r.type);
  const rank = (p: Payload): number => {
    const t = payloadTypeOf(p);
    if (t === P.SK || t === P.SKF) return 1000;
    if (exchangeType === ExchangeType.IKE_SA_INIT && p.type === P.NOTIFY && p.notifyType === NotifyType.COOKIE) return -1;
    const i = order.indexOf(t);
    return i < 0 ? 999 : i;
  };
  return payloads
    .map((p, i) => ({ p, i, r: rank(p) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.p);
}
