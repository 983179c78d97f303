/**
 * A minimal client for strongSwan's vici protocol (the protocol swanctl
 * speaks), enough to drive a charon initiator from a benchmark without
 * spawning one swanctl process per IKE SA.
 *
 * Transport: a stream of packets, each
 *
 *     0                   1                   2                   3
 *    +-------------------------------+-------+------+----------------+
 *    |  length (u32, bytes after it) | type  | nlen | name (requests) | message...
 *    +-------------------------------+-------+------+----------------+
 *
 * types: 0 CMD_REQUEST (named), 1 CMD_RESPONSE, 2 CMD_UNKNOWN, 3 EVENT_REGISTER,
 * 4 EVENT_UNREGISTER, 5 EVENT_CONFIRM, 6 EVENT_UNKNOWN, 7 EVENT (named).
 * A message is a sequence of elements: 1 SECTION_START(name), 2 SECTION_END,
 * 3 KEY_VALUE(name, u16 len, value), 4 LIST_START(name), 5 LIST_ITEM(u16 len,
 * value), 6 LIST_END; names are u8-length-prefixed.
 *
 * One request at a time per connection (vici answers in order); open several
 * connections for concurrency.
 */
import { connect, type Socket } from 'node:net';

export type ViciValue = string | readonly string[] | ViciSection;
export interface ViciSection {
  readonly [key: string]: ViciValue;
}

const CMD_REQUEST = 0;
const CMD_RESPONSE = 1;
const CMD_UNKNOWN = 2;
const EVENT_REGISTER = 3;
const EVENT_CONFIRM = 5;
const EVENT_UNKNOWN = 6;
const EVENT = 7;

function name(out: number[], s: string): void {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 255) throw new Error(`vici name too long: ${s}`);
  out.push(b.length, ...b);
}

function value(out: number[], s: string): void {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 0xffff) throw new Error('vici value too long');
  out.push(b.length >> 8, b.length & 0xff, ...b);
}

function encodeSection(out: number[], sec: ViciSection): void {
  for (const [k, v] of Object.entries(sec)) {
    if (typeof v === 'string') {
      out.push(3);
      name(out, k);
      value(out, v);
    } else if (Array.isArray(v)) {
      out.push(4);
      name(out, k);
      for (const item of v as readonly string[]) {
        out.push(5);
        value(out, item);
      }
      out.push(6);
    } else {
      out.push(1);
      name(out, k);
      encodeSection(out, v as ViciSection);
      out.push(2);
    }
  }
}

/** Decodes a message body (bounds-checked; throws on malformed input). */
export function decodeMessage(b: Uint8Array): ViciSection {
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > b.length) throw new Error('vici message truncated');
  };
  const readName = (): string => {
    need(1);
    const n = b[pos++] ?? 0;
    need(n);
    const s = Buffer.from(b.subarray(pos, pos + n)).toString('utf8');
    pos += n;
    return s;
  };
  const readValue = (): string => {
    need(2);
    const n = ((b[pos] ?? 0) << 8) | (b[pos + 1] ?? 0);
    pos += 2;
    need(n);
    const s = Buffer.from(b.subarray(pos, pos + n)).toString('utf8');
    pos += n;
    return s;
  };
  const stack: Record<string, ViciValue>[] = [{}];
  let list: string[] | undefined;
  while (pos < b.length) {
    const t = b[pos++];
    const top = stack[stack.length - 1];
    if (top === undefined) throw new Error('vici section underflow');
    switch (t) {
      case 1: {
        const s: Record<string, ViciValue> = {};
        top[readName()] = s;
        stack.push(s);
        if (stack.length > 32) throw new Error('vici nesting too deep');
        break;
      }
      case 2:
        stack.pop();
        break;
      case 3: {
        const k = readName();
        top[k] = readValue();
        break;
      }
      case 4:
        list = [];
        top[readName()] = list;
        break;
      case 5:
        if (list === undefined) throw new Error('vici list item outside a list');
        list.push(readValue());
        break;
      case 6:
        list = undefined;
        break;
      default:
        throw new Error(`vici element type ${String(t)}`);
    }
  }
  return stack[0] ?? {};
}

export class ViciClient {
  private buf = Buffer.alloc(0);
  private readonly waiting: { resolve: (s: ViciSection) => void; reject: (e: Error) => void }[] = [];
  private closed = false;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error): void => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('vici connection closed')));
  }

  static open(path: string): Promise<ViciClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new ViciClient(s)));
      s.once('error', reject);
    });
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) return;
      const pkt = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      const type = pkt[0];
      if (type === EVENT) {
        const n = pkt[1] ?? 0;
        const ev = Buffer.from(pkt.subarray(2, 2 + n)).toString('utf8');
        try {
          this.onEvent?.(ev, decodeMessage(pkt.subarray(2 + n)));
        } catch {
          // a malformed event must not stop the stream
        }
        continue;
      }
      const w = this.waiting.shift();
      if (w === undefined) continue;
      if (type === EVENT_CONFIRM) w.resolve({});
      else if (type === EVENT_UNKNOWN) w.reject(new Error('vici: unknown event'));
      else if (type === CMD_RESPONSE) {
        try {
          w.resolve(decodeMessage(pkt.subarray(1)));
        } catch (e) {
          w.reject(e instanceof Error ? e : new Error(String(e)));
        }
      } else if (type === CMD_UNKNOWN) w.reject(new Error('vici: unknown command'));
      else w.reject(new Error(`vici: unexpected packet type ${String(type)}`));
    }
  }

  /** Called with every event this connection registered for. */
  onEvent: ((name: string, body: ViciSection) => void) | undefined;

  /** Registers for a named event (e.g. "ike-updown"). */
  register(event: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('vici connection closed'));
    const out: number[] = [EVENT_REGISTER];
    name(out, event);
    const hdr = Buffer.alloc(4);
    hdr.writeUInt32BE(out.length, 0);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve: () => resolve(), reject });
      this.sock.write(Buffer.concat([hdr, Buffer.from(out)]));
    });
  }

  /** Sends a named command and resolves with the response message. */
  request(cmd: string, body: ViciSection = {}): Promise<ViciSection> {
    if (this.closed) return Promise.reject(new Error('vici connection closed'));
    const out: number[] = [CMD_REQUEST];
    name(out, cmd);
    encodeSection(out, body);
    const hdr = Buffer.alloc(4);
    hdr.writeUInt32BE(out.length, 0);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.sock.write(Buffer.concat([hdr, Buffer.from(out)]));
    });
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}
