/**
 * Value -> name lookups for the numeric registries, for logs and diagnostics.
 * Leaf module: imports nothing.
 *
 * Scanning a registry per lookup showed in handshake profiles (every log
 * record and diagnostic names transforms, notifies and exchanges), so the
 * reverse map of each registry is built on first use and kept. The
 * registries are `as const` literals that nothing changes at run time, so a
 * map built once stays right. Where two names share a value, the first in
 * declaration order wins, as the scan found it.
 */

const reverseMaps = new WeakMap<Readonly<Record<string, number>>, ReadonlyMap<number, string>>();

/** The value -> name map of a registry, built once per registry object. */
export function reverseOf(registry: Readonly<Record<string, number>>): ReadonlyMap<number, string> {
  let m = reverseMaps.get(registry);
  if (m === undefined) {
    const built = new Map<number, string>();
    for (const [k, v] of Object.entries(registry)) if (!built.has(v)) built.set(v, k);
    m = built;
    reverseMaps.set(registry, m);
  }
  return m;
}
