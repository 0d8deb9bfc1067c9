import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { Cursor, ListQuery, Page } from '../../core/ports/list.ts';
import { clampLimit } from '../list-options.ts';

type AnyQuery = SelectQueryBuilder<any, any, any>;
type AnyEb = ExpressionBuilder<any, any>;

export interface KeysetColumns {
  /** The sort column. */
  readonly k: string;
  /** The tiebreak column, or null when the sort column is unique within the list. */
  readonly id: string | null;
  /** Whether the sort value is a number (cursor values are coerced to it). */
  readonly numeric: boolean;
}

/**
 * Keyset paging, written portably so each dialect walks its index: after (K, ID) in ascending
 * order is `k >= K AND (k > K OR id > ID)` — the `k >= K` conjunct gives SQLite and MariaDB an
 * index range start (they do not plan `k > K OR (k = K AND id > ID)` as one) and PostgreSQL
 * the same B-tree range; descending mirrors it. Fetches limit + 1 rows to know whether a next
 * page exists. Never OFFSET: a deep page costs what the first one does.
 */
export function keyset<Q extends AnyQuery>(qb: Q, cols: KeysetColumns, q: Pick<ListQuery<string>, 'order' | 'after' | 'limit'>): Q {
  const asc = q.order === 'asc';
  let out: AnyQuery = qb;
  if (q.after) {
    const k = cols.numeric ? Number(q.after.k) : String(q.after.k);
    const id = q.after.id;
    if (cols.id === null) out = out.where(cols.k, asc ? '>' : '<', k);
    else {
      const idCol = cols.id;
      out = out.where(cols.k, asc ? '>=' : '<=', k).where((eb: AnyEb) => eb.or([eb(cols.k, asc ? '>' : '<', k), eb(idCol, asc ? '>' : '<', id)]));
    }
  }
  out = out.orderBy(cols.k, q.order);
  if (cols.id !== null) out = out.orderBy(cols.id, q.order);
  return out.limit(clampLimit(q.limit) + 1) as Q;
}

/** A prefix as an index range `col >= p AND col < successor(p)`: no LIKE, no wildcards. */
export function prefixRange<Q extends AnyQuery>(qb: Q, col: string, prefix: string | undefined): Q {
  if (prefix === undefined || prefix === '') return qb;
  const end = successor(prefix);
  const from = qb.where(col, '>=', prefix);
  return (end === null ? from : from.where(col, '<', end)) as Q;
}

/**
 * The smallest string above every string starting with `prefix`, in code point order (the
 * order of PostgreSQL `collate "C"` on UTF-8, MariaDB utf8mb4_bin and SQLite's memcmp): the last
 * code point incremented (skipping surrogates), trailing U+10FFFF dropped; null when none.
 */
export function successor(prefix: string): string | null {
  const cps = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    const last = cps.pop()!;
    if (last < 0x10ffff) {
      cps.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
      return String.fromCodePoint(...cps);
    }
  }
  return null;
}

/** Rows of a keyset query (limit + 1 fetched) as a page; `key` gives a row's cursor. */
export function toPage<R, T>(rows: readonly R[], limit: number, key: (r: R) => Cursor, decode: (r: R) => T): Page<T> {
  const n = clampLimit(limit);
  const items = rows.slice(0, n);
  return { items: items.map(decode), next: rows.length > n ? key(items[items.length - 1]!) : null };
}

/** `q` when it is a non-empty search, else undefined. */
export function search(q: string | undefined): string | undefined {
  return q === undefined || q === '' ? undefined : q;
}
