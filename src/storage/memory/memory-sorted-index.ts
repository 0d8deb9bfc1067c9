import type { Cursor, ListQuery, Page } from '../../core/ports/list.ts';

type Key = string | number;
interface Entry {
  readonly k: Key;
  readonly id: string;
}

const cmp = (a: Key, b: Key): number => (a < b ? -1 : a > b ? 1 : 0);

const cmpEntry = (a: Entry, b: Entry): number => cmp(a.k, b.k) || cmp(a.id, b.id);

/** Pending additions beyond this are sorted and merged in one pass instead of spliced one by one. */
const SPLICE_LIMIT = 16;

/**
 * One ordered index of a memory store: (k, id) pairs kept sorted, so a page is a binary search
 * and a walk of `limit` entries, as a B-tree range scan is in SQL. Additions wait in a buffer
 * until the next read or removal (a bulk load is one sort and one merge, not n splices).
 * Strings order by UTF-16 code unit (SQL orders by code point: they differ only for characters
 * above U+FFFF against U+E000–U+FFFF).
 */
export class SortedIndex {
  #entries: Entry[] = [];
  #pending: Entry[] = [];

  add(k: Key, id: string): void {
    this.#pending.push({ k, id });
  }

  remove(k: Key, id: string): void {
    this.#flush();
    const i = this.#lower(k, id);
    const e = this.#entries[i];
    if (e && e.k === k && e.id === id) this.#entries.splice(i, 1);
  }

  /**
   * Ids in (k, id) order strictly after `q.after`. `prefix` limits k to strings starting with it
   * (a range: binary search to its start, stop at its end); `keep` filters ids on the way.
   */
  *walk(q: Pick<ListQuery<string>, 'order' | 'after'>, prefix?: string, keep?: (id: string) => boolean): Generator<Entry> {
    this.#flush();
    const asc = q.order === 'asc';
    const n = this.#entries.length;
    let i: number;
    if (asc) {
      i = q.after ? this.#upper(q.after) : 0;
      if (prefix !== undefined) i = Math.max(i, this.#lower(prefix, ''));
    } else {
      i = (q.after ? this.#lower(q.after.k, q.after.id) : n) - 1;
      if (prefix !== undefined) {
        const end = successor(prefix);
        if (end !== null) i = Math.min(i, this.#lower(end, '') - 1);
      }
    }
    for (; i >= 0 && i < n; i += asc ? 1 : -1) {
      const e = this.#entries[i]!;
      if (prefix !== undefined && !(typeof e.k === 'string' && e.k.startsWith(prefix))) {
        // Past the prefix range in the walking direction: nothing further can match.
        if (asc ? cmp(e.k, prefix) > 0 : cmp(e.k, prefix) < 0) return;
        continue;
      }
      if (!keep || keep(e.id)) yield e;
    }
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const pending = this.#pending.sort(cmpEntry);
    this.#pending = [];
    if (pending.length <= SPLICE_LIMIT) {
      for (const e of pending) this.#entries.splice(this.#lower(e.k, e.id), 0, e);
      return;
    }
    const a = this.#entries;
    const merged: Entry[] = new Array<Entry>(a.length + pending.length);
    let i = 0;
    let j = 0;
    let o = 0;
    while (i < a.length && j < pending.length) merged[o++] = cmpEntry(a[i]!, pending[j]!) <= 0 ? a[i++]! : pending[j++]!;
    while (i < a.length) merged[o++] = a[i++]!;
    while (j < pending.length) merged[o++] = pending[j++]!;
    this.#entries = merged;
  }

  /** First position whose entry is >= (k, id). */
  #lower(k: Key, id: string): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.#entries[mid]!;
      if ((cmp(e.k, k) || cmp(e.id, id)) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First position whose entry is > the cursor. */
  #upper(c: Cursor): number {
    const i = this.#lower(c.k, c.id);
    const e = this.#entries[i];
    return e && e.k === c.k && e.id === c.id ? i + 1 : i;
  }
}

/** The smallest string greater than every string starting with `prefix` (UTF-16 order), or null. */
function successor(prefix: string): string | null {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return null;
}

/** Takes up to `limit` rows from a walk; `next` is set only when another row follows. */
export function takePage<T>(walk: Iterable<Entry>, limit: number, load: (id: string) => T | undefined): Page<T> {
  const items: T[] = [];
  let last: Entry | undefined;
  for (const e of walk) {
    if (items.length === limit) return { items, next: last ? { k: last.k, id: last.id } : null };
    const row = load(e.id);
    if (row === undefined) continue;
    items.push(row);
    last = e;
  }
  return { items, next: null };
}

/** A page of an in-memory array already in (k, id) order (small per-owner lists). */
export function pageOfSorted<T>(rows: readonly T[], key: (r: T) => Entry, q: Pick<ListQuery<string>, 'order' | 'after' | 'limit'>, prefix?: string): Page<T> {
  const index = new SortedIndex();
  const byId = new Map<string, T>();
  for (const r of rows) {
    const e = key(r);
    index.add(e.k, e.id);
    byId.set(e.id, r);
  }
  return takePage(index.walk(q, undefined, prefix === undefined ? undefined : (id) => id.startsWith(prefix)), q.limit, (id) => byId.get(id));
}
