/**
 * AST -> KeywayConfig. Top-level sections: `connections` (validate-conn.ts),
 * `secrets` (swanctl.conf(5) ike-<name> PSKs; rsa/ecdsa/pkcs8/private-<name>
 * private keys, validate-keys.ts) and `daemon` (Keyway's own settings). Every
 * error is collected; a config is returned only when there are none, so nothing
 * is ever half-applied. Secret values never appear in messages. Key files are
 * read through the KeyReader port: this module touches no files.
 */
import { ConfigError } from '../util/errors.js';
import type { ConfigAst, AstKeyValue, AstSection } from './parser.js';
import type { ConnectionConfig, DaemonSettings, IdentitySpec, IkeSecret, KeywayConfig, MetricsListen, PrivateKeySecret } from './model.js';
import { CONN_DEFAULTS, DAEMON_DEFAULTS } from './defaults.js';
import { parseIdentity, identityMatches } from './identity.js';
import { parseIp } from './addr.js';
import { readConnection } from './validate-conn.js';
import { parseDecimal, parseDuration, parseEnum, parseSecret, parseUint, splitList } from './values.js';
import type { Parsed } from './values.js';
import { addError, addWarning, findKv, readSection, scalar, show, valuePos } from './validate-common.js';
import type { Ctx, Field, KeyReader } from './validate-common.js';
import { readKeySecret } from './validate-keys.js';
import type { KeySecrets } from './validate-keys.js';

export interface ValidationResult {
  readonly config?: KeywayConfig;
  readonly errors: ConfigError[];
  readonly warnings: string[];
}

/** RFC 7296 §2.15 does not set a minimum; 8 bytes is a floor against typos, not a strength claim. */
export const MIN_PSK_BYTES = 8;

const nonEmpty = (what: string) => (v: string): Parsed<string> => (v === '' ? { ok: false, expected: what } : { ok: true, value: v });

const listenField: Field<string[]> = (ctx, kv, path) => {
  const out: string[] = [];
  for (const { item, offset } of splitList(kv.value)) {
    if (parseIp(item) === undefined) {
      addError(ctx, kv.valueLine, kv.valueColumn + offset, `invalid address '${show(item)}' in '${path}${kv.key}'`, 'expected IP addresses, e.g. 0.0.0.0, ::, 192.0.2.1');
      return undefined;
    }
    out.push(item);
  }
  return out;
};

const cidrListField: Field<string[]> = (ctx, kv, path) => {
  const out: string[] = [];
  for (const { item, offset } of splitList(kv.value)) {
    const [addr, len, extra] = item.split('/');
    const ip = parseIp(addr ?? '');
    const bits = ip?.length === 16 ? 128 : 32;
    const n = len === undefined ? bits : /^[0-9]{1,3}$/.test(len) ? Number(len) : -1;
    if (ip === undefined || extra !== undefined || n < 0 || n > bits) {
      addError(ctx, kv.valueLine, kv.valueColumn + offset, `invalid address '${show(item)}' in '${path}${kv.key}'`, 'expected addresses with an optional prefix length, e.g. 10.1.0.1/32');
      return undefined;
    }
    out.push(`${addr ?? ''}/${n}`);
  }
  return out;
};

const ifName = (v: string): Parsed<string> =>
  /^[A-Za-z0-9_.-]{1,15}$/.test(v) ? { ok: true, value: v } : { ok: false, expected: 'an interface name of 1-15 letters, digits, _ . -' };

/** A 32-bit unsigned value, decimal or 0x-hex (SPIs and reqids are usually written in hex). */
const u32 = (min: number, max: number) => (v: string): Parsed<number> => {
  const n = /^0x[0-9a-f]{1,8}$/i.test(v) ? Number.parseInt(v.slice(2), 16) : /^[0-9]{1,10}$/.test(v) ? Number(v) : -1;
  const hex = (x: number): string => `0x${x.toString(16)}`;
  return n >= min && n <= max ? { ok: true, value: n } : { ok: false, expected: `a number from ${hex(min)} to ${hex(max)} (decimal or 0x hex)` };
};

/**
 * `metrics = 127.0.0.1:9109` / `[::1]:9109`: the exporter has no authentication, so
 * only an explicit IP address is accepted (no host names, no bare port, no '*');
 * the wildcards 0.0.0.0 and :: must be written out and still draw a warning.
 */
