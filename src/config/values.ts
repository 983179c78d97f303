/**
 * Scalar value syntaxes of swanctl.conf(5). Each parser returns the value or a
 * short description of what is valid (the caller adds file:line:col and the key).
 * Never throws.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

/** strongSwan settings booleans (settings_value_as_bool). */
export function parseBool(v: string): Parsed<boolean> {
  const t = v.toLowerCase();
  if (t === 'yes' || t === 'true' || t === 'enabled' || t === '1') return ok(true);
  if (t === 'no' || t === 'false' || t === 'disabled' || t === '0') return ok(false);
  return bad('yes or no');
}

/** Largest value we accept for a count/duration/size: safe for arithmetic. */
const MAX_UINT = 2 ** 53 - 1;

export function parseUint(v: string, min = 0, max = MAX_UINT): Parsed<number> {
  const range = max === MAX_UINT ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  if (!/^[0-9]{1,16}$/.test(v)) return bad(range);
  const n = Number(v);
  if (n < min || n > max) return bad(range);
  return ok(n);
}

/** A decimal number like "4.0" (retransmit_timeout, retransmit_base). */
export function parseDecimal(v: string, min: number, max: number): Parsed<number> {
  const what = `a number from ${min} to ${max}`;
  if (!/^[0-9]{1,9}(\.[0-9]{1,9})?$/.test(v)) return bad(what);
  const n = Number(v);
  if (n < min || n > max) return bad(what);
  return ok(n);
}

const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** strongSwan durations: "10s", "30m", "4h", "1d"; a plain number is seconds. */
export function parseDuration(v: string): Parsed<number> {
  const m = /^([0-9]{1,12})([smhd]?)$/.exec(v);
  const unit = m === null ? undefined : TIME_UNITS[m[2] ?? ''];
  const n = m === null || unit === undefined ? NaN : Number(m[1]) * unit;
  if (!Number.isSafeInteger(n)) return bad('a duration like 30, 10s, 30m, 4h or 1d');
  return ok(n);
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** strongSwan byte counts: "500M", "1G" (1024-based, K/M/G in either case). */
export function parseBytes(v: string): Parsed<number> {
  const m = /^([0-9]{1,15})([kKmMgG]?)$/.exec(v);
  const unit = m === null ? undefined : SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  const n = m === null || unit === undefined ? NaN : Number(m[1]) * unit;
  if (!Number.isSafeInteger(n)) return bad('a byte count like 1000000, 500K, 500M or 1G');
  return ok(n);
}

export function parseEnum<T extends string>(v: string, allowed: readonly T[]): Parsed<T> {
  const t = v.toLowerCase();
  const hit = allowed.find((a) => a === t);
  return hit === undefined ? bad(`one of: ${allowed.join(', ')}`) : ok(hit);
}

/** Comma-separated list (swanctl lists), items trimmed, with each item's offset in the value. */
export function splitList(v: string): { item: string; offset: number }[] {
  const out: { item: string; offset: number }[] = [];
  let offset = 0;
  for (const raw of v.split(',')) {
    const lead = raw.length - raw.trimStart().length;
    out.push({ item: raw.trim(), offset: offset + lead });
    offset += raw.length + 1;
  }
  return out;
}

/** Shared secrets (swanctl.conf secrets.<type>.secret): "0x" hex, "0s" base64, else the text. */
export function parseSecret(v: string, quoted: boolean): Parsed<Uint8Array> {
  if (!quoted && /^0x/i.test(v)) {
    const h = v.slice(2);
    if (h.length === 0 || h.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(h)) return bad('an even number of hex digits after 0x');
    return ok(new Uint8Array(Buffer.from(h, 'hex')));
  }
  if (!quoted && /^0s/i.test(v)) {
    const b = v.slice(2);
    if (b.length === 0 || b.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b)) return bad('valid base64 after 0s');
    return ok(new Uint8Array(Buffer.from(b, 'base64')));
  }
  return ok(new TextEncoder().encode(v));
}
