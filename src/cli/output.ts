import type { ListResult } from '../app/index.ts';
import { GatehouseError } from '../core/errors.ts';
import type { CliIo } from './types.ts';

/** The paging options of every list command (the admin API's list query, as flags). */
export const LIST_OPTIONS = {
  limit: { type: 'string' },
  cursor: { type: 'string' },
  q: { type: 'string' },
  sort: { type: 'string' },
  order: { type: 'string' },
} as const;

export const LIST_USAGE = '[--limit N] [--cursor C] [--q PREFIX] [--sort KEY] [--order asc|desc] [--json]';

/** The list input from the paging flags; the use case validates ranges and names. */
export function listInput(values: Partial<Record<keyof typeof LIST_OPTIONS, string | boolean | undefined | string[]>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const limit = values.limit;
  if (typeof limit === 'string') {
    if (!/^\d{1,6}$/.test(limit)) throw new GatehouseError('GH_CLI_USAGE', '--limit takes a whole number (1 to 500)');
    out['limit'] = Number(limit);
  }
  for (const k of ['cursor', 'q', 'sort', 'order'] as const) if (typeof values[k] === 'string') out[k] = values[k];
  return out;
}

/** An aligned plain-text table; cells are printed as given. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export interface Column<T> {
  readonly head: string;
  readonly cell: (item: T) => string;
}

/**
 * Prints one page of a list: with --json exactly `{ "items": [...], "next_cursor": ... }` (the
 * admin API's shape); otherwise a table, and the command line for the next page when there is one.
 */
export function printList<T>(io: CliIo, json: boolean, page: ListResult<T>, columns: readonly Column<T>[], empty: string): void {
  if (json) {
    io.out(JSON.stringify({ items: page.items, next_cursor: page.next_cursor }));
    return;
  }
  io.out(
    page.items.length
      ? renderTable(
          columns.map((c) => c.head),
          page.items.map((it) => columns.map((c) => c.cell(it))),
        )
      : empty,
  );
  if (page.next_cursor !== null) io.out(`\nmore: repeat with --cursor ${page.next_cursor}`);
}

/** Prints a record as `key  value` lines, or as JSON. */
export function printRecord(io: CliIo, json: boolean, record: object): void {
  if (json) return io.out(JSON.stringify(record));
  const width = Math.max(0, ...Object.keys(record).map((k) => k.length));
  io.out(
    Object.entries(record)
      .map(([k, v]) => `${k.padEnd(width)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join('\n'),
  );
}

/** Epoch seconds as ISO 8601 (UTC, no milliseconds); `-` for none. */
export const isoTime = (s: number | null | undefined): string => (s === null || s === undefined ? '-' : new Date(s * 1000).toISOString().replace('.000Z', 'Z'));

/** Destructive commands run only with --yes. */
export function requireYes(yes: unknown, what: string): void {
  if (yes !== true) throw new GatehouseError('GH_CLI_USAGE', `${what} cannot be undone: add --yes to confirm`);
}
