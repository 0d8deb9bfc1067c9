import type { Kysely } from 'kysely';
import { sha256 } from '../../core/crypto.ts';
import { DEFAULT_TENANT } from '../../core/model/tenant.ts';
import { epochSeconds, type Clock } from '../../core/ports/clock.ts';
import type { ReplayCache } from '../../core/ports/replay-cache.ts';
import { insertIfAbsent } from './insert-if-absent.ts';
import { retryOnDeadlock } from './sql-errors.ts';
import { prepareQuery, type PreparedQuery, type SqlConnection } from './prepared-query.ts';
import type { Database } from './schema.ts';

/**
 * Single-use keys. The primary key makes the INSERT the one arbiter (S4).
 *
 * An expired leftover must not block a new use. Race reasoning for the slow path: a caller whose
 * insert hit a row deletes that row only if it has expired (`expires_at <= now`), then inserts
 * again. Of N callers racing on one expired row, the DELETE removes it once, so at most one of
 * them sees a deleted count of 1; the others answer false without inserting. Whoever inserts
 * next (that one, or a newcomer) wins through the primary key as on the fast path. A live row is
 * never deleted, so no second winner can appear while the entry is valid.
 */
export class SqlReplayCache implements ReplayCache {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlConnection['kind'];
  readonly #clock: Clock;
  readonly #insert: (values: readonly unknown[]) => Promise<boolean>;
  readonly #deleteExpired: PreparedQuery;
  constructor(conn: SqlConnection, clock: Clock) {
    this.#db = conn.db;
    this.#kind = conn.kind;
    this.#clock = clock;
    this.#insert = insertIfAbsent(conn, 'replay_cache', ['tenant_id', 'key_hash', 'expires_at']);
    this.#deleteExpired = prepareQuery(conn, (p) =>
      conn.db.deleteFrom('replay_cache').where('tenant_id', '=', p(0)).where('key_hash', '=', p(1)).where('expires_at', '<=', p(2)),
    );
  }

  useOnce(key: string, expiresAt: number): Promise<boolean> {
    // Stored hashed: fixed width, whatever length the caller's key (a client's jti) has.
    const row = [DEFAULT_TENANT, sha256(key), expiresAt] as const;
    // InnoDB may pick one of several callers racing on an expired row as a deadlock victim (the
    // DELETE and the INSERTs take gap locks on the same key). Its statements were rolled back, so
    // it starts over: the insert still decides, and a live row still answers false.
    return retryOnDeadlock(this.#kind, async () => {
      if (await this.#insert(row)) return true;
      const removed = await this.#deleteExpired.run([row[0], row[1], epochSeconds(this.#clock)]);
      if (removed === 0) return false;
      return this.#insert(row);
    });
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('replay_cache').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
