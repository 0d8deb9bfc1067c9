/**
 * JSON Schemas of what the admin API answers (OpenAPI `responses`), one per view of src/app.
 * They describe, they do not filter: the route sends what the use case returned. The flow test
 * validates every 2xx answer it gets against the schema documented for its route, so a view that
 * drifts from its schema fails there (test/flows/admin-api-matrix.test.ts).
 */
type Schema = Record<string, unknown>;

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const strs = { type: 'array', items: str } as const;
const nullable = (s: Schema): Schema => ({ ...s, type: [s['type'] as string, 'null'] });
const epoch = (what: string): Schema => ({ type: 'integer', description: `${what} (epoch seconds)` });

/** An object whose members are all listed (closed), every listed member required unless `optional` names it. */
function closed(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties).filter((k) => !optional.includes(k)), properties };
}

/** `{ items, next_cursor }` of a list use case. */
export function listOf(item: Schema, description: string): Schema {
  return {
    ...closed({ items: { type: 'array', items: item }, next_cursor: nullable({ type: 'string', description: 'pass back as cursor; null on the last page' }) }),
    description,
  };
}

/** RFC 7591 §3.2.1 client information (open: further registered metadata is echoed), plus the operator's fields. */
export const clientSchema: Schema = {
  type: 'object',
  description: 'A client: RFC 7591 client information (never a secret or its hash) plus disabled and updated_at',
  required: ['client_id', 'client_id_issued_at', 'redirect_uris', 'grant_types', 'response_types', 'token_endpoint_auth_method', 'disabled', 'updated_at'],
  properties: {
    client_id: str,
    client_id_issued_at: epoch('created'),
    client_secret_expires_at: { type: 'integer', description: '0: never' },
    client_name: str,
    redirect_uris: strs,
    grant_types: strs,
    response_types: strs,
    token_endpoint_auth_method: str,
    token_endpoint_auth_signing_alg: str,
    scope: str,
    jwks: { type: 'object' },
    jwks_uri: str,
    access_token_format: { type: 'string', enum: ['jwt', 'opaque'] },
    disabled: bool,
    updated_at: epoch('last change'),
  },
  additionalProperties: true,
};

/** A client with the secret just issued (shown once). */
export const clientWithSecretSchema: Schema = {
  ...clientSchema,
  description: 'The client and, when one was just issued, its client_secret (shown this once; only its hash is stored)',
  properties: { ...(clientSchema['properties'] as Schema), client_secret: str },
};

export const userSchema: Schema = closed({
  id: str,
  username: str,
  roles: strs,
  claims: { type: 'object', description: 'OpenID Connect standard claims' },
  attributes: { type: 'object', description: 'custom attributes (users.attributes)' },
  groups: strs,
  disabled: bool,
  has_password: bool,
  session_epoch: {
    type: 'integer',
    description: 'the session generation: changes when every session of the user ends (end-sessions, a new password, disable)',
  },
  created_at: epoch('created'),
  updated_at: epoch('last change'),
});

/** A user after disable / set-password: the user plus what was ended with it. */
export const userWithEndedSchema: Schema = {
  ...userSchema,
  required: [...(userSchema['required'] as string[]), 'sessions_ended', 'grants_revoked'],
  properties: { ...(userSchema['properties'] as Schema), sessions_ended: int, grants_revoked: int },
};

export const grantSchema: Schema = closed({
  grant_id: str,
  client_id: str,
  user_id: nullable(str),
  scope: str,
  created_at: epoch('created'),
  last_used_at: epoch('last use'),
  expires_at: epoch('expiry'),
  active_tokens: int,
});

export const sessionSchema: Schema = closed({
  sid: str,
  user_id: str,
  auth_time: epoch('sign-in'),
  amr: strs,
  acr: nullable(str),
  client_ids: strs,
  created_at: epoch('created'),
  last_seen_at: epoch('last seen'),
  expires_at: epoch('expiry'),
});

export const consentSchema: Schema = closed({ user_id: str, client_id: str, scopes: strs, claims: strs, created_at: int, updated_at: int });

export const keySchema: Schema = closed({
  kid: str,
  alg: str,
  status: { type: 'string', enum: ['next', 'active', 'retired'] },
  created_at: int,
  activated_at: nullable(int),
  retires_at: nullable({ type: 'integer', description: 'when a retired key leaves the JWKS' }),
  published: { type: 'boolean', description: 'in the JWKS now' },
});

export const auditRecordSchema: Schema = closed({
  seq: int,
  time: { type: 'string', format: 'date-time' },
  time_ms: int,
  actor: closed({ kind: str, id: str }),
  action: str,
  object: closed({ type: str, id: nullable(str) }),
  origin: str,
  outcome: { type: 'string', enum: ['success', 'denied', 'failed'] },
  error_code: nullable(str),
  detail: { type: 'object' },
  prev_hash: str,
  hash: str,
});

