import type { Kysely } from 'kysely';
import { sha256 } from '../../core/crypto.ts';
import { DEFAULT_TENANT } from '../../core/model/tenant.ts';
import { epochSeconds, type Clock } from '../../core/ports/clock.ts';
import type { ReplayCache } from '../../core/ports/replay-cache.ts';
import type { Database, SqlKind } from './schema.ts';
import { insertIfAbsent } from './insert-if-absent.ts';

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
  readonly #kind: SqlKind;
  readonly #clock: Clock;
  constructor(db: Kysely<Database>, kind: SqlKind, clock: Clock) {
    this.#db = db;
    this.#kind = kind;
    this.#clock = clock;
  }

  async useOnce(key: string, expiresAt: number): Promise<boolean> {
    // Stored hashed: fixed width, whatever length the caller's key (a client's jti) has.
    const row = { tenant_id: DEFAULT_TENANT, key_hash: sha256(key), expires_at: expiresAt };
    if (await insertIfAbsent(this.#db, this.#kind, 'replay_cache', row)) return true;
    const removed = await this.#db.deleteFrom('replay_cache')
      .where('tenant_id', '=', row.tenant_id).where('key_hash', '=', row.key_hash)
      .where('expires_at', '<=', epochSeconds(this.#clock))
      .executeTakeFirst();
    if (removed.numDeletedRows === 0n) return false;
    return insertIfAbsent(this.#db, this.#kind, 'replay_cache', row);
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('replay_cache').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
