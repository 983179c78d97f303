/**
 * swanctl.conf `connections { <name> { ... } }` -> ConnectionConfig.
 * Key names, meanings and defaults follow swanctl.conf(5) (strongSwan 5.9);
 * see docs/config.md for the reference.
 */
import type { AstEntry, AstSection } from './parser.js';
import type { AuthMethodName, AuthSpec, ChildConfig, ConnectionConfig, IdentitySpec, ProposalSpec, TsSpec } from './model.js';
import { CHILD_DEFAULTS, CONN_DEFAULTS, childLimits, ikeLifetimes } from './defaults.js';
import { defaultEspProposals, defaultIkeProposals, parseProposals } from './proposals.js';
import { parseIdentity } from './identity.js';
import { parseTs } from './ts.js';
import { parseIp } from './addr.js';
import { parseBool, parseBytes, parseDuration, parseEnum, parseUint, splitList } from './values.js';
import type { Parsed } from './values.js';
import { addError, collect, findKv, readSection, scalar, show, valuePos } from './validate-common.js';
import type { Ctx, Field } from './validate-common.js';
import { privateKeyField, pubkeysField, resolveLocalKey } from './validate-keys.js';
import type { KeySecrets } from './validate-keys.js';

const proposalsField = (kind: 'ike' | 'esp'): Field<ProposalSpec[]> => (ctx, kv) =>
  collect(ctx, () => parseProposals(kv.value, kind, valuePos(ctx, kv)));

const tsField: Field<TsSpec[]> = (ctx, kv, path) => {
  const out: TsSpec[] = [];
  let failed = false;
  for (const { item, offset } of splitList(kv.value)) {
    if (item === '') {
      addError(ctx, kv.valueLine, kv.valueColumn, `empty traffic selector in '${path}${kv.key}'`, 'write e.g. 10.1.0.0/16 or dynamic');
      failed = true;
      continue;
    }
    const ts = collect(ctx, () => parseTs(item, valuePos(ctx, kv, offset)));
    if (ts === undefined) failed = true;
    else out.push(ts);
  }
  return failed ? undefined : out;
};

/** local_addrs/remote_addrs items: %any, an IP, subnet, range or DNS name (resolved later). */
function parseAddrItem(v: string): boolean {
  if (v === '%any' || v === '%any4' || v === '%any6') return true;
  const slash = v.indexOf('/');
  if (slash !== -1) return parseIp(v.slice(0, slash)) !== undefined && /^[0-9]{1,3}$/.test(v.slice(slash + 1));
  const dash = v.indexOf('-');
  if (dash !== -1 && parseIp(v.slice(0, dash)) !== undefined) return parseIp(v.slice(dash + 1)) !== undefined;
  if (parseIp(v) !== undefined) return true;
  return v.length <= 253 && /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(v);
}

const addrsField: Field<string[]> = (ctx, kv, path) => {
  const out: string[] = [];
  for (const { item, offset } of splitList(kv.value)) {
    if (!parseAddrItem(item)) {
      addError(ctx, kv.valueLine, kv.valueColumn + offset, `invalid address '${show(item)}' in '${path}${kv.key}'`, 'expected %any, an IP address, a subnet (10.0.0.0/8), a range (10.0.0.1-10.0.0.9) or a DNS name');
      return undefined;
    }
    out.push(item);
  }
  return out;
};

const durationField = scalar(parseDuration);
const bytesField = scalar(parseBytes);
const uintField = scalar((v) => parseUint(v));
const portField = scalar((v) => parseUint(v, 1, 65535));

/** Accept strongSwan 5.9 and 6.0 spellings; map the old ones to the new model names. */
function aliasEnum<T extends string>(allowed: readonly T[], aliases: Readonly<Record<string, T>>, unsupported: readonly string[] = []): Field<T> {
  return scalar((v): Parsed<T> => {
    const t = v.toLowerCase();
    const alias = aliases[t];
    if (alias !== undefined) return { ok: true, value: alias };
    if (unsupported.includes(t)) return { ok: false, expected: `one of: ${allowed.join(', ')} ('${t}' is not supported yet)` };
    return parseEnum(t, allowed);
  });
}

