import { readFileSync } from 'node:fs';
import { repoPath } from '../../helpers/paths.js';

/** Reads a JSON vector file from test/vectors/ (see test/vectors/PROVENANCE.md). */
export function loadVectors(rel: string): unknown {
  return JSON.parse(readFileSync(repoPath('test', 'vectors', rel), 'utf8')) as unknown;
}

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** Narrowing helpers for untyped JSON. */
export function obj(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected object');
  return v as Record<string, unknown>;
}
export function arr(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Error('expected array');
  return v;
}
export function str(v: unknown): string {
  if (typeof v !== 'string') throw new Error('expected string');
  return v;
}
export function num(v: unknown): number {
  if (typeof v !== 'number') throw new Error('expected number');
  return v;
}
