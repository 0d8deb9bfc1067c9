/**
 * A world for the authorization core's unit tests: memory storage, ES256 keys, the real ID token
 * issuer, hint verifier, access token issuer and user subjects, a settable clock and an event
 * recorder. Clients and users are created on demand; `signIn` puts a live session in the store.
 */
import { randomBytes } from 'node:crypto';
import { createAuthorizationService, type AuthorizationDeps, type AuthorizeConfig } from '../../src/core/authorize/authorization-service.ts';
import type { AuthorizationService, InteractionProgress } from '../../src/core/authorize/types.ts';
import { createIdTokenHintVerifier } from '../../src/core/id-token/id-token-hint.ts';
import { createIdTokenIssuer } from '../../src/core/id-token/id-token-issuer.ts';
import type { Client } from '../../src/core/model/client.ts';
import type { SessionAccount, SessionRecord } from '../../src/core/model/session.ts';
import type { User } from '../../src/core/model/user.ts';
import { createAccessTokenIssuer } from '../../src/core/tokens/issue-access-token.ts';
import { createUserSubjects } from '../../src/core/tokens/user-subject.ts';
import { coreWorld, ISSUER, makeClient, type CoreWorld } from './core-fixtures.ts';
import { makeUser } from './oidc-fixtures.ts';

export const WEB_REDIRECT = 'https://rp.example/cb';
export const ALL_RESPONSE_TYPES = ['code', 'code id_token', 'code token', 'code id_token token', 'id_token', 'id_token token'];
export const NO_PROGRESS: InteractionProgress = { loginAt: null, consentedSid: null, confirmedSid: null, accountChosen: false };

export interface AuthorizeConfigOverrides {
  readonly authorization?: Partial<AuthorizeConfig['authorization']>;
  readonly login?: Partial<AuthorizeConfig['login']>;
  readonly resources?: AuthorizeConfig['resources'];
  readonly requireResourceRegistration?: boolean;
}

export function authorizeConfig(o: AuthorizeConfigOverrides = {}): AuthorizeConfig {
  return {
    issuer: ISSUER,
    authorization: { codeTtl: 60, pkceRequired: 'public', allowPlainPkce: false, implicit: false, requirePar: false, ...o.authorization },
    login: { acrValues: ['urn:gatehouse:pwd'], ...o.login },
    resources: o.resources ?? [],
    requireResourceRegistration: o.requireResourceRegistration ?? false,
  };
}

/** A confidential web RP registered for every response type. */
export function webClient(over: Partial<Client> = {}): Client {
  return makeClient({
    clientId: 'web',
    grantTypes: ['authorization_code', 'refresh_token', 'implicit'],
    responseTypes: ALL_RESPONSE_TYPES,
    redirectUris: [WEB_REDIRECT],
    scopes: ['openid', 'profile', 'email', 'offline_access', 'read'],
    ...over,
  });
}

/** A public native app with a loopback redirect URI. */
export function nativeClient(over: Partial<Client> = {}): Client {
  return webClient({
    clientId: 'app',
    tokenEndpointAuthMethod: 'none',
    redirectUris: ['http://127.0.0.1/callback'],
    metadata: { application_type: 'native' },
    ...over,
  });
}

export interface AuthorizeWorld extends CoreWorld {
  readonly config: AuthorizeConfig;
  readonly deps: AuthorizationDeps;
  readonly service: AuthorizationService;
  addClient(client: Client): Promise<Client>;
  addUser(over?: Partial<User>): Promise<User>;
  /** A live session holding `userIds` (the first is current), signed in `ageSeconds` ago. */
  signIn(userIds: readonly string[], opts?: { ageSeconds?: number; acr?: string | null }): Promise<SessionRecord>;
  /** A fresh service over the same stores with other deps or config. */
  with(over: { deps?: Partial<AuthorizationDeps>; config?: AuthorizeConfigOverrides }): AuthorizationService;
}

export async function authorizeWorld(o: AuthorizeConfigOverrides = {}): Promise<AuthorizeWorld> {
  const w = await coreWorld(['ES256']);
  const config = authorizeConfig(o);
  const tokenConfig = {
    issuer: ISSUER,
    tokens: {
      idTokenTtl: 600,
      idTokenSigningAlg: 'ES256' as const,
      subjectType: 'public' as const,
      accessTokenTtl: 300,
      accessTokenFormat: 'jwt' as const,
      accessTokenSigningAlg: 'ES256' as const,
    },
  };
  const idTokens = createIdTokenIssuer({ keys: w.keys, clock: w.clock, tenantId: w.tenantId }, tokenConfig);
  const deps: AuthorizationDeps = {
    clients: w.storage.clients,
    users: w.storage.users,
    consents: w.storage.consents,
    sessions: w.storage.sessions,
    codes: w.storage.codes,
    clock: w.clock,
    random: w.random,
    events: w.events,
    tenantId: w.tenantId,
    idTokens,
    idTokenHints: createIdTokenHintVerifier(w.keys, { issuer: ISSUER }),
    accessTokens: createAccessTokenIssuer(
      { tokens: w.storage.tokens, clock: w.clock, random: w.random, events: w.events, keys: w.keys, tenantId: w.tenantId },
      { ...tokenConfig, resources: config.resources, requireResourceRegistration: config.requireResourceRegistration },
    ),
    subjects: createUserSubjects(randomBytes(32), idTokens.subjectFor),
  };
  let sessions = 0;
  return {
    ...w,
    config,
    deps,
    service: createAuthorizationService(deps, config),
    async addClient(client) {
      await w.storage.clients.create(client);
      return client;
    },
    async addUser(over = {}) {
      const u = makeUser(over);
      await w.storage.users.create(u);
      return u;
    },
    async signIn(userIds, opts = {}) {
      const now = Math.floor(w.clock.now() / 1000);
      const accounts: SessionAccount[] = userIds.map((userId, i) => ({
        userId,
        sid: `sid-${++sessions}-${i}`,
        authTime: now - (opts.ageSeconds ?? 60),
        amr: ['pwd'],
        acr: opts.acr === undefined ? 'urn:gatehouse:pwd' : opts.acr,
        clientIds: [],
      }));
      const session: SessionRecord = {
        tenantId: w.tenantId,
        hash: `session-${sessions}`,
        accounts,
        currentUserId: userIds[0] ?? null,
        createdAt: now - 100,
        lastSeenAt: now,
        expiresAt: now + 3600,
      };
      await w.storage.sessions.create(session);
      return session;
    },
    with(over) {
      return createAuthorizationService(
        { ...deps, ...over.deps },
        authorizeConfig({ ...o, ...over.config, authorization: { ...o.authorization, ...over.config?.authorization } }),
      );
    },
  };
}
