// Bulk seeding for the list-paging benchmark: multi-row INSERTs in transactions (SQL) or the
// ports (memory), never one round trip per row through the port.
import type { Kysely } from 'kysely';
import type { Client } from '../../src/core/model/client.ts';
import type { TokenRecord } from '../../src/core/model/token.ts';
import type { User } from '../../src/core/model/user.ts';
import type { Storage } from '../../src/core/ports/storage.ts';
import { nameKey } from '../../src/storage/list-options.ts';
import type { Database } from '../../src/storage/sql/schema.ts';

export const TENANT = 'bench';
export const T0 = 1_760_000_000;
/** A user with many grants, and a client holding a share of every user's grants. */
export const HEAVY_USER = 'user-heavy';
export const HEAVY_USER_GRANTS = 50;
export const GRANT_CLIENTS = 100;

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike'];
const pad = (i: number) => String(i).padStart(6, '0');

/** A deterministic shuffle so ids, names and times are not inserted in order. */
function scramble(i: number, n: number): number {
  return (i * 7_919) % n;
}

export interface Dataset {
  readonly clients: Client[];
  readonly users: User[];
  readonly tokens: TokenRecord[];
}

export function makeDataset(rows: number): Dataset {
  const clients: Client[] = [];
  const users: User[] = [];
  const tokens: TokenRecord[] = [];
  for (let n = 0; n < rows; n++) {
    const i = scramble(n, rows);
    clients.push({
      tenantId: TENANT,
      clientId: `client-${pad(i)}`,
      clientName: `${WORDS[i % WORDS.length]} ${WORDS[(i >> 4) % WORDS.length]} App ${i}`,
      secretHash: 'x'.repeat(43),
      secretEncrypted: null,
      secretExpiresAt: null,
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenEndpointAuthSigningAlg: null,
      grantTypes: ['authorization_code', 'refresh_token'],
      responseTypes: ['code'],
      redirectUris: [`https://app${i}.example/cb`],
      scopes: ['openid', 'profile'],
      jwks: null,
      jwksUri: null,
      accessTokenFormat: null,
      metadata: {},
      registrationAccessTokenHash: null,
      disabled: false,
      createdAt: T0 + (i % 5_000),
      updatedAt: T0,
    });
    users.push({
      tenantId: TENANT,
      id: `u-${pad(i)}`,
      username: `${WORDS[i % WORDS.length]}.${pad(i)}`,
      passwordHash: null,
      roles: ['user'],
      attributes: {},
      groups: [],
      claims: { email: `user${i}@example.com` },
      disabled: false,
      createdAt: T0 + (i % 7_000),
      updatedAt: T0,
    });
  }
  // rows tokens: a refresh and an access token per grant; grants of ordinary users, the heavy user, client_credentials.
  const grants = Math.floor(rows / 2);
  for (let g = 0; g < grants; g++) {
    const heavy = g < HEAVY_USER_GRANTS;
    const userId = heavy ? HEAVY_USER : `u-${pad(scramble(g, rows))}`;
    const clientId = `client-${pad(g % GRANT_CLIENTS)}`;
    const base = {
      tenantId: TENANT,
      jti: `j-${g}`,
      clientId,
      subject: userId,
      userId,
      audience: ['https://api.example'],
      grantId: `grant-${pad(g)}`,
      parentHash: null,
      cnf: null,
      claims: {},
      revokedAt: null,
      consumedAt: null,
    } as const;
    tokens.push({ ...base, hash: `rt-${pad(g)}`, kind: 'refresh_token', scope: 'openid profile offline_access', issuedAt: T0 + g, expiresAt: T0 + 10_000_000 });
    tokens.push({ ...base, hash: `at-${pad(g)}`, jti: `ja-${g}`, kind: 'access_token', scope: 'openid', issuedAt: T0 + g + 1, expiresAt: T0 + 10_000_000 });
  }
  return { clients, users, tokens };
}

export async function seedMemory(storage: Storage, data: Dataset): Promise<void> {
  for (const c of data.clients) await storage.clients.create(c);
  for (const u of data.users) await storage.users.create(u);
  for (const t of data.tokens) await storage.tokens.insert(t);
}

const json = (v: unknown) => JSON.stringify(v);

/** Multi-row INSERTs of `batch` rows, all in one transaction per table. */
export async function seedSql(db: Kysely<Database>, data: Dataset, batch = 500): Promise<void> {
  const chunks = <T>(rows: readonly T[]) => Array.from({ length: Math.ceil(rows.length / batch) }, (_, i) => rows.slice(i * batch, (i + 1) * batch));
  await db.transaction().execute(async (trx) => {
    for (const part of chunks(data.clients)) {
      await trx
        .insertInto('clients')
        .values(
          part.map((c) => ({
            tenant_id: c.tenantId,
            client_id: c.clientId,
            client_name: c.clientName,
            client_name_key: nameKey(c.clientName),
            secret_hash: c.secretHash,
            secret_encrypted: null,
            secret_expires_at: null,
            token_endpoint_auth_method: c.tokenEndpointAuthMethod,
            token_endpoint_auth_signing_alg: null,
            grant_types: json(c.grantTypes),
            response_types: json(c.responseTypes),
            redirect_uris: json(c.redirectUris),
            scopes: json(c.scopes),
            jwks: null,
            jwks_uri: null,
            access_token_format: null,
            metadata: '{}',
            registration_access_token_hash: null,
            disabled: 0,
            created_at: c.createdAt,
            updated_at: c.updatedAt,
          })),
        )
        .execute();
    }
  });
  await db.transaction().execute(async (trx) => {
    for (const part of chunks(data.users)) {
      await trx
        .insertInto('users')
        .values(
          part.map((u) => ({
            tenant_id: u.tenantId,
            id: u.id,
            username: u.username,
            password_hash: null,
            roles: json(u.roles),
            claims: json(u.claims),
            disabled: 0,
            created_at: u.createdAt,
            updated_at: u.updatedAt,
          })),
        )
        .execute();
    }
  });
  await db.transaction().execute(async (trx) => {
    for (const part of chunks(data.tokens)) {
      await trx
        .insertInto('tokens')
        .values(
          part.map((t) => ({
            tenant_id: t.tenantId,
            hash: t.hash,
            kind: t.kind,
            jti: t.jti,
            client_id: t.clientId,
            subject: t.subject,
            user_id: t.userId,
            scope: t.scope,
            audience: json(t.audience),
            grant_id: t.grantId,
            parent_hash: null,
            issued_at: t.issuedAt,
            expires_at: t.expiresAt,
            cnf: null,
            claims: '{}',
            revoked_at: null,
            consumed_at: null,
          })),
        )
        .execute();
    }
  });
}
