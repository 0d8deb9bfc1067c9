import type { Insertable, Kysely, Selectable } from 'kysely';
import { GatehouseError } from '../../core/errors.ts';
import type { TenantId } from '../../core/model/tenant.ts';
import type { StandardClaims, User, UserAttributeValue } from '../../core/model/user.ts';
import type { ListQuery, Page } from '../../core/ports/list.ts';
import type { UserPatch, UserSort, UserStore } from '../../core/ports/user-store.ts';
import { prepareQuery, type PreparedQuery, type RowValues, type SqlConnection } from './prepared-query.ts';
import type { Database, SqlKind, UsersTable } from './schema.ts';
import { isUniqueViolation } from './sql-errors.ts';
import { keyset, prefixRange, search, toPage, type KeysetColumns } from './sql-keyset.ts';

/** Usernames are unique per tenant (users_username_uq); created_at ties break by id (users_created_idx). */
const SORTS: Readonly<Record<UserSort, KeysetColumns>> = {
  username: { k: 'username', id: null, numeric: false },
  created_at: { k: 'created_at', id: 'id', numeric: true },
};

const USER_COLUMNS = [
  'tenant_id',
  'id',
  'username',
  'password_hash',
  'roles',
  'claims',
  'disabled',
  'signin_epoch',
  'session_epoch',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof UsersTable)[];
type Values = RowValues<Selectable<UsersTable>, typeof USER_COLUMNS>;

/**
 * The `claims` column holds the user's profile as one JSON object: the standard claims as members,
 * plus the custom attributes under `$attributes` and the groups under `$groups` (`$` is never a
 * claim or attribute name), so attributes and groups needed no migration.
 */
const ATTRIBUTES = '$attributes';
const GROUPS = '$groups';

function encodeProfile(u: Pick<User, 'claims' | 'attributes' | 'groups'>): string {
  const out: Record<string, unknown> = { ...u.claims };
  if (Object.keys(u.attributes).length) out[ATTRIBUTES] = u.attributes;
  if (u.groups.length) out[GROUPS] = u.groups;
  return JSON.stringify(out);
}

function decodeProfile(json: string): Pick<User, 'claims' | 'attributes' | 'groups'> {
  const { [ATTRIBUTES]: attributes, [GROUPS]: groups, ...claims } = JSON.parse(json) as Record<string, unknown>;
  return {
    claims: claims as StandardClaims,
    attributes: (attributes ?? {}) as Record<string, UserAttributeValue>,
    groups: (groups ?? []) as string[],
  };
}

function decode(r: Values): User {
  const [tenantId, id, username, passwordHash, roles, claims, disabled, signInEpoch, sessionEpoch, createdAt, updatedAt] = r;
  return {
    tenantId,
    id,
    username,
    passwordHash,
    roles: JSON.parse(roles) as string[],
    ...decodeProfile(claims),
    disabled: Boolean(disabled),
    // 0 (never unlocked) is left out, as a user created without one reads back.
    ...(Number(signInEpoch) ? { signInEpoch: Number(signInEpoch) } : {}),
    ...(Number(sessionEpoch) ? { sessionEpoch: Number(sessionEpoch) } : {}),
    createdAt,
    updatedAt,
  };
}

const rowValues = (r: Selectable<UsersTable>) => USER_COLUMNS.map((c) => r[c]) as unknown as Values;

function encodePatch(patch: UserPatch): Partial<Insertable<UsersTable>> {
  const out: Partial<Record<keyof UsersTable, unknown>> = {};
  if (patch.passwordHash !== undefined) out.password_hash = patch.passwordHash;
  if (patch.roles !== undefined) out.roles = JSON.stringify(patch.roles);
  if (patch.claims !== undefined) out.claims = encodeProfile(patch);
  if (patch.disabled !== undefined) out.disabled = patch.disabled ? 1 : 0;
  if (patch.signInEpoch !== undefined) out.signin_epoch = patch.signInEpoch;
  if (patch.sessionEpoch !== undefined) out.session_epoch = patch.sessionEpoch;
  if (patch.updatedAt !== undefined) out.updated_at = patch.updatedAt;
  return out as Partial<Insertable<UsersTable>>;
}

/**
 * Users keyed by (tenant_id, id); usernames are lower-cased here, once, and a unique index on
 * (tenant_id, username) makes a duplicate in any letter case a conflict.
 */
export class SqlUserStore implements UserStore {
  readonly #db: Kysely<Database>;
  readonly #kind: SqlKind;
  readonly #get: PreparedQuery;
  readonly #byUsername: PreparedQuery;

  constructor(conn: SqlConnection) {
    const { db } = conn;
    this.#db = db;
    this.#kind = conn.kind;
    this.#get = prepareQuery(conn, (p) => db.selectFrom('users').select(USER_COLUMNS).where('tenant_id', '=', p(0)).where('id', '=', p(1)), USER_COLUMNS);
    this.#byUsername = prepareQuery(
      conn,
      (p) => db.selectFrom('users').select(USER_COLUMNS).where('tenant_id', '=', p(0)).where('username', '=', p(1)),
      USER_COLUMNS,
    );
  }

  async create(u: User): Promise<void> {
    try {
      await this.#db
        .insertInto('users')
        .values({
          tenant_id: u.tenantId,
          id: u.id,
          username: u.username.toLowerCase(),
          password_hash: u.passwordHash,
          roles: JSON.stringify(u.roles),
          claims: encodeProfile(u),
          disabled: u.disabled ? 1 : 0,
          signin_epoch: u.signInEpoch ?? 0,
          session_epoch: u.sessionEpoch ?? 0,
          created_at: u.createdAt,
          updated_at: u.updatedAt,
        })
        .execute();
    } catch (e) {
      if (isUniqueViolation(this.#kind, e)) throw new GatehouseError('GH_CONFLICT', 'a user with this id or username already exists');
      throw e;
    }
  }

  async get(tenantId: TenantId, id: string): Promise<User | undefined> {
    const row = await this.#get.first([tenantId, id]);
    return row && decode(row as Values);
  }

  async findByUsername(tenantId: TenantId, username: string): Promise<User | undefined> {
    const row = await this.#byUsername.first([tenantId, username.toLowerCase()]);
    return row && decode(row as Values);
  }

  async page(tenantId: TenantId, q: ListQuery<UserSort>): Promise<Page<User>> {
    const term = search(q.q)?.toLowerCase();
    const query = prefixRange(this.#db.selectFrom('users').select(USER_COLUMNS).where('tenant_id', '=', tenantId), 'username', term);
    const rows = await keyset(query, SORTS[q.sort], q).execute();
    return toPage(
      rows,
      q.limit,
      (r) => ({ k: q.sort === 'username' ? r.username : r.created_at, id: r.id }),
      (r) => decode(rowValues(r)),
    );
  }

  async delete(tenantId: TenantId, id: string): Promise<boolean> {
    const r = await this.#db.deleteFrom('users').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async update(tenantId: TenantId, id: string, patch: UserPatch): Promise<User | undefined> {
    const set = encodePatch(patch);
    if (Object.keys(set).length > 0) {
      await this.#db.updateTable('users').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    }
    // Re-read rather than trust affected-row counts (MySQL counts changed rows, not matched ones).
    return this.get(tenantId, id);
  }
}
