/**
 * Control protocol v1: the request/response documents exchanged over the
 * control socket by the daemon (server.ts) and `keyway` (cli/). The CLI imports
 * only this module (ARCHITECTURE B2, B8), so it re-exports the info shapes.
 *
 * Transport (framing.ts): Unix stream socket; each frame is a 4-byte
 * big-endian length followed by that many bytes of UTF-8 JSON.
 *
 *   request  { v: 1, id, cmd, args }
 *   response { v: 1, id, ok: true, result } | { v: 1, id, ok: false, error: { code, message } }
 *
 * Every incoming document is validated here by hand: the daemon must answer
 * garbage with an error reply, never crash (ARCHITECTURE B5 "untrusted bytes").
 */
import { KeywayError } from '../util/errors.js';
import type {
  AlgorithmInfo,
  ChildSaInfo,
  ConnectionInfo,
  CountersInfo,
  FailureRecord,
  IkeSaInfo,
} from '../ike/info.js';
import type { InitiateResult } from '../ike/engine-api.js';
import type { TeardownRecord } from '../ike/history.js';

export type {
  AlgorithmInfo,
  ChildSaInfo,
  ConnectionInfo,
  CountersInfo,
  FailureRecord,
  IkeSaInfo,
  InitiateResult,
  TeardownRecord,
};

export const PROTOCOL_VERSION = 1;
/** Largest frame body either side accepts (a list-sas of thousands of SAs fits). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Default and ceiling for `initiate` waits. */
export const DEFAULT_INITIATE_TIMEOUT_MS = 30_000;
export const MAX_INITIATE_TIMEOUT_MS = 600_000;

export const COMMANDS = [
  'list-conns',
  'list-sas',
  'initiate',
  'terminate',
  'rekey',
  'reauth',
  'history',
  'stats',
  'failures',
  'reload',
  'flush',
  'version',
] as const;
export type Command = (typeof COMMANDS)[number];

export interface ListSasArgs {
  /** connection name filter */
  readonly ike?: string;
  /** IKE SA unique id filter */
  readonly ikeId?: number;
}
export interface InitiateArgs {
  readonly conn: string;
  readonly child?: string;
  readonly timeoutMs?: number;
}
export type TerminateArgs = { readonly ike: number } | { readonly child: number };
export type NoArgs = Readonly<Record<string, never>>;

export interface CommandArgs {
  'list-conns': NoArgs;
  'list-sas': ListSasArgs;
  initiate: InitiateArgs;
  terminate: TerminateArgs;
  rekey: TerminateArgs;
  reauth: { readonly ike: number };
  history: NoArgs;
  stats: NoArgs;
  failures: NoArgs;
  reload: NoArgs;
  flush: NoArgs;
  version: NoArgs;
}

export interface TerminateResult {
  readonly ok: boolean;
  readonly kind: 'ike' | 'child';
  readonly id: number;
}
export interface ReloadResult {
  readonly ok: boolean;
  readonly errors: readonly string[];
}
/**
 * `flush`: every IKE SA deleted (peers told), trap policies removed, then the
 * dataplane removes whatever this daemon still had installed (docs/cli.md).
 */
export interface FlushResult {
  /** false when the dataplane reported removal errors */
  readonly ok: boolean;
  readonly ikeSas: number;
  readonly childSas: number;
  readonly traps: number;
  /** deletes the peer had not answered yet (they finish in the background) */
  readonly unanswered: number;
  /** the dataplane whose own flush ran (`xfrm`, `memory`; absent for `userspace`, see docs/cli.md) */
  readonly dataplane?: string;
  readonly errors: readonly string[];
}
export interface VersionResult {
  readonly daemon: string;
  readonly protocol: number;
  readonly node: string;
}

export interface CommandResults {
  'list-conns': readonly ConnectionInfo[];
  'list-sas': readonly IkeSaInfo[];
  initiate: InitiateResult;
  terminate: TerminateResult;
  rekey: TerminateResult;
  reauth: TerminateResult;
  history: readonly TeardownRecord[];
  stats: CountersInfo;
  failures: readonly FailureRecord[];
  reload: ReloadResult;
  flush: FlushResult;
  version: VersionResult;
}

export type Request = {
  [C in Command]: { readonly v: 1; readonly id: number; readonly cmd: C; readonly args: CommandArgs[C] };
}[Command];

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
}
export type Response =
  | { readonly v: 1; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly v: 1; readonly id: number; readonly ok: false; readonly error: ErrorBody };

/** Stable error codes (documented in docs/cli.md). */
export type ErrorCode =
  | 'BAD_JSON'
  | 'BAD_REQUEST'
  | 'BAD_VERSION'
  | 'UNKNOWN_COMMAND'
  | 'BAD_ARGS'
  | 'FRAME_TOO_LARGE'
  | 'BUSY'
  | 'TIMEOUT'
  | 'INTERNAL'
  | 'CONNECTION_CLOSED';

/** An error reply from the daemon, or a client-side transport failure. */
export class ControlError extends KeywayError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'ControlError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
function isCommand(v: unknown): v is Command {
  return typeof v === 'string' && (COMMANDS as readonly string[]).includes(v);
}
const MAX_NAME = 256;
function isName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly id: number; readonly error: ErrorBody };

