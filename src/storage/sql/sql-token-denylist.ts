import type { Kysely } from 'kysely';
import type { TenantId } from '../../core/model/tenant.ts';
import type { TokenDenylist } from '../../core/ports/token-denylist.ts';
import type { Database, SqlKind } from './schema.ts';
import { insertIfAbsent } from './insert-if-absent.ts';

/** Revoked JWT ids by (tenant_id, jti), kept until the token's own expiry. */
export class SqlTokenDenylist implements TokenDenylist {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  constructor(db: Kysely<Database>, kind: SqlKind) {
    this.#db = db;
    this.#kind = kind;
  }

  async add(tenantId: TenantId, jti: string, expiresAt: number): Promise<void> {
    // Idempotent: a second add of the same jti (same token, same expiry) is a no-op.
    await insertIfAbsent(this.#db, this.#kind, 'token_denylist', { tenant_id: tenantId, jti, expires_at: expiresAt });
  }

  async has(tenantId: TenantId, jti: string): Promise<boolean> {
    const row = await this.#db.selectFrom('token_denylist').select('jti')
      .where('tenant_id', '=', tenantId).where('jti', '=', jti).executeTakeFirst();
    return row !== undefined;
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('token_denylist').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
