import { MAX_PAGE_LIMIT } from '../core/ports/list.ts';

/** The page size an adapter falls back to when a caller passes a `limit` that is not an integer. */
const DEFAULT_PAGE_SIZE = 100;

/** The rows a page asks for: `limit` clamped to 1..MAX_PAGE_LIMIT (callers validate; this is a guard). */
export function clampLimit(limit: number): number {
  return Number.isInteger(limit) ? Math.min(Math.max(limit, 1), MAX_PAGE_LIMIT) : DEFAULT_PAGE_SIZE;
}

/** Sort key of a client name: lower-cased, at most 255 characters (whole code points). */
export function nameKey(name: string): string {
  return Array.from(name.toLowerCase()).slice(0, 255).join('');
}