const metricsField: Field<MetricsListen> = (ctx, kv, path) => {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(kv.value);
  const host = m?.[1] ?? m?.[2] ?? '';
  const port = Number(m?.[3] ?? '0');
  if (m === null || parseIp(host) === undefined || port < 1 || port > 65535) {
    addError(ctx, kv.valueLine, kv.valueColumn, `invalid value '${show(kv.value)}' for '${path}${kv.key}'`, 'expected an IP address and a port, e.g. 127.0.0.1:9109 or [::1]:9109 (no host names; 0.0.0.0 or [::] to listen on all addresses)');
    return undefined;
  }
  if (parseIp(host)?.every((b) => b === 0) === true) addWarning(ctx, kv.line, `'${path}${kv.key}' listens on every address: anyone who can reach port ${port} can read connection names and SA counts (docs/metrics.md "Exposure")`);
  return { host, port };
};

const DAEMON_FIELDS = {
  listen: listenField,
  port: scalar((v) => parseUint(v, 1, 65535)),
  nat_port: scalar((v) => parseUint(v, 1, 65535)),
  control_socket: scalar((v): Parsed<string> => (v.startsWith('/') ? { ok: true, value: v } : { ok: false, expected: 'an absolute path' })),
  dataplane: scalar((v) => parseEnum(v, ['memory', 'userspace', 'xfrm'] as const)),
  log_level: scalar((v) => parseEnum(v, ['error', 'warn', 'info', 'debug', 'trace'] as const)),
  keylog: scalar(nonEmpty('a file path')),
  cookie_threshold: scalar((v) => parseUint(v)),
  half_open_limit: scalar((v) => parseUint(v, 1)),
  half_open_timeout: scalar(parseDuration),
  nat_keepalive: scalar(parseDuration),
  retransmit_timeout: scalar((v) => parseDecimal(v, 0.1, 3600)),
  retransmit_base: scalar((v) => parseDecimal(v, 1, 10)),
  retransmit_tries: scalar((v) => parseUint(v, 0, 100)),
  modp_exponent: scalar((v) => parseEnum(v, ['short', 'full'] as const)),
  // Diffie-Hellman worker threads (docs/architecture.md "Performance"); auto = one per core from 2 cores up
  crypto_workers: scalar((v): Parsed<number | 'auto'> => {
    if (v === 'auto') return { ok: true, value: 'auto' };
    const n = parseUint(v, 0, 64);
    return n.ok ? n : { ok: false, expected: `'auto' or ${n.expected}` };
  }),
  // userspace dataplane (docs/userspace.md)
  tun_name: scalar(ifName),
  tun_mtu: scalar((v) => parseUint(v, 576, 65535)),
  tun_addresses: cidrListField,
  // 253-255 are the kernel's default/main/local tables
  route_table: scalar((v) => parseUint(v, 1, 252)),
  // xfrm dataplane (docs/xfrm.md "Ownership"): 0 would tag nothing (strongSwan's reqids start at 1)
  xfrm_reqid_tag: scalar(u32(1, 0xff)),
  // RFC 4303 §2.1: SPIs 1-255 are reserved by IANA, 0 means "no SA"
  xfrm_spi_min: scalar(u32(0x100, 0xffffffff)),
  xfrm_spi_max: scalar(u32(0x100, 0xffffffff)),
  metrics: metricsField,
};

