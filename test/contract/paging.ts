// Helpers for the list contracts: walk every page of a keyset list and the order it must have.
import assert from 'node:assert/strict';
import type { Cursor, ListQuery, Page, SortOrder } from '../../src/core/ports/list.ts';

/** Code point order (the order of every SQL backend; equal to UTF-16 order below U+E000). */
export function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `rows` sorted by (k, id) in `order`. */
export function expectedOrder<T>(rows: readonly T[], key: (r: T) => Cursor, order: SortOrder): T[] {
  const sorted = [...rows].sort((x, y) => {
    const a = key(x);
    const b = key(y);
    return cmp(a.k, b.k) || cmp(a.id, b.id);
  });
  return order === 'asc' ? sorted : sorted.reverse();
}

/**
 * Follows `next` from the first page to the last; asserts every page but the last is full and
 * carries the cursor of its last item, and the last one has `next: null`. Returns every item.
 */
export async function walkAll<T, S extends string>(
  fetch: (q: ListQuery<S>) => Promise<Page<T>>,
  base: Omit<ListQuery<S>, 'after'>,
  key: (r: T) => Cursor,
): Promise<T[]> {
  const all: T[] = [];
  let after: Cursor | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await fetch(after === undefined ? base : { ...base, after });
    all.push(...page.items);
    if (page.next === null) return all;
    assert.equal(page.items.length, base.limit, 'a page before the last is full');
    assert.deepEqual(page.next, key(page.items[page.items.length - 1]!), 'next is the position of the last item');
    after = page.next;
  }
  throw new Error('paging did not end');
}
