/**
 * strongSwan proposal strings -> ProposalSpec (RFC 7296 §3.3).
 *
 *   proposals := proposal ("," proposal)*
 *   proposal  := "default" | keyword ("-" keyword)*
 *
 * Each keyword names one transform (proposal-keywords.ts); within a proposal the
 * alternatives of one transform type are kept in the order written (RFC 7296
 * §3.3.6: the responder picks one of each type).
 *
 * Rules (strongSwan semantics unless noted):
 *   IKE: encryption required; integrity required unless every cipher is AEAD;
 *        no prf keyword -> PRFs derived from the integrity algorithms
 *        (sha256 -> prfsha256, ...); an all-AEAD proposal has no integrity to
 *        derive from, so it needs an explicit prf keyword; at least one KE
 *        method; "null" and esn/noesn are not allowed.
 *   ESP: encryption required; integrity required unless AEAD; prf not allowed;
 *        KE optional (= PFS for CREATE_CHILD_SA, RFC 7296 §1.3.1); ESN
 *        defaults to noesn.
 *   Both (Keyway, stricter than strongSwan): AEAD and non-AEAD ciphers may not
 *        be mixed in one proposal (RFC 5282 §8 needs different integrity
 *        transforms for them; write two proposals), and integrity keywords next
 *        to an AEAD cipher are an error instead of being silently dropped.
 */
import { ConfigError } from '../util/errors.js';
import { EsnId } from '../iana/ikev2.js';
import type { ProposalSpec, TransformChoice } from './model.js';
import { PRF_FOR_INTEG, keywordFor, keywordsOfType, lookupKeyword } from './proposal-keywords.js';
import type { Keyword } from './proposal-keywords.js';

export type ProposalKind = 'ike' | 'esp';

export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Caps against absurd inputs: strongSwan itself has no such limits. */
const MAX_PROPOSALS = 32;
const MAX_KEYWORDS = 64;

/*
 * Our defaults (docs/config.md "Proposal defaults"): AEAD first (one pass, no
 * separate MAC key), CBC+HMAC as the fallback that every peer supports; no
 * 3DES, no SHA-1, no MODP below 3072 (RFC 8247 §2.1, §2.4: SHOULD NOT / MUST NOT).
 */
const DEFAULT_IKE = [
  'aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-prfsha384-x25519-ecp256-modp3072',
  'aes256-aes128-sha256-sha384-x25519-ecp256-modp3072',
];
const DEFAULT_ESP = ['aes128gcm16-aes256gcm16-chacha20poly1305', 'aes128-aes256-sha256-sha384'];

const HERE: SourcePos = { file: '<defaults>', line: 0, column: 0 };

export function defaultIkeProposals(): ProposalSpec[] {
  return DEFAULT_IKE.map((t) => parseOne(t, 'ike', HERE, 0));
}

export function defaultEspProposals(): ProposalSpec[] {
  return DEFAULT_ESP.map((t) => parseOne(t, 'esp', HERE, 0));
}

/** Parse a comma-separated list of proposals; throws ConfigError on the first problem. */
export function parseProposals(text: string, kind: ProposalKind, where: SourcePos): ProposalSpec[] {
  const parts = text.split(',');
  if (parts.length > MAX_PROPOSALS) {
    throw new ConfigError(`more than ${MAX_PROPOSALS} proposals`, where.file, where.line, where.column);
  }
  const out: ProposalSpec[] = [];
  let offset = 0;
  for (const raw of parts) {
    const lead = raw.length - raw.trimStart().length;
    const t = raw.trim();
    if (t === '') {
      throw new ConfigError('empty proposal', where.file, where.line, where.column + offset, `write e.g. "${DEFAULT_IKE[1] ?? ''}"`);
    }
    if (t.toLowerCase() === 'default') {
      out.push(...(kind === 'ike' ? defaultIkeProposals() : defaultEspProposals()));
    } else {
      out.push(parseOne(t, kind, where, offset + lead));
    }
    offset += raw.length + 1;
  }
  return out;
}

function validList(type: Keyword['type'], kind: ProposalKind): string {
  let words = keywordsOfType(type);
  if (kind === 'ike' && type === 'encr') words = words.filter((w) => w !== 'null');
  return words.join(' ');
}

