/**
 * Control client: connects to the daemon's Unix socket and sends protocol.ts
 * requests, matching replies by id so several requests may be outstanding.
 * Used by the CLI, tests and the demo. Every failure is a ControlError.
 */
import { connect, type Socket } from 'node:net';
import { FrameDecoder, decodeJson, encodeFrame } from './framing.js';
import {
  ControlError,
  DEFAULT_INITIATE_TIMEOUT_MS,
  PROTOCOL_VERSION,
  parseResponse,
  type Command,
  type CommandArgs,
  type CommandResults,
} from './protocol.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(v: unknown): void;
  reject(e: ControlError): void;
  timer: NodeJS.Timeout;
}

export class ControlClient {
  readonly #sock: Socket;
  readonly #decoder = new FrameDecoder();
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closedError: ControlError | undefined;

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.on('data', (chunk: Buffer) => this.#onData(chunk));
    sock.on('error', (e: Error) => this.#fail(new ControlError('CONNECTION_CLOSED', `control socket error: ${e.message}`)));
    sock.on('close', () => this.#fail(new ControlError('CONNECTION_CLOSED', 'daemon closed the control connection')));
  }

  /** Connects to the daemon; rejects with ControlError if nobody listens. */
  static connect(path: string, timeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new ControlError('TIMEOUT', `connecting to ${path} timed out`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new ControlClient(sock));
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why =
          e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
            ? 'is the daemon running?'
            : e.code === 'EACCES'
              ? 'permission denied (the socket is owner-only)'
              : e.message;
        reject(new ControlError('CONNECTION_CLOSED', `cannot connect to ${path}: ${why}`));
      });
    });
  }

  /**
   * Sends one command and resolves with its result, or rejects with the
   * daemon's error (code and message) or a TIMEOUT/CONNECTION_CLOSED error.
   */
  request<C extends Command>(cmd: C, args: CommandArgs[C], timeoutMs?: number): Promise<CommandResults[C]> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const id = this.#nextId++;
    // initiate waits on the daemon side; give the reply a little longer than that.
    const wait =
      timeoutMs ??
      (cmd === 'initiate' ? initiateWait(args) + 5_000 : DEFAULT_REQUEST_TIMEOUT_MS);
    return new Promise<CommandResults[C]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ControlError('TIMEOUT', `no reply to ${cmd} within ${wait} ms`));
      }, wait);
      this.#pending.set(id, {
        // The daemon answers request `id` with the result type of `cmd`.
        resolve: (v) => resolve(v as CommandResults[C]),
        reject,
        timer,
      });
      try {
        this.#sock.write(encodeFrame({ v: PROTOCOL_VERSION, id, cmd, args }));
      } catch (e) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new ControlError('BAD_REQUEST', e instanceof Error ? e.message : 'cannot encode request'));
      }
    });
  }

  /** Sends raw bytes (tests use this to inject malformed frames). */
  writeRaw(bytes: Uint8Array): void {
    this.#sock.write(bytes);
  }

  close(): void {
    this.#fail(new ControlError('CONNECTION_CLOSED', 'client closed'));
    this.#sock.destroy();
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (e) {
      this.#fail(new ControlError('FRAME_TOO_LARGE', e instanceof Error ? e.message : 'bad frame from daemon'));
      this.#sock.destroy();
      return;
    }
    for (const body of frames) {
      const json = decodeJson(body);
      const resp = json.ok ? parseResponse(json.value) : undefined;
      if (resp === undefined) continue; // not ours to interpret; the request will time out
      const p = this.#pending.get(resp.id);
      if (p === undefined) continue;
      this.#pending.delete(resp.id);
      clearTimeout(p.timer);
      if (resp.ok) p.resolve(resp.result);
      else p.reject(new ControlError(resp.error.code, resp.error.message));
    }
  }

  #fail(err: ControlError): void {
    if (this.#closedError) return;
    this.#closedError = err;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.#pending.clear();
  }
}

function initiateWait(args: unknown): number {
  if (typeof args === 'object' && args !== null && 'timeoutMs' in args && typeof args.timeoutMs === 'number') {
    return args.timeoutMs;
  }
  return DEFAULT_INITIATE_TIMEOUT_MS;
}

/** One-shot helper: connect, send one request, close. */
export async function controlRequest<C extends Command>(
  path: string,
  cmd: C,
  args: CommandArgs[C],
  timeoutMs?: number,
): Promise<CommandResults[C]> {
  const c = await ControlClient.connect(path);
  try {
    return await c.request(cmd, args, timeoutMs);
  } finally {
    c.close();
  }
}
