import { CompiledQuery } from 'kysely';
import { registerHotStatement } from './named-statements.ts';
import type { SqlKind } from './schema.ts';

/** Most rows in one multi-row INSERT: bounds the statement's size and how long it holds a row lock set. */
export const MAX_INSERT_BATCH = 64;
/** Batches committing at once; rows arriving meanwhile wait and go in the next batch. */
export const MAX_BATCHES_IN_FLIGHT = 4;

interface Pending {
  readonly values: readonly unknown[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Runs one compiled statement (Kysely's executor: pool, error mapping). */
type Execute = (sqlText: string, params: readonly unknown[]) => Promise<unknown>;

/**
 * Group commit for PostgreSQL and MySQL/MariaDB: inserts into one table issued during one
 * event-loop turn (and while earlier batches are committing) become one multi-row INSERT, one
 * statement in autocommit, so one round trip and one commit (one WAL / redo-log flush) for all
 * of them. Every caller's promise settles only after that commit: a response that reports a token
 * is sent after the token is durable (PostgreSQL `synchronous_commit = on`, InnoDB
 * `innodb_flush_log_at_trx_commit = 1`, both defaults).
 *
 * A multi-row INSERT is atomic: one bad row (a duplicate key) fails the statement. Then each row
 * of that batch is inserted on its own, so only the bad row's caller sees the error. Batches hold
 * at most MAX_INSERT_BATCH rows; at most MAX_BATCHES_IN_FLIGHT run at once, the rest of the pool
 * stays free for reads.
 */
export class InsertBatcher {
  readonly #execute: Execute;
  readonly #head: string;
  readonly #row: (offset: number) => string;
  readonly #width: number;
  readonly #sqlBySize = new Map<number, string>();
  #pending: Pending[] = [];
  #inFlight = 0;
  #scheduled = false;
  /** Statements and rows committed (tests and diagnostics). */
  readonly stats = { statements: 0, rows: 0, fallbacks: 0 };

  constructor(
    db: { executeQuery(q: CompiledQuery): Promise<unknown> },
    kind: Exclude<SqlKind, 'sqlite'>,
    table: string,
    columns: readonly string[],
    execute?: Execute,
  ) {
    const q = (id: string) => (kind === 'postgres' ? `"${id}"` : `\`${id}\``);
    this.#width = columns.length;
    this.#head = `insert into ${q(table)} (${columns.map(q).join(', ')}) values `;
    this.#row =
      kind === 'postgres' ? (offset) => `(${columns.map((_, i) => `$${offset + i + 1}`).join(', ')})` : () => `(${columns.map(() => '?').join(', ')})`;
    this.#execute = execute ?? ((sqlText, params) => db.executeQuery(CompiledQuery.raw(sqlText, [...params])));
  }

  /** Inserts one row (values in column order); resolves once the batch holding it has committed. */
  insert(values: readonly unknown[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ values, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#pending.length === 0 || this.#inFlight >= MAX_BATCHES_IN_FLIGHT) return;
    this.#scheduled = true;
    // After the current turn's callbacks: every request parsed in this turn joins the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#pending.length > 0 && this.#inFlight < MAX_BATCHES_IN_FLIGHT) {
      const batch = this.#pending.splice(0, MAX_INSERT_BATCH);
      this.#inFlight++;
      void this.#commit(batch).finally(() => {
        this.#inFlight--;
        this.#schedule();
      });
    }
  }

  async #commit(batch: readonly Pending[]): Promise<void> {
    try {
      await this.#execute(
        this.#sql(batch.length),
        batch.flatMap((p) => p.values),
      );
      this.stats.statements++;
      this.stats.rows += batch.length;
      for (const p of batch) p.resolve();
      return;
    } catch (e) {
      if (batch.length === 1) {
        batch[0]!.reject(e);
        return;
      }
    }
    // The statement failed as a whole (nothing of it was kept): each row on its own, so an error
    // reaches only the caller whose row caused it.
    this.stats.fallbacks++;
    await Promise.all(
      batch.map((p) =>
        this.#execute(this.#sql(1), p.values).then(
          () => {
            this.stats.statements++;
            this.stats.rows++;
            p.resolve();
          },
          (e: unknown) => p.reject(e),
        ),
      ),
    );
  }

  #sql(rows: number): string {
    let s = this.#sqlBySize.get(rows);
    if (!s) {
      const parts: string[] = [];
      for (let r = 0; r < rows; r++) parts.push(this.#row(r * this.#width));
      s = this.#head + parts.join(', ');
      this.#sqlBySize.set(rows, s);
      registerHotStatement(s);
    }
    return s;
  }
}