const CONN_FIELDS = {
  version: scalar((v) => parseUint(v, 0, 2)),
  local_addrs: addrsField,
  remote_addrs: addrsField,
  local_port: portField,
  remote_port: portField,
  proposals: proposalsField('ike'),
  encap: scalar(parseBool),
  mobike: scalar(parseBool),
  fragmentation: scalar((v) => parseEnum(v, ['yes', 'no', 'accept', 'force'] as const)),
  dpd_delay: durationField,
  dpd_timeout: durationField,
  rekey_time: durationField,
  reauth_time: durationField,
  over_time: durationField,
  rand_time: durationField,
  keyingtries: uintField,
  unique: scalar((v) => parseEnum(v, ['no', 'never', 'keep', 'replace'] as const)),
  send_certreq: scalar(parseBool),
  // IKEv1 phase 1 mode (docs/ikev1.md): off unless `yes`
  aggressive: scalar(parseBool),
};
const CONN_UNSUPPORTED = [
  'vips', 'pools', 'send_cert', 'ppk_id', 'ppk_required', 'pull', 'dscp', 'childless',
  'if_id_in', 'if_id_out', 'mediation', 'mediated_by', 'mediation_peer', 'ocsp',
];

const AUTH_UNSUPPORTED = [
  'certs', 'ca_id', 'eap_id', 'aaa_id', 'xauth_id', 'revocation', 'groups', 'cert_policy',
  'cacerts', 'round', 'cert', 'cacert',
];

function parseAuth(v: string): Parsed<AuthMethodName> {
  const t = v.toLowerCase();
  if (t === 'psk' || t === 'null') return { ok: true, value: t };
  if (['pubkey', 'rsa', 'ecdsa', 'ed25519', 'ed448'].includes(t)) return { ok: true, value: 'pubkey' };
  if (t === 'eap' || /^eap-[a-z0-9-]+$/.test(t)) return { ok: true, value: 'eap' };
  if (t.startsWith('xauth') || /^(pubkey|rsa|ecdsa|ed25519|ed448)[-/]/.test(t)) {
    return { ok: false, expected: `psk, pubkey, eap[-type] or null ('${show(t)}' is not supported yet)` };
  }
  return { ok: false, expected: 'psk, pubkey, eap[-type] or null' };
}

const identityField: Field<IdentitySpec> = (ctx, kv) => collect(ctx, () => parseIdentity(kv.value, valuePos(ctx, kv)));

function readAuth(ctx: Ctx, s: AstSection, path: string, secrets: KeySecrets, ikeVersion: number | undefined): AuthSpec {
  const local = s.name.startsWith('local');
  const pubkeys = pubkeysField({ remote: !local, ikeVersion });
  const v = readSection(ctx, s.entries, { auth: scalar(parseAuth), id: identityField, pubkeys, private_key: privateKeyField }, {
    path: `${path}${s.name}.`,
    unsupported: AUTH_UNSUPPORTED,
    section: (sub) => {
      if (/^(cert|cacert|pubkey)/.test(sub.name)) {
        addError(ctx, sub.line, sub.column, `section '${path}${s.name}.${sub.name}' is not supported yet`, 'certificates are not implemented yet; use auth = psk');
        return true;
      }
      return false;
    },
  });
  const method = v.auth ?? CONN_DEFAULTS.auth;
  const kv = findKv(s.entries, 'private_key');
  if (kv !== undefined && !local) {
    addError(ctx, kv.line, kv.column, `'${path}${s.name}.private_key' belongs in a local section`, 'our private key goes in local { }; the peer\'s public key in remote { pubkeys = ... }');
  }
  const privateKey = local && method === 'pubkey'
    ? resolveLocalKey(ctx, s, path, { pubkeys: v.pubkeys, privateKey: v.private_key }, secrets, ikeVersion)
    : undefined;
  return {
    method,
    ...(v.id === undefined ? {} : { id: v.id }),
    ...(v.pubkeys === undefined ? {} : { pubkeys: v.pubkeys }),
    ...(privateKey === undefined ? {} : { privateKey }),
  };
}

