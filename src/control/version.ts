/**
 * The package version, read once from package.json. Both the compiled layout
 * (dist/src/control/) and a source layout (src/control/) are tried, so the
 * answer does not depend on how the code is run.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of [['..', '..', '..'], ['..', '..']]) {
    try {
      const doc: unknown = JSON.parse(readFileSync(resolve(here, ...up, 'package.json'), 'utf8'));
      if (typeof doc === 'object' && doc !== null && 'version' in doc && typeof doc.version === 'string') {
        cached = doc.version;
        return cached;
      }
    } catch {
      // try the next layout
    }
  }
  cached = 'unknown';
  return cached;
}
