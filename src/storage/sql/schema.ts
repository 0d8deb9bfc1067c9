import type { ColumnType } from 'kysely';

/** The SQL dialects one Kysely adapter serves. */
export type SqlKind = 'sqlite' | 'postgres' | 'mysql';

/**
 * Row types of the tables created by src/storage/migrations. Timestamps are epoch seconds
 * (bigint columns, returned as numbers by every driver as configured); JSON is stored as text.
 */
export interface ClientsTable {
  tenant_id: string;
  client_id: string;
  client_name: string;
  /** nameKey(client_name): lower-cased, ≤ 255 characters; the name sort and search key (0004). */
  client_name_key: string | null;
  secret_hash: string | null;
  secret_encrypted: string | null;
  secret_expires_at: number | null;
  token_endpoint_auth_method: string;
  token_endpoint_auth_signing_alg: string | null;
  grant_types: string;
  response_types: string;
  redirect_uris: string;
  scopes: string;
  jwks: string | null;
  jwks_uri: string | null;
  access_token_format: string | null;
  metadata: string;
  registration_access_token_hash: string | null;
  /** Written as 0/1 (SQLite cannot bind booleans); PostgreSQL reads back true/false. */
  disabled: ColumnType<boolean | number, number, number>;
  created_at: number;
  updated_at: number;
}

export interface TokensTable {
  tenant_id: string;
  hash: string;
  kind: string;
  jti: string;
  client_id: string;
  subject: string;
  /** The user's internal id; NULL for client_credentials and tokens issued before 0004. */
  user_id: string | null;
  scope: string;
  audience: string;
  grant_id: string;
  parent_hash: string | null;
  issued_at: number;
  expires_at: number;
  cnf: string | null;
  claims: string;
  revoked_at: number | null;
  consumed_at: number | null;
}

export interface DenylistTable {
  tenant_id: string;
  jti: string;
  expires_at: number;
}

export interface ReplayTable {
  tenant_id: string;
  /** SHA-256 of the caller's key: fixed width whatever the caller sends. */
  key_hash: string;
  expires_at: number;
}

export interface SigningKeysTable {
  tenant_id: string;
  kid: string;
  alg: string;
  status: string;
  /**
   * `<alg>:active` or `<alg>:next`, NULL once retired. A unique index on (tenant_id, live_slot)
   * lets each dialect enforce "one active and one next key per alg" (NULLs never collide).
   */
  live_slot: string | null;
  public_jwk: string;
  private_jwk_encrypted: string;
  created_at: number;
  activated_at: number | null;
  retires_at: number | null;
}

/** Usernames are stored lower-cased; (tenant_id, username) is unique. */
export interface UsersTable {
  tenant_id: string;
  id: string;
  username: string;
  password_hash: string | null;
  roles: string;
  claims: string;
  disabled: ColumnType<boolean | number, number, number>;
  /** The sign-in generation (0007), part of every per-user sign-in limiter key. */
  signin_epoch: ColumnType<number, number | undefined, number>;
  /** The session generation (0008): a console session cookie of another generation is refused. */
  session_epoch: ColumnType<number, number | undefined, number>;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  tenant_id: string;
  hash: string;
  accounts: string;
  current_user_id: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** The `sid` of each account of a session (findBySid), kept in step with `sessions.accounts`. */
export interface SessionSidsTable {
  tenant_id: string;
  session_hash: string;
  sid: string;
  /** The account's user and auth_time (0004): a user's sessions by (user_id, auth_time, sid). */
  user_id: string | null;
  auth_time: number | null;
}

export interface ConsentsTable {
  tenant_id: string;
  user_id: string;
  client_id: string;
  scopes: string;
  claims: string;
  created_at: number;
  updated_at: number;
}

export interface AuthorizationCodesTable {
  tenant_id: string;
  hash: string;
  client_id: string;
  redirect_uri: string;
  scope: string;
  resources: string;
  claims: string | null;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  auth: string;
  grant_id: string;
  cnf: string | null;
  issued_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface DeviceCodesTable {
  tenant_id: string;
  hash: string;
  user_code_hash: string;
  client_id: string;
  scope: string;
  resources: string;
  status: string;
  auth: string | null;
  granted_scope: string | null;
  grant_id: string;
  poll_interval: number;
  last_polled_at: number | null;
  issued_at: number;
  expires_at: number;
}

export interface ParRequestsTable {
  tenant_id: string;
  hash: string;
  client_id: string;
  params: string;
  expires_at: number;
  consumed_at: number | null;
}

/** The outbox (0005): one row per event; times in epoch milliseconds. */
export interface OutboxEventsTable {
  id: string;
  tenant_id: string;
  type: string;
  envelope: string;
  created_at: number;
}

/** One row per (sink, event): `state` is `pending`, `delivered` or `dead`. */
export interface OutboxDeliveriesTable {
  sink: string;
  event_id: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number;
  settled_at: number | null;
  last_error: string | null;
}

export interface Database {
  clients: ClientsTable;
  tokens: TokensTable;
  token_denylist: DenylistTable;
  replay_cache: ReplayTable;
  signing_keys: SigningKeysTable;
  users: UsersTable;
  sessions: SessionsTable;
  session_sids: SessionSidsTable;
  consents: ConsentsTable;
  authorization_codes: AuthorizationCodesTable;
  device_codes: DeviceCodesTable;
  par_requests: ParRequestsTable;
  outbox_events: OutboxEventsTable;
  outbox_deliveries: OutboxDeliveriesTable;
  audit_log: AuditLogTable;
  audit_heads: AuditHeadsTable;
}

/** One audit record (0006): a link of the tenant's hash chain; `at` is epoch milliseconds. */
export interface AuditLogTable {
  tenant_id: string;
  seq: number;
  at: number;
  actor_kind: string;
  actor_id: string;
  action: string;
  object_type: string;
  object_id: string | null;
  origin: string;
  outcome: string;
  error_code: string | null;
  /** canonicalJson(detail). */
  detail: string;
  prev_hash: string;
  hash: string;
}

/** The chain head of a tenant (0006): locked by every append. */
export interface AuditHeadsTable {
  tenant_id: string;
  seq: number;
  hash: string;
}