function readDaemon(ctx: Ctx, s: AstSection): DaemonSettings {
  const v = readSection(ctx, s.entries, DAEMON_FIELDS, { path: 'daemon.' });
  const d = DAEMON_DEFAULTS;
  const base: DaemonSettings = {
    listen: v.listen ?? d.listen,
    port: v.port ?? d.port,
    natPort: v.nat_port ?? d.natPort,
    controlSocket: v.control_socket ?? d.controlSocket,
    dataplane: v.dataplane ?? d.dataplane,
    logLevel: v.log_level ?? d.logLevel,
    cookieThreshold: v.cookie_threshold ?? d.cookieThreshold,
    halfOpenLimit: v.half_open_limit ?? d.halfOpenLimit,
    retransmit: {
      timeout: v.retransmit_timeout ?? d.retransmit.timeout,
      base: v.retransmit_base ?? d.retransmit.base,
      tries: v.retransmit_tries ?? d.retransmit.tries,
    },
    halfOpenTimeout: v.half_open_timeout ?? d.halfOpenTimeout,
    natKeepalive: v.nat_keepalive ?? d.natKeepalive,
    modpExponent: v.modp_exponent ?? d.modpExponent,
  };
  const spiMax = findKv(s.entries, 'xfrm_spi_max');
  if ((v.xfrm_spi_min ?? 0x100) > (v.xfrm_spi_max ?? 0xffffffff) && spiMax !== undefined) {
    addError(ctx, spiMax.valueLine, spiMax.valueColumn, `'daemon.xfrm_spi_max' is below 'daemon.xfrm_spi_min'`, 'the SPI range must not be empty');
  }
  return {
    ...base,
    ...(v.keylog !== undefined ? { keyLog: v.keylog } : {}),
    ...(v.crypto_workers !== undefined ? { cryptoWorkers: v.crypto_workers } : {}),
    ...(v.tun_name !== undefined ? { tunName: v.tun_name } : {}),
    ...(v.tun_mtu !== undefined ? { tunMtu: v.tun_mtu } : {}),
    ...(v.tun_addresses !== undefined ? { tunAddresses: v.tun_addresses } : {}),
    ...(v.route_table !== undefined ? { routeTable: v.route_table } : {}),
    ...(v.xfrm_reqid_tag !== undefined ? { xfrmReqidTag: v.xfrm_reqid_tag } : {}),
    ...(v.xfrm_spi_min !== undefined ? { xfrmSpiMin: v.xfrm_spi_min } : {}),
    ...(v.xfrm_spi_max !== undefined ? { xfrmSpiMax: v.xfrm_spi_max } : {}),
    ...(v.metrics !== undefined ? { metrics: v.metrics } : {}),
  };
}

const SECRET_UNSUPPORTED = /^(eap|xauth|ntlm|pkey|token|ppk)/;
const KEY_SECRET = /^(rsa|ecdsa|pkcs8|private)/;

function readIkeSecret(ctx: Ctx, s: AstSection): IkeSecret | undefined {
  const path = `secrets.${s.name}.`;
  const ids: IdentitySpec[] = [];
  let secret: Uint8Array | undefined;
  let secretKv: AstKeyValue | undefined;
  readSection(ctx, s.entries, {}, {
    path,
    prefixed: (kv) => {
      if (kv.key === 'secret') {
        secretKv = kv;
        // never echo the value: the message names only the key and the expected form
        const r = parseSecret(kv.value, kv.quoted);
        if (r.ok) secret = r.value;
        else addError(ctx, kv.valueLine, kv.valueColumn, `invalid value for '${path}secret' (not shown)`, `expected ${r.expected}, or a quoted string`);
        return true;
      }
      if (/^id([-_.].*|[0-9]*)$/.test(kv.key)) {
        try {
          ids.push(parseIdentity(kv.value, valuePos(ctx, kv)));
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          // the identity text is not shown here: a mangled secrets block could put secret material in it
          addError(ctx, e.line, e.column, `invalid identity for '${path}${kv.key}' (value not shown inside secrets)`, e.hint);
        }
        return true;
      }
      return false;
    },
  });
  if (secretKv === undefined) {
    addError(ctx, s.line, s.column, `'${path}secret' is missing`, 'add secret = "..." (quoted), 0x<hex> or 0s<base64>');
    return undefined;
  }
  if (secret === undefined) return undefined;
  if (secret.length === 0) {
    addError(ctx, secretKv.line, secretKv.column, `'${path}secret' is empty`, 'use a long random secret');
    return undefined;
  }
  if (secret.length < MIN_PSK_BYTES) {
    addWarning(ctx, secretKv.line, `'${path}secret' is shorter than ${MIN_PSK_BYTES} bytes; a short PSK can be brute-forced offline from one captured IKE_AUTH (RFC 7296 §2.15)`);
  }
  return { ids, secret, name: s.name, line: s.line };
}

interface Secrets extends KeySecrets {
  readonly ike: IkeSecret[];
}