function fail(id: number, code: ErrorCode, message: string): ParseResult<never> {
  return { ok: false, id, error: { code, message } };
}

/** Rejects unknown argument names, so typos are reported rather than ignored. */
function checkKeys(args: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  return Object.keys(args).find((k) => !allowed.includes(k));
}

function parseArgs(id: number, cmd: Command, args: Record<string, unknown>): ParseResult<Request> {
  const ok = (a: unknown): ParseResult<Request> =>
    // The per-command checks below establish that `a` matches CommandArgs[cmd].
    ({ ok: true, value: { v: 1, id, cmd, args: a } as Request });
  const bad = (m: string): ParseResult<never> => fail(id, 'BAD_ARGS', `${cmd}: ${m}`);
  switch (cmd) {
    case 'list-sas': {
      const extra = checkKeys(args, ['ike', 'ikeId']);
      if (extra !== undefined) return bad(`unknown argument "${extra}"`);
      const out: { ike?: string; ikeId?: number } = {};
      if (args['ike'] !== undefined) {
        if (!isName(args['ike'])) return bad('"ike" must be a connection name');
        out.ike = args['ike'];
      }
      if (args['ikeId'] !== undefined) {
        if (!isId(args['ikeId'])) return bad('"ikeId" must be a non-negative integer');
        out.ikeId = args['ikeId'];
      }
      return ok(out);
    }
    case 'initiate': {
      const extra = checkKeys(args, ['conn', 'child', 'timeoutMs']);
      if (extra !== undefined) return bad(`unknown argument "${extra}"`);
      if (!isName(args['conn'])) return bad('"conn" (connection name) is required');
      const out: { conn: string; child?: string; timeoutMs?: number } = { conn: args['conn'] };
      if (args['child'] !== undefined) {
        if (!isName(args['child'])) return bad('"child" must be a child name');
        out.child = args['child'];
      }
      const t = args['timeoutMs'];
      if (t !== undefined) {
        if (!isId(t) || t === 0 || t > MAX_INITIATE_TIMEOUT_MS) {
          return bad(`"timeoutMs" must be an integer in 1..${MAX_INITIATE_TIMEOUT_MS}`);
        }
        out.timeoutMs = t;
      }
      return ok(out);
    }
    case 'reauth': {
      const extra = checkKeys(args, ['ike']);
      if (extra !== undefined) return bad(`unknown argument "${extra}"`);
      const v = args['ike'];
      if (!isId(v)) return bad('"ike" must be a non-negative integer');
      return ok({ ike: v });
    }
    case 'rekey':
    case 'terminate': {
      const extra = checkKeys(args, ['ike', 'child']);
      if (extra !== undefined) return bad(`unknown argument "${extra}"`);
      const hasIke = args['ike'] !== undefined;
      const hasChild = args['child'] !== undefined;
      if (hasIke === hasChild) return bad('exactly one of "ike" or "child" is required');
      const v = hasIke ? args['ike'] : args['child'];
      if (!isId(v)) return bad('the SA id must be a non-negative integer');
      return ok(hasIke ? { ike: v } : { child: v });
    }
    case 'list-conns':
    case 'history':
    case 'stats':
    case 'failures':
    case 'reload':
    case 'flush':
    case 'version': {
      const extra = checkKeys(args, []);
      if (extra !== undefined) return bad(`unknown argument "${extra}"`);
      return ok({});
    }
  }
}

/** Validates a decoded request document. Never throws. */
export function parseRequest(doc: unknown): ParseResult<Request> {
  if (!isRecord(doc)) return fail(0, 'BAD_REQUEST', 'request must be a JSON object');
  const id = isId(doc['id']) ? doc['id'] : 0;
  if (!isId(doc['id'])) return fail(0, 'BAD_REQUEST', '"id" must be a non-negative integer');
  if (doc['v'] !== PROTOCOL_VERSION) {
    return fail(id, 'BAD_VERSION', `unsupported protocol version (this daemon speaks v${PROTOCOL_VERSION})`);
  }
  const cmd = doc['cmd'];
  if (typeof cmd !== 'string') return fail(id, 'BAD_REQUEST', '"cmd" must be a string');
  if (!isCommand(cmd)) {
    return fail(id, 'UNKNOWN_COMMAND', `unknown command "${cmd.slice(0, 64)}"`);
  }
  const args = doc['args'] === undefined ? {} : doc['args'];
  if (!isRecord(args)) return fail(id, 'BAD_REQUEST', '"args" must be an object');
  return parseArgs(id, cmd, args);
}

/**
 * Validates a response document (client side). The result payload is trusted
 * to match the command, since it comes from our own daemon over a 0600 socket.
 */
export function parseResponse(doc: unknown): Response | undefined {
  if (!isRecord(doc) || doc['v'] !== PROTOCOL_VERSION || !isId(doc['id'])) return undefined;
  if (doc['ok'] === true && 'result' in doc) {
    return { v: 1, id: doc['id'], ok: true, result: doc['result'] };
  }
  const err = doc['error'];
  if (doc['ok'] === false && isRecord(err) && typeof err['code'] === 'string' && typeof err['message'] === 'string') {
    // Codes from a newer daemon are passed through as-is.
    return { v: 1, id: doc['id'], ok: false, error: { code: err['code'] as ErrorCode, message: err['message'] } };
  }
  return undefined;
}
