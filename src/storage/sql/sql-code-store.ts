import type { Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { AuthenticationContext, AuthorizationCodeRecord, ClaimsRequest } from '../../core/model/authorization-code.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { Confirmation } from '../../core/model/token.ts';
import type { CodeStore, TakeResult } from '../../core/ports/code-store.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { AuthorizationCodesTable, Database, SqlKind } from './schema.ts';
import { InsertBatcher } from './server-insert-batch.ts';
import { isUniqueViolation } from './sql-errors.ts';
import { sqlTake } from './sql-take.ts';

const CODE_COLUMNS = [
  'tenant_id',
  'hash',
  'client_id',
  'redirect_uri',
  'scope',
  'resources',
  'claims',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'auth',
  'grant_id',
  'cnf',
  'issued_at',
  'expires_at',
  'consumed_at',
] as const satisfies readonly (keyof AuthorizationCodesTable)[];

type Values = RowValues<Selectable<AuthorizationCodesTable>, typeof CODE_COLUMNS>;
const jsonOrNull = (v: unknown) => (v === null ? null : JSON.stringify(v));

function encode(c: AuthorizationCodeRecord): Values {
  return [
    c.tenantId,
    c.hash,
    c.clientId,
    c.redirectUri,
    c.scope,
    JSON.stringify(c.resources),
    jsonOrNull(c.claims),
    c.nonce,
    c.codeChallenge,
    c.codeChallengeMethod,
    JSON.stringify(c.auth),
    c.grantId,
    jsonOrNull(c.cnf),
    c.issuedAt,
    c.expiresAt,
    c.consumedAt,
  ];
}

function decode(r: Values): AuthorizationCodeRecord {
  const [
    tenantId,
    hash,
    clientId,
    redirectUri,
    scope,
    resources,
    claims,
    nonce,
    codeChallenge,
    codeChallengeMethod,
    auth,
    grantId,
    cnf,
    issuedAt,
    expiresAt,
    consumedAt,
  ] = r;
  return {
    tenantId,
    hash,
    clientId,
    redirectUri,
    scope,
    resources: JSON.parse(resources) as string[],
    claims: claims === null ? null : (JSON.parse(claims) as ClaimsRequest),
    nonce,
    codeChallenge,
    codeChallengeMethod: codeChallengeMethod as AuthorizationCodeRecord['codeChallengeMethod'],
    auth: JSON.parse(auth) as AuthenticationContext,
    grantId,
    cnf: cnf === null ? null : (JSON.parse(cnf) as Confirmation),
    issuedAt,
    expiresAt,
    consumedAt,
  };
}

/** Authorization codes keyed by (tenant_id, hash): one INSERT to issue, one SELECT by primary key to
 * look before redeeming, one UPDATE to redeem. */
export class SqlCodeStore implements CodeStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  readonly #insert: PreparedQuery;
  /** PostgreSQL/MySQL: group commit of inserts (see InsertBatcher). */
  readonly #batch: InsertBatcher | null;
  readonly #find: PreparedQuery;
  readonly #take: (tenantId: string, hash: string, at: number) => Promise<TakeResult<AuthorizationCodeRecord>>;

  constructor(conn: SqlConnection) {
    this.#db = conn.db;
    this.#kind = conn.kind;
    this.#insert = prepareQuery(conn, (p) =>
      conn.db
        .insertInto('authorization_codes')
        .values(Object.fromEntries(CODE_COLUMNS.map((c, i) => [c, p(i)])) as Record<(typeof CODE_COLUMNS)[number], never>),
    );
    this.#batch = conn.kind === 'sqlite' ? null : new InsertBatcher(conn.db, conn.kind, 'authorization_codes', CODE_COLUMNS);
    this.#find = prepareQuery(
      conn,
      (p) => conn.db.selectFrom('authorization_codes').select(CODE_COLUMNS).where('tenant_id', '=', p(0)).where('hash', '=', p(1)),
      CODE_COLUMNS,
    );
    this.#take = sqlTake(conn, 'authorization_codes', CODE_COLUMNS, (r) => decode(r as Values));
  }

  async insert(record: AuthorizationCodeRecord): Promise<void> {
    try {
      if (this.#batch) await this.#batch.insert(encode(record));
      else await this.#insert.run(encode(record));
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', 'a code with this hash already exists');
      throw e;
    }
  }

  async find(tenantId: TenantId, hash: string): Promise<AuthorizationCodeRecord | undefined> {
    const row = await this.#find.first([tenantId, hash]);
    return row && decode(row as Values);
  }

  take(tenantId: TenantId, hash: string, at: number): Promise<TakeResult<AuthorizationCodeRecord>> {
    return this.#take(tenantId, hash, at);
  }

  async purgeExpired(before: number): Promise<number> {
    const r = await this.#db.deleteFrom('authorization_codes').where('expires_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