const CHILD_FIELDS = {
  local_ts: tsField,
  remote_ts: tsField,
  esp_proposals: proposalsField('esp'),
  mode: aliasEnum(['tunnel', 'transport'] as const, {}, ['pass', 'drop', 'beet']),
  start_action: aliasEnum(['none', 'trap', 'start'] as const, { route: 'trap' }),
  close_action: aliasEnum(['none', 'trap', 'start'] as const, { clear: 'none', hold: 'trap', restart: 'start' }),
  dpd_action: aliasEnum(['clear', 'trap', 'restart'] as const, { none: 'clear', hold: 'trap' }),
  rekey_time: durationField,
  life_time: durationField,
  rand_time: durationField,
  rekey_bytes: bytesField,
  life_bytes: bytesField,
  rand_bytes: bytesField,
  rekey_packets: uintField,
  life_packets: uintField,
  rand_packets: uintField,
  replay_window: scalar((v) => parseUint(v, 0, 2 ** 32 - 1)),
};
const CHILD_UNSUPPORTED = [
  'updown', 'ah_proposals', 'hostaccess', 'policies', 'policies_fwd_out', 'set_mark_in', 'set_mark_out',
  'mark_in', 'mark_out', 'mark_in_sa', 'if_id_in', 'if_id_out', 'label', 'label_mode', 'tfc_padding',
  'ipcomp', 'inactivity', 'reqid', 'priority', 'interface', 'sha256_96', 'copy_df', 'copy_ecn',
  'copy_dscp', 'hw_offload', 'per_cpu_sas', 'updown_args',
];

/** life must exceed rekey when both are set explicitly (otherwise rekeying never happens). */
function checkLimits(ctx: Ctx, entries: readonly AstEntry[], path: string, kind: string, rekey: number, life: number | undefined): void {
  if (life === undefined || rekey === 0 || life > rekey) return;
  const kv = findKv(entries, `life_${kind}`);
  addError(ctx, kv?.line ?? 1, kv?.column ?? 1, `'${path}life_${kind}' (${life}) must be greater than rekey_${kind} (${rekey})`, `raise life_${kind} or lower rekey_${kind}`);
}

function readChild(ctx: Ctx, s: AstSection, path: string): ChildConfig {
  const p = `${path}${s.name}.`;
  const v = readSection(ctx, s.entries, CHILD_FIELDS, { path: p, unsupported: CHILD_UNSUPPORTED });
  const rekeyTime = v.rekey_time ?? CHILD_DEFAULTS.rekeyTime;
  const rekeyBytes = v.rekey_bytes ?? CHILD_DEFAULTS.rekeyBytes;
  const rekeyPackets = v.rekey_packets ?? CHILD_DEFAULTS.rekeyPackets;
  checkLimits(ctx, s.entries, p, 'time', rekeyTime, v.life_time);
  checkLimits(ctx, s.entries, p, 'bytes', rekeyBytes, v.life_bytes);
  checkLimits(ctx, s.entries, p, 'packets', rekeyPackets, v.life_packets);
  const time = childLimits(rekeyTime, v.life_time, v.rand_time);
  const bytes = childLimits(rekeyBytes, v.life_bytes, v.rand_bytes);
  const packets = childLimits(rekeyPackets, v.life_packets, v.rand_packets);
  const dyn = (t: string): TsSpec[] => [parseTs(t, { file: ctx.file, line: s.line, column: s.column })];
  return {
    name: s.name,
    localTs: v.local_ts ?? dyn(CHILD_DEFAULTS.localTs),
    remoteTs: v.remote_ts ?? dyn(CHILD_DEFAULTS.remoteTs),
    espProposals: v.esp_proposals ?? defaultEspProposals(),
    mode: v.mode ?? CHILD_DEFAULTS.mode,
    startAction: v.start_action ?? CHILD_DEFAULTS.startAction,
    closeAction: v.close_action ?? CHILD_DEFAULTS.closeAction,
    dpdAction: v.dpd_action ?? CHILD_DEFAULTS.dpdAction,
    rekeyTime,
    lifeTime: time.life,
    randTime: time.rand,
    rekeyBytes,
    lifeBytes: bytes.life,
    randBytes: bytes.rand,
    rekeyPackets,
    lifePackets: packets.life,
    randPackets: packets.rand,
    replayWindow: v.replay_window ?? CHILD_DEFAULTS.replayWindow,
    line: s.line,
  };
}

/**
 * start_action = start initiates at load time, which needs a concrete peer
 * address: strongSwan fails at runtime with %any, we refuse at load time.
 */
