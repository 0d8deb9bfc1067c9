import { sql, type Kysely } from 'kysely';
import type { TenantId } from '../../core/model/tenant.ts';
import type { GrantFilter, GrantStore, GrantSummary } from '../../core/ports/grant-store.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import { clampLimit } from '../list-options.ts';
import type { SqlConnection } from './prepared-query.ts';
import type { Database, SqlKind } from './schema.ts';
import { storeTransaction } from './sql-transaction.ts';
import { prefixRange, search, toPage } from './sql-keyset.ts';

interface GrantRow {
  grant_id: string;
  client_id: string;
  user_id: string | null;
  scope: string;
  created_at: number | string;
  last_used_at: number | string;
  expires_at: number | string;
  active_tokens: number | string | bigint;
}

/**
 * The grant read model over the tokens table: one GROUP BY grant_id over the live tokens of a
 * user (tokens_user_grant_idx) or a client (tokens_client_grant_idx), keyset-paged on the
 * aggregate (min(issued_at), grant_id). Bulk revocation is one UPDATE … RETURNING (PostgreSQL,
 * SQLite) or one transaction that locks the owner's index range first (MariaDB has no UPDATE …
 * RETURNING; its next-key locks keep new tokens of that owner out until the UPDATE commits).
 */
export class SqlGrantStore implements GrantStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;

  constructor(conn: SqlConnection) {
    this.#db = conn.db;
    this.#kind = conn.kind;
  }

  async listGrants(tenantId: TenantId, filter: GrantFilter, q: ListQuery<'issued_at'>, at: number): Promise<Page<GrantSummary>> {
    const asc = q.order === 'asc';
    const created = sql<number>`min(issued_at)`;
    let query = this.#db
      .selectFrom('tokens')
      .select([
        'grant_id',
        sql<string>`max(client_id)`.as('client_id'),
        sql<string | null>`max(user_id)`.as('user_id'),
        // RFC 6749 §6: a refresh token keeps the grant's scope; access tokens may be narrower.
        sql<string>`coalesce(max(case when kind = 'refresh_token' then scope end), max(scope))`.as('scope'),
        created.as('created_at'),
        sql<number>`max(issued_at)`.as('last_used_at'),
        sql<number>`max(expires_at)`.as('expires_at'),
        sql<number>`count(*)`.as('active_tokens'),
      ])
      .where('tenant_id', '=', tenantId)
      .where('revoked_at', 'is', null)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', at);
    query = 'userId' in filter ? query.where('user_id', '=', filter.userId) : query.where('client_id', '=', filter.clientId);
    query = prefixRange(query, 'grant_id', search(q.q)).groupBy('grant_id');
    if (q.after) {
      const k = Number(q.after.k);
      const id = q.after.id;
      query = asc
        ? query.having(sql<boolean>`min(issued_at) > ${k} or (min(issued_at) = ${k} and grant_id > ${id})`)
        : query.having(sql<boolean>`min(issued_at) < ${k} or (min(issued_at) = ${k} and grant_id < ${id})`);
    }
    const rows = await query
      .orderBy(created, q.order)
      .orderBy('grant_id', q.order)
      .limit(clampLimit(q.limit) + 1)
      .execute();
    return toPage(rows as GrantRow[], q.limit, (r) => ({ k: Number(r.created_at), id: r.grant_id }), decode);
  }

  async revokeByUser(tenantId: TenantId, userId: string, at: number): Promise<string[]> {
    return this.#revoke(tenantId, { userId }, at);
  }

  async revokeByClient(tenantId: TenantId, clientId: string, at: number): Promise<string[]> {
    return this.#revoke(tenantId, { clientId }, at);
  }

  async #revoke(tenantId: TenantId, filter: GrantFilter, at: number): Promise<string[]> {
    const owner = 'userId' in filter ? (['user_id', filter.userId] as const) : (['client_id', filter.clientId] as const);
    if (this.#kind !== 'mysql') {
      const rows = await this.#db
        .updateTable('tokens')
        .set({ revoked_at: at })
        .where('tenant_id', '=', tenantId)
        .where(owner[0], '=', owner[1])
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .returning('grant_id')
        .execute();
      return distinct(rows.map((r) => r.grant_id));
    }
    // Deadlock victims retry: revocation is idempotent.
    return storeTransaction(this.#db, this.#kind, async (trx) => {
      const rows = await trx
        .selectFrom('tokens')
        .select('grant_id')
        .where('tenant_id', '=', tenantId)
        .where(owner[0], '=', owner[1])
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .forUpdate()
        .execute();
      if (rows.length === 0) return [];
      await trx
        .updateTable('tokens')
        .set({ revoked_at: at })
        .where('tenant_id', '=', tenantId)
        .where(owner[0], '=', owner[1])
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .execute();
      return distinct(rows.map((r) => r.grant_id));
    });
  }
}

function decode(r: GrantRow): GrantSummary {
  return {
    grantId: r.grant_id,
    clientId: r.client_id,
    userId: r.user_id,
    scope: r.scope,
    createdAt: Number(r.created_at),
    lastUsedAt: Number(r.last_used_at),
    expiresAt: Number(r.expires_at),
    activeTokens: Number(r.active_tokens),
  };
}

const distinct = (ids: readonly string[]) => [...new Set(ids)].sort();
