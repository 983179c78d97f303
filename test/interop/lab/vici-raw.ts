/**
 * Parser for `swanctl --raw` output: each vici message printed on one line as
 *
 *     list-sa event {conn {uniqueid=1 state=ESTABLISHED child-sas {c-3 {spi-in=8ee31bee
 *       local-ts=[10.1.0.0/24] ...}}}}
 *     list-sas reply {}
 *
 * i.e. `name {` opens a section, `key=value` is a key/value, `key=[a b]` a
 * list, `}` closes. Values are printed unquoted, so a value containing a
 * space (an X.500 DN identity) would split; the lab only uses simple IDs.
 */

export type ViciValue = string | readonly string[] | ViciSection;
export interface ViciSection {
  readonly [key: string]: ViciValue;
}

export interface ViciMessage {
  /** e.g. "list-sa event" or "list-sas reply" */
  readonly name: string;
  readonly body: ViciSection;
}

class Cursor {
  pos = 0;
  constructor(readonly s: string) {}
  skipWs(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos] ?? '')) this.pos += 1;
  }
  peek(): string | undefined {
    return this.s[this.pos];
  }
  fail(msg: string): never {
    throw new Error(`vici raw parse error at ${this.pos}: ${msg}: ${this.s.slice(this.pos, this.pos + 60)}`);
  }
}

/** Read a bare token up to whitespace or one of the stop characters. */
function token(c: Cursor, stops: string): string {
  const start = c.pos;
  while (c.pos < c.s.length) {
    const ch = c.s[c.pos] ?? '';
    if (/\s/.test(ch) || stops.includes(ch)) break;
    c.pos += 1;
  }
  return c.s.slice(start, c.pos);
}

function parseSection(c: Cursor, depth: number): ViciSection {
  if (depth > 32) c.fail('nesting too deep');
  const out: Record<string, ViciValue> = {};
  for (;;) {
    c.skipWs();
    const ch = c.peek();
    if (ch === undefined) c.fail('unterminated section');
    if (ch === '}') {
      c.pos += 1;
      return out;
    }
    const key = token(c, '={}[]');
    if (key === '') c.fail('expected a key');
    c.skipWs();
    const next = c.peek();
    if (next === '{') {
      c.pos += 1;
      out[key] = parseSection(c, depth + 1);
    } else if (next === '=') {
      c.pos += 1;
      if (c.peek() === '[') {
        c.pos += 1;
        const items: string[] = [];
        for (;;) {
          c.skipWs();
          const p = c.peek();
          if (p === undefined) c.fail('unterminated list');
          if (p === ']') {
            c.pos += 1;
            break;
          }
          items.push(token(c, ']'));
        }
        out[key] = items;
      } else {
        out[key] = token(c, '}');
      }
    } else {
      c.fail(`unexpected ${String(next)}`);
    }
  }
}

/** Parse all messages in `swanctl ... --raw` output (other lines are ignored). */
export function parseViciRaw(text: string): ViciMessage[] {
  const msgs: ViciMessage[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z-]+ (?:event|reply|request)) \{/.exec(line);
    if (m === null || m[1] === undefined) continue;
    const c = new Cursor(line);
    c.pos = m[0].length;
    msgs.push({ name: m[1], body: parseSection(c, 0) });
  }
  return msgs;
}

/** A CHILD SA from `list-sas`, with the fields the tests look at. */
export interface SwanChildSa {
  readonly key: string;
  readonly name: string;
  readonly uniqueId: string;
  readonly state: string;
  readonly protocol: string;
  readonly mode: string;
  readonly spiIn: string;
  readonly spiOut: string;
  readonly encrAlg: string;
  readonly encrKeysize: string | undefined;
  readonly integAlg: string | undefined;
  readonly dhGroup: string | undefined;
  readonly localTs: readonly string[];
  readonly remoteTs: readonly string[];
  readonly raw: ViciSection;
}

/** An IKE SA from `list-sas`. */
export interface SwanIkeSa {
  readonly name: string;
  readonly uniqueId: string;
  readonly state: string;
  readonly initiator: boolean;
  readonly spiI: string;
  readonly spiR: string;
  readonly encrAlg: string;
  readonly encrKeysize: string | undefined;
  readonly integAlg: string | undefined;
  readonly prfAlg: string;
  readonly dhGroup: string;
  readonly children: readonly SwanChildSa[];
  readonly raw: ViciSection;
}

function str(s: ViciSection, k: string): string | undefined {
  const v = s[k];
  return typeof v === 'string' ? v : undefined;
}
function list(s: ViciSection, k: string): readonly string[] {
  const v = s[k];
  return Array.isArray(v) ? (v as readonly string[]) : [];
}
function section(v: ViciValue | undefined): ViciSection | undefined {
  return v !== undefined && typeof v === 'object' && !Array.isArray(v) ? (v as ViciSection) : undefined;
}

function toChild(key: string, s: ViciSection): SwanChildSa {
  return {
    key,
    name: str(s, 'name') ?? key,
    uniqueId: str(s, 'uniqueid') ?? '',
    state: str(s, 'state') ?? '',
    protocol: str(s, 'protocol') ?? '',
    mode: str(s, 'mode') ?? '',
    spiIn: str(s, 'spi-in') ?? '',
    spiOut: str(s, 'spi-out') ?? '',
    encrAlg: str(s, 'encr-alg') ?? '',
    encrKeysize: str(s, 'encr-keysize'),
    integAlg: str(s, 'integ-alg'),
    dhGroup: str(s, 'dh-group'),
    localTs: list(s, 'local-ts'),
    remoteTs: list(s, 'remote-ts'),
    raw: s,
  };
}

/** Turn the `list-sa` events of `swanctl --list-sas --raw` into typed SAs. */
export function ikeSasFromRaw(text: string): SwanIkeSa[] {
  const out: SwanIkeSa[] = [];
  for (const msg of parseViciRaw(text)) {
    if (msg.name !== 'list-sa event') continue;
    for (const [name, v] of Object.entries(msg.body)) {
      const s = section(v);
      if (s === undefined) continue;
      const kids = section(s['child-sas']) ?? {};
      const children: SwanChildSa[] = [];
      for (const [k, cv] of Object.entries(kids)) {
        const cs = section(cv);
        if (cs !== undefined) children.push(toChild(k, cs));
      }
      out.push({
        name,
        uniqueId: str(s, 'uniqueid') ?? '',
        state: str(s, 'state') ?? '',
        initiator: str(s, 'initiator') === 'yes',
        spiI: str(s, 'initiator-spi') ?? '',
        spiR: str(s, 'responder-spi') ?? '',
        encrAlg: str(s, 'encr-alg') ?? '',
        encrKeysize: str(s, 'encr-keysize'),
        integAlg: str(s, 'integ-alg'),
        prfAlg: str(s, 'prf-alg') ?? '',
        dhGroup: str(s, 'dh-group') ?? '',
        children,
        raw: s,
      });
    }
  }
  return out;
}
