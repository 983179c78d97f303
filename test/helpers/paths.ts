import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** Repository root, found from this compiled file's location (dist/test/helpers/). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Path of a file relative to the repository root. */
export function repoPath(...parts: string[]): string {
  return resolve(repoRoot, ...parts);
}