function readSecrets(ctx: Ctx, s: AstSection): Secrets {
  const ike: IkeSecret[] = [];
  const keys: PrivateKeySecret[] = [];
  let failed = false;
  readSection(ctx, s.entries, {}, {
    path: 'secrets.',
    sectionNames: 'ike-<name>, rsa-<name>, ecdsa-<name>, pkcs8-<name>, private-<name>',
    section: (sub) => {
      if (/^ike/i.test(sub.name)) {
        const sec = readIkeSecret(ctx, sub);
        if (sec !== undefined) ike.push(sec);
        return true;
      }
      const kind = KEY_SECRET.exec(sub.name)?.[1];
      if (kind === 'rsa' || kind === 'ecdsa' || kind === 'pkcs8' || kind === 'private') {
        const key = readKeySecret(ctx, sub, kind);
        if (key !== undefined) keys.push(key);
        else failed = true;
        return true;
      }
      if (sub.name.startsWith('pkcs12')) {
        addError(ctx, sub.line, sub.column, `secret type 'pkcs12' is not supported yet`, 'convert the container: openssl pkcs12 -in x.p12 -nocerts -out key.pem, then load it with pkcs8-<name> { file = key.pem  secret = ... }');
        return true;
      }
      const unsupported = SECRET_UNSUPPORTED.exec(sub.name);
      if (unsupported !== null) {
        addError(ctx, sub.line, sub.column, `secret type '${unsupported[1] ?? ''}' is not supported yet`, 'implemented: ike-<name> (pre-shared keys) and rsa-, ecdsa-, pkcs8-, private-<name> (private key files)');
        return true;
      }
      return false;
    },
  });
  return { ike, keys, failed };
}

/** Could this secret be selected for the connection? (strongSwan matches it against both IDs.) */
function secretCouldMatch(sec: IkeSecret, conn: ConnectionConfig): boolean {
  if (sec.ids.length === 0) return true;
  const ids = [...conn.local, ...conn.remote].map((a) => a.id);
  // an unset ID is the IP address (local) or %any (remote): any IP ID could match then
  return sec.ids.some(
    (sid) =>
      sid.any ||
      ids.some((cid) => (cid === undefined ? sid.type === 1 || sid.type === 5 : cid.any || identityMatches(sid, cid.type, cid.data) || identityMatches(cid, sid.type, sid.data))),
  );
}

export function validateConfig(ast: ConfigAst, file: string, keys: KeyReader): ValidationResult {
  const ctx: Ctx = { file, errors: [], warnings: [], keys };
  let daemon: DaemonSettings = DAEMON_DEFAULTS;
  const connections: ConnectionConfig[] = [];
  // secrets first: local auth = pubkey rounds pick their private key from them, wherever the section is
  const secretsSection = ast.entries.find((e): e is AstSection => e.kind === 'section' && e.name === 'secrets');
  const secrets: Secrets = secretsSection === undefined ? { ike: [], keys: [], failed: false } : readSecrets(ctx, secretsSection);
  readSection(ctx, ast.entries, {}, {
    path: '',
    unsupported: ['authorities', 'pools'],
    sectionNames: 'connections, secrets, daemon',
    section: (s) => {
      if (s.name === 'daemon') daemon = readDaemon(ctx, s);
      else if (s.name === 'secrets') return s === secretsSection;
      else if (s.name === 'connections') {
        for (const c of s.entries) {
          if (c.kind === 'section') connections.push(readConnection(ctx, c, secrets));
          else addError(ctx, c.line, c.column, `'connections.${show(c.key)}': only connection sections are allowed here`, 'write connections { name { ... } }');
        }
      } else return false;
      return true;
    },
  });
  for (const conn of connections) {
    const usesPsk = [...conn.local, ...conn.remote].some((a) => a.method === 'psk');
    if (usesPsk && !secrets.ike.some((s) => secretCouldMatch(s, conn))) {
      addWarning(ctx, conn.line, `connection '${conn.name}' uses auth = psk but no ike secret matches its identities`);
    }
    // one IKE socket pair serves every connection (daemon { port / nat_port }): a different local_port is not honoured
    if (conn.localPort !== CONN_DEFAULTS.localPort && conn.localPort !== daemon.port && conn.localPort !== daemon.natPort) {
      addWarning(ctx, conn.line, `connection '${conn.name}' sets local_port = ${conn.localPort}, but Keyway sends and listens on daemon { port = ${daemon.port} } (and nat_port ${daemon.natPort}); local_port is ignored`);
    }
  }
  if (ctx.errors.length > 0) return { errors: ctx.errors, warnings: ctx.warnings };
  return { config: { file, daemon, connections, secrets: secrets.ike, privateKeys: secrets.keys }, errors: [], warnings: ctx.warnings };
}
