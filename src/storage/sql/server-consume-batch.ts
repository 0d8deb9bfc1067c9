import { CompiledQuery } from 'kysely';
import { registerHotStatement } from './named-statements.ts';

/** Most rows one compare-and-set UPDATE covers. */
export const MAX_CONSUME_BATCH = 64;

interface Pending {
  readonly hash: string;
  readonly resolve: (changed: number) => void;
  readonly reject: (e: unknown) => void;
}

type Execute = (sqlText: string, params: readonly unknown[]) => Promise<{ readonly rows: readonly Record<string, unknown>[] }>;

/**
 * PostgreSQL only: the use-once compare-and-sets of one event-loop turn (refresh rotation) as one
 * `UPDATE … SET consumed_at = $1 WHERE tenant_id = $2 AND hash IN (…) AND consumed_at IS NULL
 * RETURNING hash`: one round trip and one commit for all of them, each caller answered after it.
 *
 * S4 still holds row by row: the database sets `consumed_at` of a row at most once, and RETURNING
 * names exactly the rows this statement changed. Two callers presenting the same hash in one
 * turn are one key in the statement; the first of them wins it and every other one gets 0 (lost),
 * exactly as two concurrent single-row UPDATEs would resolve. If the statement fails (a deadlock
 * with another instance's batch, a lost connection), each hash is retried alone, so one error
 * reaches only the callers it concerns.
 */
export class ConsumeBatcher {
  readonly #execute: Execute;
  readonly #sqlBySize = new Map<number, string>();
  readonly #pending = new Map<string, { tenantId: string; at: number; list: Pending[] }>();
  #scheduled = false;
  /** Statements run and rows they were asked for (tests and diagnostics). */
  readonly stats = { statements: 0, keys: 0, fallbacks: 0 };

  constructor(db: { executeQuery(q: CompiledQuery): Promise<{ readonly rows: readonly unknown[] }> }) {
    this.#execute = (sqlText, params) =>
      db.executeQuery(CompiledQuery.raw(sqlText, [...params])) as Promise<{ readonly rows: readonly Record<string, unknown>[] }>;
  }

  /** Sets consumed_at = at where it is unset; resolves to 1 when this call changed the row, else 0. */
  consume(tenantId: string, hash: string, at: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const k = `${tenantId}\u0000${at}`;
      let group = this.#pending.get(k);
      if (!group) this.#pending.set(k, (group = { tenantId, at, list: [] }));
      group.list.push({ hash, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const groups = [...this.#pending.values()];
    this.#pending.clear();
    for (const { tenantId, at, list } of groups) {
      // Callers by hash, in arrival order: the first one of each hash may win it.
      const byHash = new Map<string, Pending[]>();
      for (const p of list) byHash.set(p.hash, [...(byHash.get(p.hash) ?? []), p]);
      const hashes = [...byHash.keys()];
      for (let i = 0; i < hashes.length; i += MAX_CONSUME_BATCH) void this.#run(tenantId, at, hashes.slice(i, i + MAX_CONSUME_BATCH), byHash);
    }
  }

  async #run(tenantId: string, at: number, hashes: readonly string[], byHash: ReadonlyMap<string, Pending[]>): Promise<void> {
    const settle = (hash: string, won: boolean) => byHash.get(hash)!.forEach((p, i) => p.resolve(won && i === 0 ? 1 : 0));
    try {
      const won = await this.#update(tenantId, at, hashes);
      for (const h of hashes) settle(h, won.has(h));
      return;
    } catch (e) {
      if (hashes.length === 1) {
        for (const p of byHash.get(hashes[0]!)!) p.reject(e);
        return;
      }
    }
    this.stats.fallbacks++;
    await Promise.all(
      hashes.map((h) =>
        this.#update(tenantId, at, [h]).then(
          (won) => settle(h, won.has(h)),
          (e: unknown) => byHash.get(h)!.forEach((p) => p.reject(e)),
        ),
      ),
    );
  }

  async #update(tenantId: string, at: number, hashes: readonly string[]): Promise<Set<unknown>> {
    const { rows } = await this.#execute(this.#sql(hashes.length), [at, tenantId, ...hashes]);
    this.stats.statements++;
    this.stats.keys += hashes.length;
    return new Set(rows.map((r) => r.hash));
  }

  #sql(n: number): string {
    let s = this.#sqlBySize.get(n);
    if (!s) {
      const marks = Array.from({ length: n }, (_, i) => `$${i + 3}`).join(', ');
      s = `update "tokens" set "consumed_at" = $1 where "tenant_id" = $2 and "hash" in (${marks}) and "consumed_at" is null returning "hash"`;
      this.#sqlBySize.set(n, s);
      registerHotStatement(s);
    }
    return s;
  }
}
