/**
 * Nesting bound for untrusted JSON. `JSON.parse` accepts thousands of nested arrays in a few
 * kilobytes, and every recursive walk after it (`JSON.stringify`, `structuredClone`, deep
 * equality, a storage driver's serialiser) then overflows the stack with a RangeError: a 500 for
 * malformed input. Checked where client-supplied JSON enters, before anything walks it.
 */

/** Deepest nesting of objects and arrays accepted in client metadata and metadata documents (a JSON object is level 1). */
export const MAX_JSON_DEPTH = 32;

/** True when `value` nests objects or arrays deeper than `max` levels. Iterative: it never recurses itself. */
export function jsonTooDeep(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [v, depth] = next;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
  }
  return false;
}
