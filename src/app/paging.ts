import { z } from 'zod';
import { GatehouseError } from '../core/errors.ts';
import { MAX_PAGE_LIMIT, type Cursor, type ListQuery, type Page, type SortOrder } from '../core/ports/list.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = MAX_PAGE_LIMIT;
/** Longest opaque cursor accepted (a cursor is small: a sort key and an id). */
const MAX_CURSOR = 1024;

/** What every list use case returns (the admin API's list shape). */
export interface ListResult<T> {
  readonly items: readonly T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly next_cursor: string | null;
}

/**
 * The paging members of a list input: `limit` (1–500, default 50), `cursor` (opaque, from the
 * previous page's `next_cursor`), `q` (a search string), `sort` (one of `sorts`) and `order`.
 */
export function listFields<const S extends readonly [string, ...string[]]>(sorts: S, defaultSort: S[number]) {
  return {
    limit: z.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
    cursor: z.string().min(1).max(MAX_CURSOR).optional(),
    q: z.string().min(1).max(200).optional(),
    sort: z.enum(sorts).default(defaultSort as never),
    order: z.enum(['asc', 'desc']).default('asc'),
  };
}

/** The cursor as the client sees it: base64url of the Cursor JSON. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ k: cursor.k, id: cursor.id })).toString('base64url');
}

const cursorSchema = z.strictObject({ k: z.union([z.string().max(512), z.number().finite()]), id: z.string().min(1).max(512) });

/**
 * Decodes a cursor given back by a caller. Anything that is not what `encodeCursor` made for this
 * sort key — bad base64url, bad JSON, other members, a string key where the sort is numeric — is
 * GH_INVALID_INPUT, never a store error.
 */
export function decodeCursor(text: string, keyType: 'string' | 'number'): Cursor {
  const bad = (why: string) => new GatehouseError('GH_INVALID_INPUT', `cursor: ${why} (pass back next_cursor exactly as received, with the same sort)`);
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw bad('not base64url');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a cursor');
  }
  const r = cursorSchema.safeParse(json);
  if (!r.success) throw bad('not a cursor');
  if (typeof r.data.k !== keyType) throw bad('made for another sort');
  return r.data;
}

export interface ListInput<S extends string> {
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly q?: string | undefined;
  readonly sort: S;
  readonly order: SortOrder;
}

/** The store query for a validated list input; `numeric` names the sort keys that are numbers. */
export function toListQuery<S extends string>(input: ListInput<S>, numeric: readonly S[]): ListQuery<S> {
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor, numeric.includes(input.sort) ? 'number' : 'string');
  return { limit: input.limit, sort: input.sort, order: input.order, ...(input.q === undefined ? {} : { q: input.q }), ...(after ? { after } : {}) };
}

export function toListResult<T, V>(page: Page<T>, view: (item: T) => V): ListResult<V> {
  return { items: page.items.map(view), next_cursor: page.next === null ? null : encodeCursor(page.next) };
}
