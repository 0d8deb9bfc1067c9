import { CompiledQuery } from 'kysely';
import { registerHotStatement } from './named-statements.ts';
import type { SqlKind } from './schema.ts';

/** Most keys in one `IN (…)` lookup. */
export const MAX_READ_BATCH = 64;

interface Pending {
  readonly key: string;
  readonly resolve: (row: readonly unknown[] | undefined) => void;
  readonly reject: (e: unknown) => void;
}

type Execute = (sqlText: string, params: readonly unknown[]) => Promise<{ readonly rows: readonly Record<string, unknown>[] }>;

/**
 * Primary-key lookups by (tenant_id, key) on PostgreSQL and MySQL/MariaDB, coalesced: the
 * lookups of one event-loop turn for one tenant become one `WHERE tenant_id = ? AND key IN (…)`
 * statement, one round trip instead of one each (introspection under load issues dozens per
 * turn). A lookup is sent after every write its caller awaited, so it sees them; what it reads
 * is what a lone SELECT sent at the same moment would have read.
 */
export class ReadBatcher {
  readonly #execute: Execute;
  readonly #columns: readonly string[];
  readonly #keyColumn: string;
  readonly #head: string;
  readonly #kind: Exclude<SqlKind, 'sqlite'>;
  readonly #sqlBySize = new Map<number, string>();
  readonly #pending = new Map<string, Pending[]>();
  #scheduled = false;
  /** Statements run and keys looked up (tests and diagnostics). */
  readonly stats = { statements: 0, keys: 0 };

  constructor(
    db: { executeQuery(q: CompiledQuery): Promise<{ readonly rows: readonly unknown[] }> },
    kind: Exclude<SqlKind, 'sqlite'>,
    table: string,
    columns: readonly string[],
    keyColumn: string,
  ) {
    const q = (id: string) => (kind === 'postgres' ? `"${id}"` : `\`${id}\``);
    this.#kind = kind;
    this.#columns = columns;
    this.#keyColumn = keyColumn;
    this.#head = `select ${columns.map(q).join(', ')} from ${q(table)} where ${q('tenant_id')} = ${kind === 'postgres' ? '$1' : '?'} and ${q(keyColumn)} in (`;
    this.#execute = (sqlText, params) =>
      db.executeQuery(CompiledQuery.raw(sqlText, [...params])) as Promise<{ readonly rows: readonly Record<string, unknown>[] }>;
  }

  /** The row's values in `columns` order, or undefined when no row has this key. */
  find(tenantId: string, key: string): Promise<readonly unknown[] | undefined> {
    return new Promise((resolve, reject) => {
      let list = this.#pending.get(tenantId);
      if (!list) this.#pending.set(tenantId, (list = []));
      list.push({ key, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const all = [...this.#pending];
    this.#pending.clear();
    for (const [tenantId, list] of all) {
      for (let i = 0; i < list.length; i += MAX_READ_BATCH) void this.#lookup(tenantId, list.slice(i, i + MAX_READ_BATCH));
    }
  }

  async #lookup(tenantId: string, batch: readonly Pending[]): Promise<void> {
    const keys = [...new Set(batch.map((p) => p.key))];
    try {
      const { rows } = await this.#execute(this.#sql(keys.length), [tenantId, ...keys]);
      this.stats.statements++;
      this.stats.keys += keys.length;
      const byKey = new Map<unknown, readonly unknown[]>();
      for (const r of rows)
        byKey.set(
          r[this.#keyColumn],
          this.#columns.map((c) => r[c]),
        );
      for (const p of batch) p.resolve(byKey.get(p.key));
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
  }

  #sql(n: number): string {
    let s = this.#sqlBySize.get(n);
    if (!s) {
      const marks = Array.from({ length: n }, (_, i) => (this.#kind === 'postgres' ? `$${i + 2}` : '?'));
      s = `${this.#head}${marks.join(', ')})`;
      this.#sqlBySize.set(n, s);
      registerHotStatement(s);
    }
    return s;
  }
}
