/**
 * Control server: a Unix stream socket (mode 0600, owner only) that answers
 * protocol.ts requests by calling the engine's public API (ARCHITECTURE B8,
 * B10 "Control": it stays in the daemon process because it only calls
 * EngineApi). Any client input, however malformed, gets an error reply or a
 * closed connection; it never throws into the daemon.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EngineApi } from '../ike/engine-api.js';
import type { Logger } from '../ike/ports.js';
import { KeywayError } from '../util/errors.js';
import { FrameDecoder, decodeJson, encodeFrame } from './framing.js';
import {
  DEFAULT_INITIATE_TIMEOUT_MS,
  PROTOCOL_VERSION,
  parseRequest,
  type CommandResults,
  type ErrorCode,
  type FlushResult,
  type ReloadResult,
  type Request,
  type Response,
} from './protocol.js';
import { packageVersion } from './version.js';

export interface ControlServerOptions {
  readonly path: string;
  readonly engine: EngineApi;
  readonly reload: () => Promise<ReloadResult>;
  /** `flush`: the engine's flush plus the dataplane's (src/daemon/main.ts); default: the engine's only */
  readonly flush?: () => Promise<FlushResult>;
  readonly logger: Logger;
  /** reported by `version`; defaults to package.json's version */
  readonly version?: string;
  /** simultaneous client connections (default 64) */
  readonly maxClients?: number;
}

export interface ControlServer {
  close(): Promise<void>;
}

/** Requests one client may have outstanding at once; more get BUSY. */
const MAX_INFLIGHT_PER_CLIENT = 16;

/** Raised inside dispatch for outcomes that are the client's business (timeouts). */
class RequestError extends KeywayError {
  readonly replyCode: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.replyCode = code;
  }
}

/**
 * Removes a stale socket file left by a crashed daemon, but only if nothing
 * answers on it: two daemons must not steal each other's socket.
 */
async function prepareSocketPath(path: string): Promise<void> {
  const dir = dirname(path);
  // Only a directory we create gets 0700; an existing one (/run) is left alone.
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // does not exist
  }
  if (!isSocket) {
    throw new KeywayError('CONTROL_PATH_IN_USE', `control socket path ${path} exists and is not a socket`);
  }
  if (await somethingListens(path)) {
    throw new KeywayError('CONTROL_IN_USE', `another process is already listening on ${path}`);
  }
  unlinkSync(path);
}

function somethingListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (v: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    // A peer that neither accepts nor refuses within a second is alive but busy.
    const timer = setTimeout(() => done(true), 1000);
    s.once('connect', () => done(true));
    s.once('error', (e: NodeJS.ErrnoException) => done(!(e.code === 'ECONNREFUSED' || e.code === 'ENOENT')));
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new RequestError('TIMEOUT', `${what} did not finish within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

async function dispatch(req: Request, opts: ControlServerOptions): Promise<unknown> {
  const { engine } = opts;
  switch (req.cmd) {
    case 'list-conns':
      return engine.listConnections() satisfies CommandResults['list-conns'];
    case 'list-sas': {
      const { ike, ikeId } = req.args;
      const sas = await engine.listSas();
      return sas.filter(
        (sa) => (ike === undefined || sa.connection === ike) && (ikeId === undefined || sa.uniqueId === ikeId),
      ) satisfies CommandResults['list-sas'];
    }
    case 'initiate': {
      const { conn, child, timeoutMs } = req.args;
      const p = child === undefined ? engine.initiate(conn) : engine.initiate(conn, child);
      return (await withTimeout(p, timeoutMs ?? DEFAULT_INITIATE_TIMEOUT_MS, `initiate ${conn}`)) satisfies CommandResults['initiate'];
    }
    case 'terminate': {
      const a = req.args;
      if ('ike' in a) return { ok: await engine.terminateIke(a.ike), kind: 'ike', id: a.ike } satisfies CommandResults['terminate'];
      return { ok: await engine.terminateChild(a.child), kind: 'child', id: a.child } satisfies CommandResults['terminate'];
    }
    case 'rekey': {
      const a = req.args;
      if ('ike' in a) return { ok: await engine.rekeyIke(a.ike), kind: 'ike', id: a.ike } satisfies CommandResults['rekey'];
      return { ok: await engine.rekeyChild(a.child), kind: 'child', id: a.child } satisfies CommandResults['rekey'];
    }
    case 'reauth':
      return { ok: await engine.reauthIke(req.args.ike), kind: 'ike', id: req.args.ike } satisfies CommandResults['reauth'];
    case 'history':
      return engine.history() satisfies CommandResults['history'];
    case 'stats':
      return engine.counters() satisfies CommandResults['stats'];
    case 'failures':
      return engine.failures() satisfies CommandResults['failures'];
    case 'reload': {
      const r = await opts.reload();
      return { ok: r.ok, errors: [...r.errors] } satisfies CommandResults['reload'];
    }
    case 'flush': {
      const r = opts.flush !== undefined ? await opts.flush() : { ok: true, ...(await engine.flush()), errors: [] };
      return { ...r, errors: [...r.errors] } satisfies CommandResults['flush'];
    }
    case 'version':
      return {
        daemon: opts.version ?? packageVersion(),
        protocol: PROTOCOL_VERSION,
        node: process.version,
      } satisfies CommandResults['version'];
  }
}

function handleConnection(sock: Socket, opts: ControlServerOptions): void {
  const decoder = new FrameDecoder();
  const { logger } = opts;
  let inflight = 0;
  let closed = false;

  const send = (r: Response): void => {
    if (closed || sock.destroyed || !sock.writable) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(r);
    } catch (e) {
      const msg = e instanceof Error ? e.message : 'encode failed';
      frame = encodeFrame({ v: 1, id: r.id, ok: false, error: { code: 'INTERNAL', message: `reply not sent: ${msg}` } });
    }
    sock.write(frame);
  };
  const sendError = (id: number, code: ErrorCode, message: string): void => {
    send({ v: 1, id, ok: false, error: { code, message } });
  };

  const onFrame = (body: Buffer): void => {
    const json = decodeJson(body);
    if (!json.ok) {
      // The framing is intact, so the connection can go on after a bad body.
      sendError(0, 'BAD_JSON', 'frame body is not valid UTF-8 JSON');
      return;
    }
    const parsed = parseRequest(json.value);
    if (!parsed.ok) {
      logger.log('debug', 'control.bad-request', { code: parsed.error.code, message: parsed.error.message });
      sendError(parsed.id, parsed.error.code, parsed.error.message);
      return;
    }
    const req = parsed.value;
    if (inflight >= MAX_INFLIGHT_PER_CLIENT) {
      sendError(req.id, 'BUSY', `too many outstanding requests (max ${MAX_INFLIGHT_PER_CLIENT})`);
      return;
    }
    inflight++;
    logger.log('debug', 'control.request', { id: req.id, cmd: req.cmd });
    dispatch(req, opts)
      .then((result) => send({ v: 1, id: req.id, ok: true, result }))
      .catch((e: unknown) => {
        if (e instanceof RequestError) {
          sendError(req.id, e.replyCode, e.message);
          return;
        }
        const message = e instanceof Error ? e.message : String(e);
        logger.log('error', 'control.command-failed', { cmd: req.cmd, error: message });
        sendError(req.id, 'INTERNAL', `${req.cmd} failed: ${message}`);
      })
      .finally(() => {
        inflight--;
      });
  };

  sock.on('data', (chunk: Buffer) => {
    if (closed) return;
    let frames: Buffer[];
    try {
      frames = decoder.push(chunk);
    } catch (e) {
      // Framing garbage: we cannot find the next frame boundary, so say why and hang up.
      sendError(0, 'FRAME_TOO_LARGE', e instanceof Error ? e.message : 'bad frame');
      closed = true;
      sock.end();
      logger.log('warn', 'control.frame-error', { error: e instanceof Error ? e.message : 'bad frame' });
      return;
    }
    for (const f of frames) onFrame(f);
  });
  sock.on('error', (e) => logger.log('debug', 'control.socket-error', { error: e.message }));
  sock.on('close', () => {
    closed = true;
  });
}

/** Starts listening; rejects with KeywayError if the path is taken or cannot be bound. */
export async function startControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const { path, logger } = opts;
  await prepareSocketPath(path);
  const clients = new Set<Socket>();
  const server: Server = createServer((sock) => {
    clients.add(sock);
    sock.on('close', () => clients.delete(sock));
    handleConnection(sock, opts);
  });
  server.maxConnections = opts.maxClients ?? 64;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void => reject(new KeywayError('CONTROL_LISTEN', `cannot listen on ${path}: ${e.message}`));
    server.once('error', onError);
    // Node binds synchronously inside listen(), so a temporary umask makes the
    // socket file 0600 from its first instant (no window where others can connect).
    const oldMask = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(oldMask);
    }
  });
  chmodSync(path, 0o600);
  server.on('error', (e) => logger.log('error', 'control.server-error', { error: e.message }));
  logger.log('info', 'control.listening', { path });

  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.destroy();
        server.close(() => {
          try {
            unlinkSync(path);
          } catch {
            // already gone (node removes it on close in some versions)
          }
          resolve();
        });
      }),
  };
}
