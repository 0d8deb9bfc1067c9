import type { Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { Confirmation, StoredTokenKind, TokenRecord } from '../../core/model/token.ts';
import type { ConsumeResult, TokenStore } from '../../core/ports/token-store.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { Database, SqlKind, TokensTable } from './schema.ts';
import { ConsumeBatcher } from './server-consume-batch.ts';
import { InsertBatcher } from './server-insert-batch.ts';
import { ReadBatcher } from './server-read-batch.ts';
import { isUniqueViolation } from './sql-errors.ts';

/** Every column, in the order `encode` writes and `decode` reads them. */
const TOKEN_COLUMNS = [
  'tenant_id',
  'hash',
  'kind',
  'jti',
  'client_id',
  'subject',
  'scope',
  'audience',
  'grant_id',
  'parent_hash',
  'issued_at',
  'expires_at',
  'cnf',
  'claims',
  'revoked_at',
  'consumed_at',
  'user_id',
] as const satisfies readonly (keyof TokensTable)[];

type Values = RowValues<Selectable<TokensTable>, typeof TOKEN_COLUMNS>;

/** A record as the values of TOKEN_COLUMNS, in order. */
function encode(t: TokenRecord): Values {
  return [
    t.tenantId,
    t.hash,
    t.kind,
    t.jti,
    t.clientId,
    t.subject,
    t.scope,
    JSON.stringify(t.audience),
    t.grantId,
    t.parentHash,
    t.issuedAt,
    t.expiresAt,
    t.cnf === null ? null : JSON.stringify(t.cnf),
    JSON.stringify(t.claims),
    t.revokedAt,
    t.consumedAt,
    t.userId,
  ];
}

function decode(r: Values): TokenRecord {
  const [tenantId, hash, kind, jti, clientId, subject, scope, audience, grantId, parentHash, issuedAt, expiresAt, cnf, claims, revokedAt, consumedAt, userId] =
    r;
  return {
    tenantId,
    hash,
    kind: kind as StoredTokenKind,
    jti,
    clientId,
    subject,
    userId,
    scope,
    audience: JSON.parse(audience) as string[],
    grantId,
    parentHash,
    issuedAt,
    expiresAt,
    cnf: cnf === null ? null : (JSON.parse(cnf) as Confirmation),
    claims: JSON.parse(claims) as Record<string, unknown>,
    revokedAt,
    consumedAt,
  };
}

/** The per-request statements, compiled once (see prepareQuery). */
function hotQueries(conn: SqlConnection) {
  const { db } = conn;
  return {
    insert: prepareQuery(conn, (p) =>
      db.insertInto('tokens').values(Object.fromEntries(TOKEN_COLUMNS.map((c, i) => [c, p(i)])) as Record<(typeof TOKEN_COLUMNS)[number], never>),
    ),
    find: prepareQuery(conn, (p) => db.selectFrom('tokens').select(TOKEN_COLUMNS).where('tenant_id', '=', p(0)).where('hash', '=', p(1)), TOKEN_COLUMNS),
    exists: prepareQuery(conn, (p) => db.selectFrom('tokens').select('hash').where('tenant_id', '=', p(0)).where('hash', '=', p(1)), ['hash']),
    // consumed_at = p(2) first in SET, then the key: parameters are numbered by position.
    consume: prepareQuery(conn, (p) =>
      db
        .updateTable('tokens')
        .set({ consumed_at: p(2) })
        .where('tenant_id', '=', p(0))
        .where('hash', '=', p(1))
        .where('consumed_at', 'is', null),
    ),
    revoke: prepareQuery(conn, (p) =>
      db
        .updateTable('tokens')
        .set({ revoked_at: p(2) })
        .where('tenant_id', '=', p(0))
        .where('hash', '=', p(1))
        .where('revoked_at', 'is', null),
    ),
  } satisfies Record<string, PreparedQuery>;
}

/**
 * Tokens keyed by (tenant_id, hash). The token endpoint's hot path is one statement each:
 * issuing an opaque token is one INSERT, introspecting it one SELECT by primary key. Inserts are
 * group-committed: on SQLite by the connection's HotWriter, on PostgreSQL and MySQL by an
 * InsertBatcher (one multi-row INSERT per event-loop turn, each caller answered after its commit).
 */
export class SqlTokenStore implements TokenStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  readonly #q: ReturnType<typeof hotQueries>;
  readonly #batch: InsertBatcher | null;
  /** PostgreSQL/MySQL: a turn's lookups by hash as one `IN (…)` statement. */
  readonly #reads: ReadBatcher | null;
  /** PostgreSQL: a turn's use-once updates as one UPDATE … RETURNING. */
  readonly #consumes: ConsumeBatcher | null;
  constructor(conn: SqlConnection) {
    this.#db = conn.db;
    this.#kind = conn.kind;
    this.#q = hotQueries(conn);
    this.#batch = conn.kind === 'sqlite' ? null : new InsertBatcher(conn.db, conn.kind, 'tokens', TOKEN_COLUMNS);
    this.#reads = conn.kind === 'sqlite' ? null : new ReadBatcher(conn.db, conn.kind, 'tokens', TOKEN_COLUMNS, 'hash');
    this.#consumes = conn.kind === 'postgres' ? new ConsumeBatcher(conn.db) : null;
  }

  /** Rows and statements of the PostgreSQL/MySQL group commit (tests and diagnostics). */
  get batchStats(): InsertBatcher['stats'] | null {
    return this.#batch?.stats ?? null;
  }

  /** Statements and keys of the PostgreSQL/MySQL coalesced lookups (tests and diagnostics). */
  get readStats(): ReadBatcher['stats'] | null {
    return this.#reads?.stats ?? null;
  }

  /** Statements of the PostgreSQL batched use-once updates (tests and diagnostics). */
  get consumeStats(): ConsumeBatcher['stats'] | null {
    return this.#consumes?.stats ?? null;
  }

  async insert(record: TokenRecord): Promise<void> {
    try {
      if (this.#batch) await this.#batch.insert(encode(record));
      else await this.#q.insert.run(encode(record));
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', 'a token with this hash already exists');
      throw e;
    }
  }

  async find(tenantId: TenantId, hash: string): Promise<TokenRecord | undefined> {
    const row = this.#reads ? await this.#reads.find(tenantId, hash) : await this.#q.find.first([tenantId, hash]);
    return row && decode(row as Values);
  }

  async consume(tenantId: TenantId, hash: string, at: number): Promise<ConsumeResult> {
    // S4: one compare-and-set UPDATE; the database's row lock lets exactly one caller match
    // `consumed_at IS NULL`. The matched row always changes (NULL → at), so MySQL's "changed
    // rows" and "found rows" counts agree.
    const changed = this.#consumes ? await this.#consumes.consume(tenantId, hash, at) : await this.#q.consume.run([tenantId, hash, at]);
    if (changed > 0) return 'consumed';
    // Lost (or nothing to win): only now tell "already consumed" from "unknown".
    return (await this.#q.exists.first([tenantId, hash])) ? 'already-consumed' : 'not-found';
  }

  async revoke(tenantId: TenantId, hash: string, at: number): Promise<TokenRecord | undefined> {
    const before = await this.find(tenantId, hash);
    if (!before || before.revokedAt !== null) return before;
    await this.#q.revoke.run([tenantId, hash, at]);
    return before;
  }

  async revokeGrant(tenantId: TenantId, grantId: string, at: number): Promise<number> {
    const r = await this.#db
      .updateTable('tokens')
      .set({ revoked_at: at })
      .where('tenant_id', '=', tenantId)
      .where('grant_id', '=', grantId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async countActive(at: number): Promise<number> {
    const row = await this.#db
      .selectFrom('tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('expires_at', '>', at)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('tokens').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
