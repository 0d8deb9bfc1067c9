import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { Confirmation, StoredTokenKind, TokenRecord } from '../../core/model/token.ts';
import type { ConsumeResult, TokenStore } from '../../core/ports/token-store.ts';
import type { Database, SqlKind, TokensTable } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';

function encode(t: TokenRecord): Insertable<TokensTable> {
  return {
    tenant_id: t.tenantId,
    hash: t.hash,
    kind: t.kind,
    jti: t.jti,
    client_id: t.clientId,
    subject: t.subject,
    scope: t.scope,
    audience: JSON.stringify(t.audience),
    grant_id: t.grantId,
    parent_hash: t.parentHash,
    issued_at: t.issuedAt,
    expires_at: t.expiresAt,
    cnf: t.cnf === null ? null : JSON.stringify(t.cnf),
    claims: JSON.stringify(t.claims),
    revoked_at: t.revokedAt,
    consumed_at: t.consumedAt,
  };
}

function decode(r: Selectable<TokensTable>): TokenRecord {
  return {
    tenantId: r.tenant_id,
    hash: r.hash,
    kind: r.kind as StoredTokenKind,
    jti: r.jti,
    clientId: r.client_id,
    subject: r.subject,
    scope: r.scope,
    audience: JSON.parse(r.audience) as string[],
    grantId: r.grant_id,
    parentHash: r.parent_hash,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    cnf: r.cnf === null ? null : (JSON.parse(r.cnf) as Confirmation),
    claims: JSON.parse(r.claims) as Record<string, unknown>,
    revokedAt: r.revoked_at,
    consumedAt: r.consumed_at,
  };
}

/**
 * Tokens keyed by (tenant_id, hash). The token endpoint's hot path is one statement each:
 * issuing an opaque token is one INSERT, introspecting it one SELECT by primary key.
 */
export class SqlTokenStore implements TokenStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  constructor(db: Kysely<Database>, kind: SqlKind) {
    this.#db = db;
    this.#kind = kind;
  }

  async insert(record: TokenRecord): Promise<void> {
    try {
      await this.#db.insertInto('tokens').values(encode(record)).execute();
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', 'a token with this hash already exists');
      throw e;
    }
  }

  async find(tenantId: TenantId, hash: string): Promise<TokenRecord | undefined> {
    const row = await this.#db.selectFrom('tokens').selectAll()
      .where('tenant_id', '=', tenantId).where('hash', '=', hash).executeTakeFirst();
    return row && decode(row);
  }

  async consume(tenantId: TenantId, hash: string, at: number): Promise<ConsumeResult> {
    // S4: one compare-and-set UPDATE; the database's row lock lets exactly one caller match
    // `consumed_at IS NULL`. The matched row always changes (NULL → at), so MySQL's "changed
    // rows" and "found rows" counts agree.
    const r = await this.#db.updateTable('tokens').set({ consumed_at: at })
      .where('tenant_id', '=', tenantId).where('hash', '=', hash).where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (r.numUpdatedRows > 0n) return 'consumed';
    // Lost (or nothing to win): only now tell "already consumed" from "unknown".
    const exists = await this.#db.selectFrom('tokens').select(sql<number>`1`.as('one'))
      .where('tenant_id', '=', tenantId).where('hash', '=', hash).executeTakeFirst();
    return exists ? 'already-consumed' : 'not-found';
  }

  async revoke(tenantId: TenantId, hash: string, at: number): Promise<TokenRecord | undefined> {
    const before = await this.find(tenantId, hash);
    if (!before || before.revokedAt !== null) return before;
    await this.#db.updateTable('tokens').set({ revoked_at: at })
      .where('tenant_id', '=', tenantId).where('hash', '=', hash).where('revoked_at', 'is', null)
      .execute();
    return before;
  }

  async revokeGrant(tenantId: TenantId, grantId: string, at: number): Promise<number> {
    const r = await this.#db.updateTable('tokens').set({ revoked_at: at })
      .where('tenant_id', '=', tenantId).where('grant_id', '=', grantId).where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async countActive(at: number): Promise<number> {
    const row = await this.#db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('expires_at', '>', at).where('revoked_at', 'is', null).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('tokens').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