function checkInitiable(ctx: Ctx, path: string, remoteAddrs: readonly string[], children: readonly ChildConfig[], sections: readonly AstSection[]): void {
  const first = remoteAddrs[0] ?? '%any';
  const dash = first.indexOf('-');
  const isRange = dash !== -1 && parseIp(first.slice(0, dash)) !== undefined;
  // an IP address or a DNS name is one peer; %any, subnets and ranges are not
  if (!first.startsWith('%') && !first.includes('/') && !isRange) return;
  children.forEach((c, i) => {
    if (c.startAction !== 'start') return;
    const kv = findKv(sections[i]?.entries ?? [], 'start_action');
    addError(
      ctx,
      kv?.line ?? c.line,
      kv?.column ?? 1,
      `'${path}children.${c.name}.start_action' is start, but remote_addrs is '${show(first)}' (no single peer to initiate to)`,
      'set remote_addrs to the peer\'s address or DNS name, or use start_action = trap or none',
    );
  });
}

/** One `connections.<name>` section. */
export function readConnection(ctx: Ctx, s: AstSection, secrets: KeySecrets): ConnectionConfig {
  const path = `connections.${s.name}.`;
  // the key checks of the auth rounds depend on the IKE version (read properly below)
  const ikeVersion = Number(findKv(s.entries, 'version')?.value ?? CONN_DEFAULTS.version);
  const local: AuthSpec[] = [];
  const remote: AuthSpec[] = [];
  const children: ChildConfig[] = [];
  const childSections: AstSection[] = [];
  const v = readSection(ctx, s.entries, CONN_FIELDS, {
    path,
    unsupported: CONN_UNSUPPORTED,
    sectionNames: 'local, local-<name>, remote, remote-<name>, children',
    section: (sub) => {
      if (/^local([-_.]?[A-Za-z0-9_-]*)$/.test(sub.name)) local.push(readAuth(ctx, sub, path, secrets, ikeVersion));
      else if (/^remote([-_.]?[A-Za-z0-9_-]*)$/.test(sub.name)) remote.push(readAuth(ctx, sub, path, secrets, ikeVersion));
      else if (sub.name === 'children') {
        for (const c of sub.entries) {
          if (c.kind === 'section') {
            children.push(readChild(ctx, c, `${path}children.`));
            childSections.push(c);
          }
          else addError(ctx, c.line, c.column, `'${path}children.${show(c.key)}': only CHILD_SA sections are allowed in children`, 'write children { name { local_ts = ... } }');
        }
      } else return false;
      return true;
    },
  });
  if (local.length === 0) addError(ctx, s.line, s.column, `connection '${s.name}' has no local section`, 'add local { auth = psk  id = ... }');
  if (remote.length === 0) addError(ctx, s.line, s.column, `connection '${s.name}' has no remote section`, 'add remote { auth = psk  id = ... }');
  const rekeyTime = v.rekey_time ?? CONN_DEFAULTS.rekeyTime;
  const reauthTime = v.reauth_time ?? CONN_DEFAULTS.reauthTime;
  const life = ikeLifetimes(rekeyTime, reauthTime, v.over_time, v.rand_time);
  const version = v.version ?? CONN_DEFAULTS.version;
  const remoteAddrs = v.remote_addrs ?? [...CONN_DEFAULTS.remoteAddrs];
  checkInitiable(ctx, path, remoteAddrs, children, childSections);
  return {
    name: s.name,
    version: version === 1 ? 1 : version === 2 ? 2 : 0,
    localAddrs: v.local_addrs ?? [...CONN_DEFAULTS.localAddrs],
    remoteAddrs,
    localPort: v.local_port ?? CONN_DEFAULTS.localPort,
    remotePort: v.remote_port ?? CONN_DEFAULTS.remotePort,
    proposals: v.proposals ?? defaultIkeProposals(),
    local,
    remote,
    children,
    encap: v.encap ?? CONN_DEFAULTS.encap,
    mobike: v.mobike ?? CONN_DEFAULTS.mobike,
    fragmentation: v.fragmentation ?? CONN_DEFAULTS.fragmentation,
    dpdDelay: v.dpd_delay ?? CONN_DEFAULTS.dpdDelay,
    dpdTimeout: v.dpd_timeout ?? CONN_DEFAULTS.dpdTimeout,
    rekeyTime,
    reauthTime,
    overTime: life.overTime,
    randTime: life.randTime,
    keyingtries: v.keyingtries ?? CONN_DEFAULTS.keyingtries,
    unique: v.unique ?? CONN_DEFAULTS.unique,
    sendCertreq: v.send_certreq ?? CONN_DEFAULTS.sendCertreq,
    ...(v.aggressive === true ? { aggressive: true } : {}),
    line: s.line,
  };
}