export const auditVerifySchema: Schema = {
  type: 'object',
  description: 'ok: true with records, firstSeq and head; or ok: false with the first bad seq and the problem',
  required: ['ok', 'records', 'ms'],
  properties: { ok: bool, records: int, firstSeq: nullable(int), head: { type: 'object' }, seq: int, problem: str, ms: int },
  additionalProperties: false,
};

export const eventSchema: Schema = closed({
  id: { type: 'string', description: 'the CloudEvents id (UUID v7)' },
  type: { type: 'string', description: 'the CloudEvents type' },
  created_at: { type: 'integer', description: 'epoch milliseconds' },
  subject: nullable(str),
  data: { description: 'the CloudEvents data as delivered' },
  deliveries: {
    type: 'array',
    items: closed({
      sink: str,
      state: { type: 'string', enum: ['pending', 'delivered', 'dead'] },
      attempts: int,
      next_attempt_at: nullable({ type: 'integer', description: 'epoch ms; pending only' }),
      settled_at: nullable({ type: 'integer', description: 'epoch ms' }),
      last_error: nullable(str),
    }),
  },
});

export const sinkHealthSchema: Schema = closed({
  streaming: bool,
  sinks: {
    type: 'array',
    items: closed({
      sink: str,
      pending: int,
      lag_ms: int,
      dead_letters: int,
      breaker: { type: ['string', 'null'], enum: ['closed', 'open', 'half_open', null] },
    }),
  },
});

export const deviceCodeSchema: Schema = closed({
  id: { type: 'string', description: 'the stored SHA-256 of the device code (never the code)' },
  client_id: str,
  scope: str,
  resources: strs,
  issued_at: int,
  expires_at: int,
  interval: int,
  last_polled_at: nullable(int),
});

export const settingsSchema: Schema = { type: 'object', description: 'The effective configuration, secrets as "[redacted]"', additionalProperties: true };

export const exportSchema: Schema = closed(
  {
    format: { type: 'string', const: 'gatehouse.export' },
    version: { type: 'integer', const: 1 },
    exported_at: int,
    issuer: str,
    clients: {
      type: 'array',
      items: {
        ...clientSchema,
        description: 'RFC 7591 metadata plus the stored secret forms',
        properties: {
          ...(clientSchema['properties'] as Schema),
          secret_hash: nullable(str),
          secret_sealed: nullable(str),
          registration_access_token_hash: nullable(str),
        },
      },
    },
    users: {
      type: 'array',
      items: {
        ...userSchema,
        required: ['id', 'username', 'created_at'],
        properties: { ...(userSchema['properties'] as Schema), password_hash: nullable(str) },
      },
    },
    settings: settingsSchema,
  },
  ['exported_at', 'issuer', 'settings'],
);

const counts = closed({ created: int, updated: int });
export const importResultSchema: Schema = closed({
  mode: { type: 'string', enum: ['create', 'upsert'] },
  clients: counts,
  users: counts,
  settings: { type: 'string', const: 'ignored' },
});

/** Small results of actions. */
export const results = {
  clientDeleted: closed({ client_id: str, grants_revoked: int, consents_deleted: int }),
  clientGrantsRevoked: closed({ client_id: str, grants_revoked: int }),
  userGrantsRevoked: closed({ user_id: str, grants_revoked: int }),
  grantsRevoked: { type: 'object', oneOf: [closed({ client_id: str, grants_revoked: int }), closed({ user_id: str, grants_revoked: int })] },
  userDeleted: closed({ id: str, username: str, sessions_ended: int, grants_revoked: int, consents_deleted: int }),
  userUnlocked: closed({ id: str, username: str, counters_cleared: int }),
  grantRevoked: closed({ grant_id: str, tokens_revoked: int }),
  sessionsEnded: closed(
    {
      user_id: str,
      sessions_ended: int,
      backchannel: { type: 'integer', description: 'Logout Tokens queued' },
      session_epoch: { type: 'integer', description: "the user's new session generation (end-sessions): every console session of the user ended" },
    },
    ['session_epoch'],
  ),
  consentRevoked: closed({ user_id: str, client_id: str }),
  keysRotated: closed({ rotated: strs, keys: { type: 'array', items: keySchema } }),
  deviceDenied: closed({ id: str, client_id: str, status: { type: 'string', const: 'denied' } }),
  bulkDisabled: closed({
    items: { type: 'array', items: closed({ client_id: str, disabled: bool, code: str, detail: str }, ['code', 'detail']) },
  }),
} as const;
