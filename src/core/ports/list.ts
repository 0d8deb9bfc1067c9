/**
 * The shared paging vocabulary of every operator list (clients, users, grants, sessions,
 * consents). Paging is keyset-only: a page continues strictly after the `(k, id)` position of
 * the previous page's last row, so pages neither skip nor repeat rows while others write, and a
 * deep page costs the same as the first one (no OFFSET). docs/admin-lists.md has the details.
 *
 * Every list adapter guarantees, for any ListQuery:
 * - rows come in `(sort value, id)` order, ascending or descending as asked; equal sort values
 *   are broken by the id in the same direction, so the order is total;
 * - `after` starts strictly after that position (the position need not exist any more);
 * - `next` is the position of the last item when more rows follow, null on the last page;
 * - `q` is a plain prefix: no character (`%`, `_`, `\`, `*`) is a wildcard. Prefixes are matched
 *   as an index range, never with LIKE.
 */
export type SortOrder = 'asc' | 'desc';

/** Keyset position: the sort value and the id of the last row of the previous page. */
export interface Cursor {
  readonly k: string | number;
  readonly id: string;
}

export interface ListQuery<S extends string> {
  readonly limit: number; // 1..500, validated by the caller
  readonly sort: S;
  readonly order: SortOrder;
  /** Prefix match (case-insensitive where the column is stored lower-cased) on the searchable column(s). */
  readonly q?: string;
  readonly after?: Cursor;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly next: Cursor | null;
}

/** The largest `limit` an adapter must serve (callers validate; adapters clamp to it). */
export const MAX_PAGE_LIMIT = 500;