function parseOne(text: string, kind: ProposalKind, where: SourcePos, offset: number): ProposalSpec {
  const words = text.split('-');
  const fail = (msg: string, col: number, hint?: string): ConfigError =>
    new ConfigError(msg, where.file, where.line, where.column + col, hint);
  if (words.length > MAX_KEYWORDS) throw fail(`proposal has more than ${MAX_KEYWORDS} keywords`, offset);

  const encr: TransformChoice[] = [];
  const integ: number[] = [];
  const prf: number[] = [];
  const ke: number[] = [];
  const esn: number[] = [];
  let aead = 0;
  let nonAead = 0;
  let firstInteg = '';
  let col = offset;
  const push = (list: number[], id: number): void => {
    if (!list.includes(id)) list.push(id);
  };
  for (const w of words) {
    const kw = lookupKeyword(w);
    const shown = w.slice(0, 40);
    if (kw === undefined) {
      throw fail(
        `unknown ${kind.toUpperCase()} proposal keyword '${shown}' in '${text.slice(0, 120)}'`,
        col,
        `valid keywords: encryption ${validList('encr', kind)}; integrity ${validList('integ', kind)}; ` +
          (kind === 'ike' ? `prf ${validList('prf', kind)}; ` : '') +
          `key exchange ${validList('ke', kind)}` +
          (kind === 'esp' ? `; esn noesn` : ''),
      );
    }
    switch (kw.type) {
      case 'encr':
        if (kw.espOnly === true && kind === 'ike') {
          throw fail(`'${shown}' encryption is only allowed in ESP proposals`, col, `valid: ${validList('encr', kind)}`);
        }
        if (kw.aead) aead++;
        else nonAead++;
        if (!encr.some((e) => e.id === kw.id && e.keyBits === kw.keyBits)) {
          encr.push(kw.keyBits === undefined ? { id: kw.id } : { id: kw.id, keyBits: kw.keyBits });
        }
        break;
      case 'integ':
        if (firstInteg === '') firstInteg = shown;
        push(integ, kw.id);
        break;
      case 'prf':
        if (kind === 'esp') throw fail(`'${shown}' (a PRF) is not allowed in ESP proposals`, col, 'PRFs are negotiated for IKE only; remove it');
        push(prf, kw.id);
        break;
      case 'ke':
        push(ke, kw.id);
        break;
      case 'esn':
        if (kind === 'ike') throw fail(`'${shown}' is only allowed in ESP proposals`, col, 'extended sequence numbers apply to ESP only');
        push(esn, kw.id);
        break;
    }
    col += w.length + 1;
  }

  const at = (hint: string, msg: string): ConfigError => fail(`${msg} in '${text.slice(0, 120)}'`, offset, hint);
  if (encr.length === 0) throw at(`add one of: ${validList('encr', kind)}`, 'proposal has no encryption algorithm');
  if (aead > 0 && nonAead > 0) {
    throw at('write AEAD and non-AEAD ciphers as two proposals separated by a comma', 'proposal mixes AEAD (gcm/chacha20poly1305) and non-AEAD encryption');
  }
  if (aead > 0 && integ.length > 0) {
    throw at(
      kind === 'ike' ? `drop '${firstInteg}'; choose the PRF with a prf keyword, e.g. prfsha256` : `drop '${firstInteg}'`,
      `integrity algorithm '${firstInteg}' cannot be combined with AEAD encryption`,
    );
  }
  if (nonAead > 0 && integ.length === 0) {
    throw at(`add one of: ${validList('integ', kind)}`, 'proposal with non-AEAD encryption needs an integrity algorithm');
  }
  if (kind === 'ike') {
    if (prf.length === 0) {
      if (aead > 0) throw at('e.g. add prfsha256', 'AEAD proposal needs a prf keyword, e.g. prfsha256');
      // strongSwan: without a prf keyword the PRFs follow the integrity algorithms
      for (const i of integ) {
        const p = PRF_FOR_INTEG.get(i);
        if (p !== undefined) push(prf, p);
      }
    }
    if (ke.length === 0) throw at('add e.g. x25519, ecp256 or modp3072', 'IKE proposal needs at least one key exchange method');
  } else if (esn.length === 0) {
    esn.push(EsnId.NO_ESN);
  }
  return { text, encr, prf, integ, ke, esn };
}

/** Canonical keyword form, e.g. "aes128gcm16-prfsha256-x25519". Parses back to the same spec. */
export function formatProposal(spec: ProposalSpec): string {
  const words: string[] = [];
  for (const e of spec.encr) words.push(keywordFor('encr', e.id, e.keyBits));
  for (const i of spec.integ) words.push(keywordFor('integ', i));
  for (const p of spec.prf) words.push(keywordFor('prf', p));
  for (const k of spec.ke) words.push(keywordFor('ke', k));
  // [NO_ESN] is the default and not worth printing
  if (!(spec.esn.length === 1 && spec.esn[0] === EsnId.NO_ESN)) {
    for (const e of spec.esn) words.push(keywordFor('esn', e));
  }
  return words.join('-');
}
