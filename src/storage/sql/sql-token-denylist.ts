import type { Kysely } from 'kysely';
import type { TenantId } from '../../core/model/tenant.ts';
import type { TokenDenylist } from '../../core/ports/token-denylist.ts';
import { insertIfAbsent } from './insert-if-absent.ts';
import { prepareQuery, type PreparedQuery, type SqlConnection } from './prepared-query.ts';
import type { Database } from './schema.ts';

/** Revoked JWT ids by (tenant_id, jti), kept until the token's own expiry. */
export class SqlTokenDenylist implements TokenDenylist {
  readonly #db: Kysely<Database>;
  readonly #add: (values: readonly unknown[]) => Promise<boolean>;
  /** Introspecting a JWT access token asks this on every call. */
  readonly #has: PreparedQuery;
  constructor(conn: SqlConnection) {
    this.#db = conn.db;
    this.#add = insertIfAbsent(conn, 'token_denylist', ['tenant_id', 'jti', 'expires_at']);
    this.#has = prepareQuery(conn, (p) => conn.db.selectFrom('token_denylist').select('jti').where('tenant_id', '=', p(0)).where('jti', '=', p(1)), ['jti']);
  }

  async add(tenantId: TenantId, jti: string, expiresAt: number): Promise<void> {
    // Idempotent: a second add of the same jti (same token, same expiry) is a no-op.
    await this.#add([tenantId, jti, expiresAt]);
  }

  async has(tenantId: TenantId, jti: string): Promise<boolean> {
    return (await this.#has.first([tenantId, jti])) !== undefined;
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('token_denylist').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
