/**
 * Building blocks for application-layer tests (src/app/*.test.ts): the real memory storage, a
 * real KeyManager, a real EventBus recording every event, the real argon2id hasher (cheap
 * parameters) and the real back-channel delivery, wired by `createApplication`.
 */
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter.ts';
import assert from 'node:assert/strict';
import { testOutbound } from './outbound.ts';
import { createApplication, type Actor, type Application, type ApplicationConfig, type ApplicationDeps } from '../../src/app/index.ts';
import type { AuditStore } from '../../src/core/ports/audit-store.ts';
import { createClientService } from '../../src/core/clients/client-service.ts';
import { DEFAULT_TENANT } from '../../src/core/model/tenant.ts';
import { createUserService } from '../../src/core/users/user-service.ts';
import type { SigningAlg } from '../../src/core/model/key.ts';
import type { TokenRecord } from '../../src/core/model/token.ts';
import { createBackchannelDelivery, type BackchannelDelivery } from '../../src/logout/backchannel-delivery.ts';
import { cheapParamsForTests, createArgon2PasswordHasher } from '../../src/security/argon2-password-hasher.ts';
import { coreWorld, ISSUER, type CoreWorld } from './core-fixtures.ts';

export const ADMIN: Actor = { kind: 'admin_user', id: 'root', roles: ['admin'] };
export const OPERATOR: Actor = { kind: 'admin_client', id: 'ops-bot', roles: ['operator'] };
export const VIEWER: Actor = { kind: 'admin_user', id: 'auditor', roles: ['viewer'] };
export const NOBODY: Actor = { kind: 'admin_user', id: 'nobody', roles: [] };

export interface AppWorld extends CoreWorld {
  readonly app: Application;
  readonly config: ApplicationConfig;
  readonly delivery: BackchannelDelivery;
  /** The sign-in counters the application's `users.unlock` clears. */
  readonly rateLimiter: MemoryRateLimiter;
  /** epoch seconds now */
  now(): number;
}

export async function appWorld(
  opts: {
    algorithms?: readonly SigningAlg[];
    users?: Partial<ApplicationConfig['users']>;
    audit?: AuditStore;
    onAuditFailure?: ApplicationDeps['onAuditFailure'];
  } = {},
): Promise<AppWorld> {
  const algorithms = opts.algorithms ?? ['ES256'];
  const w = await coreWorld(algorithms);
  const config: ApplicationConfig = {
    env: 'development',
    issuer: ISSUER,
    keys: { algorithms },
    tokens: { accessTokenTtl: 3600, idTokenSigningAlg: 'ES256', subjectType: 'public' },
    authorization: { implicit: false, allowUnsignedRequestObjects: false },
    resources: [{ accessTokenTtl: 7200 }],
    users: { revokeOnDisable: true, revokeOnPasswordChange: true, ...opts.users },
  };
  const delivery = createBackchannelDelivery({ events: w.events, clock: w.clock, http: testOutbound() }, { timeoutMs: 2000, retries: 0 });
  const s = w.storage;
  const ports = { clock: w.clock, random: w.random, events: w.events, tenantId: DEFAULT_TENANT };
  const rateLimiter = new MemoryRateLimiter();
  const app = createApplication({
    ...ports,
    clients: s.clients,
    deviceCodes: s.deviceCodes,
    users: s.users,
    tokens: s.tokens,
    denylist: s.denylist,
    consents: s.consents,
    grants: s.grants,
    userSessions: s.userSessions,
    keys: w.keys,
    logoutNotifier: delivery,
    config,
    rateLimiter,
    audit: opts.audit ?? s.audit,
    ...(opts.onAuditFailure ? { onAuditFailure: opts.onAuditFailure } : {}),
    userService: createUserService({
      ...ports,
      users: s.users,
      attributes: config.users.attributes ?? {},
      passwordHasher: createArgon2PasswordHasher({ params: cheapParamsForTests }),
    }),
    clientService: createClientService({ ...ports, clients: s.clients, kek: Buffer.alloc(32, 9) }),
  });
  w.events.seen.length = 0; // key creation at start-up is not what a test looks at
  return { ...w, app, config, delivery, rateLimiter, now: () => Math.floor(w.clock.now() / 1000) };
}

/** Asserts a GatehouseError with this code (and message matching `message`, when given). */
export async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error & { code?: string }) => {
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** Asserts that nothing secret appears anywhere in a result (names or known secret values). */
export function assertNoSecrets(value: unknown, secrets: readonly (string | null | undefined)[] = []): void {
  const text = JSON.stringify(value);
  for (const name of [
    'secretHash',
    'secret_hash',
    'secretEncrypted',
    'secret_encrypted',
    'passwordHash',
    'password_hash',
    'registrationAccessTokenHash',
    'privateJwk',
    'private_jwk',
    '$argon2',
    '"d":',
  ]) {
    assert.ok(!text.includes(name), `result mentions ${name}`);
  }
  for (const s of secrets) if (s) assert.ok(!text.includes(s), 'result holds a secret value');
}

/** A stored token (refresh or opaque access) of a grant, as the token endpoint writes one. */
export function tokenRecord(
  w: AppWorld,
  t: { hash: string; grantId: string; clientId: string; userId: string | null; kind?: TokenRecord['kind']; ttl?: number },
): TokenRecord {
  const now = w.now();
  return {
    tenantId: DEFAULT_TENANT,
    hash: t.hash,
    kind: t.kind ?? 'refresh_token',
    jti: `jti-${t.hash}`,
    clientId: t.clientId,
    subject: t.userId ?? t.clientId,
    userId: t.userId,
    scope: 'openid offline_access',
    audience: [],
    grantId: t.grantId,
    parentHash: null,
    issuedAt: now,
    expiresAt: now + (t.ttl ?? 3600),
    cnf: null,
    claims: {},
    revokedAt: null,
    consumedAt: null,
  };
}

let sessions = 0;
/** One browser session holding one account per sid, each with the clients that got tokens in it. */
export async function signIn(
  w: AppWorld,
  accounts: readonly { userId: string; sid: string; clientIds?: readonly string[]; authTime?: number }[],
): Promise<string> {
  const now = w.now();
  const hash = `session-hash-${++sessions}`;
  await w.storage.sessions.create({
    tenantId: DEFAULT_TENANT,
    hash,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + 3600,
    currentUserId: accounts[0]?.userId ?? null,
    accounts: accounts.map((a) => ({
      userId: a.userId,
      sid: a.sid,
      authTime: a.authTime ?? now,
      amr: ['pwd'],
      acr: null,
      clientIds: [...(a.clientIds ?? [])],
    })),
  });
  return hash;
}
