/**
 * Fakes for OIDC core unit tests (ID tokens, code and refresh grants, UserInfo): a user, a user
 * store and a code store with the ports' semantics (atomic `take`), so the tests do not depend on
 * a storage adapter.
 */
import { sha256 } from '../../src/core/crypto.ts';
import { createIdTokenIssuer, type IdTokenConfig } from '../../src/core/id-token/id-token-issuer.ts';
import type { AuthenticationContext, AuthorizationCodeRecord } from '../../src/core/model/authorization-code.ts';
import { DEFAULT_TENANT } from '../../src/core/model/tenant.ts';
import type { User } from '../../src/core/model/user.ts';
import type { CodeStore, TakeResult } from '../../src/core/ports/code-store.ts';
import type { UserStore } from '../../src/core/ports/user-store.ts';
import type { GrantDeps } from '../../src/core/token/grant-registry.ts';
import type { AccessTokenIssuer } from '../../src/core/tokens/issue-access-token.ts';
import { createUserSubjects } from '../../src/core/tokens/user-subject.ts';
import { ISSUER, T0, type CoreWorld } from './core-fixtures.ts';

export function makeUser(overrides: Partial<User> = {}): User {
  return {
    tenantId: DEFAULT_TENANT,
    id: 'u-1',
    username: 'jane',
    passwordHash: null,
    roles: ['user'],
    attributes: {},
    groups: [],
    claims: { name: 'Jane Doe', given_name: 'Jane', email: 'jane@example.com', email_verified: true, phone_number: '+1 555 0100' },
    disabled: false,
    createdAt: T0 / 1000,
    updatedAt: T0 / 1000,
    ...overrides,
  };
}

export function makeAuth(overrides: Partial<AuthenticationContext> = {}): AuthenticationContext {
  return { userId: 'u-1', sid: 'sid-1', authTime: T0 / 1000 - 60, amr: ['pwd'], acr: 'urn:gatehouse:pwd', ...overrides };
}

/** A UserStore over a Map (only what the grants and UserInfo read). */
export function fakeUserStore(...users: User[]): UserStore & { put(u: User): void } {
  const map = new Map(users.map((u) => [u.id, u]));
  return {
    put: (u) => {
      map.set(u.id, u);
    },
    async create(u) {
      map.set(u.id, u);
    },
    async get(_t, id) {
      return map.get(id);
    },
    async findByUsername(_t, name) {
      return [...map.values()].find((u) => u.username === name);
    },
    async page() {
      return { items: [...map.values()], next: null };
    },
    async delete(_t, id) {
      return map.delete(id);
    },
    async update(_t, id, patch) {
      const u = map.get(id);
      if (!u) return undefined;
      const next = { ...u, ...patch };
      map.set(id, next);
      return next;
    },
  };
}

/** A CodeStore over a Map: `take` is a compare-and-set on consumedAt, as the port requires. */
export function fakeCodeStore(): CodeStore {
  const map = new Map<string, AuthorizationCodeRecord>();
  return {
    async insert(r) {
      if (map.has(r.hash)) throw new Error('duplicate');
      map.set(r.hash, r);
    },
    async find(_t, hash) {
      return map.get(hash);
    },
    async take(_t, hash, at): Promise<TakeResult<AuthorizationCodeRecord>> {
      const r = map.get(hash);
      if (!r) return { result: 'not-found' };
      if (r.consumedAt !== null) return { result: 'already-consumed', record: r };
      const next = { ...r, consumedAt: at };
      map.set(hash, next);
      return { result: 'consumed', record: next };
    },
    async purgeExpired() {
      return 0;
    },
  };
}

/** Everything the user grants need, on a CoreWorld (memory tokens, fake codes and users). */
export function grantDeps(
  w: CoreWorld,
  opts: { accessTokens: AccessTokenIssuer; users?: UserStore; codes?: CodeStore; config?: Partial<UserGrantTestConfig> },
): GrantDeps {
  const config: UserGrantTestConfig = {
    issuer: ISSUER,
    tokens: {
      accessTokenTtl: 300,
      refreshTokenTtl: 86_400,
      refreshTokenAbsoluteTtl: 7 * 86_400,
      idTokenTtl: 600,
      idTokenSigningAlg: 'ES256',
      subjectType: 'public',
      pairwiseSalt: 'pairwise-salt-0123456789',
    },
    resources: [],
    ...opts.config,
  };
  const users = opts.users ?? fakeUserStore(makeUser());
  const idTokens = createIdTokenIssuer({ keys: w.keys, clock: w.clock, tenantId: w.tenantId }, config);
  const deps = {
    accessTokens: opts.accessTokens,
    idTokens,
    subjects: createUserSubjects(KEK, idTokens.subjectFor),
    codes: opts.codes ?? fakeCodeStore(),
    users,
    clients: w.storage.clients,
    keys: w.keys,
    tokens: w.storage.tokens,
    denylist: w.storage.denylist,
    clock: w.clock,
    random: w.random,
    events: w.events,
    tenantId: w.tenantId,
    config: { ...config, clientAuth: { clockSkew: 30 }, resources: config.resources.map((r) => ({ identifier: 'https://resource.example', ...r })) },
    // RFC 8628 grant: no device codes in these tests.
    deviceCodes: { poll: async () => undefined, consume: async () => 'not-found' as const, slowDown: async () => {} },
    // RFC 7523 grant: no trusted issuers in these tests (the grant is not registered).
    replay: w.storage.replay,
    trustedIssuers: {
      get: () => undefined,
      allows: () => false,
      keys: () => {
        throw new Error('no trusted issuers');
      },
    },
  };
  return deps;
}

export interface UserGrantTestConfig extends IdTokenConfig {
  readonly tokens: IdTokenConfig['tokens'] & { readonly accessTokenTtl: number; readonly refreshTokenTtl: number; readonly refreshTokenAbsoluteTtl: number };
  readonly resources: readonly { readonly accessTokenTtl?: number }[];
}

/** A fixed KEK for tests (sealed user ids). */
export const KEK = Buffer.alloc(32, 7);

/** RFC 7636 Appendix B verifier and its S256 challenge. */
export const PKCE = { verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' } as const;

/** A code record as the authorization endpoint would store it (hash of `code`). */
export function makeCodeRecord(code: string, overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
  return {
    tenantId: DEFAULT_TENANT,
    hash: sha256(code),
    clientId: 'rp',
    redirectUri: 'https://rp.example/cb',
    scope: 'openid email offline_access',
    resources: [],
    claims: null,
    nonce: 'nonce-1',
    codeChallenge: PKCE.challenge,
    codeChallengeMethod: 'S256',
    auth: makeAuth(),
    grantId: `grant-${code}`,
    cnf: null,
    issuedAt: T0 / 1000,
    expiresAt: T0 / 1000 + 60,
    consumedAt: null,
    ...overrides,
  };
}
