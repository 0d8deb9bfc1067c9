/**
 * The page routes (/authorize, /login, /consent, /select-account, /assets) over real HTTP with a
 * small scripted AuthorizationService instead of the real core, so the HTTP side (cookies, CSRF,
 * sealed interactions, pages, CSP, response modes) is tested on its own. Flow tests against the
 * whole server use test/support/server.ts.
 *
 *   const h = await startPagesHarness();
 *   h.addUser('alice', 'pw');
 *   const url = h.authorizeUrl({ scope: 'openid email', state: 's1' });
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { AuthorizationFailure, AuthorizationRequest, AuthorizationService, Decision, ResponseMode } from '../../src/core/authorize/types.ts';
import { OAuthError, type OAuthErrorCode } from '../../src/core/errors.ts';
import { EventBus } from '../../src/core/events.ts';
import { currentAccount, createSessionService } from '../../src/core/session/session-service.ts';
import { systemSleep, type Clock } from '../../src/core/ports/clock.ts';
import type { Ports, SessionStore } from '../../src/core/ports/index.ts';
import { loadPageAssets } from '../../src/http/assets/page-assets.ts';
import type { FlowContext } from '../../src/http/authorization-flow.ts';
import type { AppContext } from '../../src/http/context.ts';
import { createInteractionSealer } from '../../src/http/interaction.ts';
import { createAccountViews } from '../../src/core/session/account-views.ts';
import { deriveKey } from '../../src/core/keys/kek.ts';
import { createDeviceCookies } from '../../src/core/users/device-cookie.ts';
import { createPasswordSignIn } from '../../src/core/users/password-sign-in.ts';
import { createUserService } from '../../src/core/users/user-service.ts';
import { createCsrf } from '../../src/http/csrf.ts';
import { registerErrorHandling } from '../../src/http/errors.ts';
import { registerFormParser } from '../../src/http/form.ts';
import { createPageKit } from '../../src/http/pages/layout.ts';
import { registerResponseHeaders, securityHeaders } from '../../src/http/plugins/security-headers.ts';
import { registerAssetRoutes } from '../../src/http/routes/assets.ts';
import { registerAuthorizeRoutes } from '../../src/http/routes/authorize.ts';
import { registerInteractionRoutes } from '../../src/http/routes/interaction.ts';
import { MemoryRateLimiter } from '../../src/ratelimit/memory-rate-limiter.ts';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';

export const CLIENT_ID = 'harness-client';
export const REDIRECT_URI = 'https://rp.example.test/cb?tenant=a';

export interface PagesHarness {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly config: Config;
  readonly clock: Clock & { advance(seconds: number): void };
  /** complete() calls, in order. */
  readonly completed: AuthorizationRequest[];
  addUser(username: string, password: string, name?: string): Promise<string>;
  authorizeUrl(params?: Record<string, string>): string;
  sessionCount(): number;
  close(): Promise<void>;
}

const fail = (code: OAuthErrorCode, d: string, redirect: AuthorizationFailure['redirect']): AuthorizationFailure => ({
  error: OAuthError.of(code, d),
  redirect,
});

/**
 * A scripted authorization core: one client, `code` only; login when no current account or
 * prompt=login (until this interaction signed in); the chooser for prompt=select_account; consent
 * once per user for any scope beyond `openid` (remembered in memory), unless prompt=consent.
 */
function scriptedAuthorization(issuer: string, redirectUri: string, completed: AuthorizationRequest[]): AuthorizationService {
  const granted = new Set<string>();
  return {
    async resolve(raw) {
      if (raw['client_id'] !== CLIENT_ID) throw fail('invalid_request', 'unknown client', null);
      if (raw['redirect_uri'] !== redirectUri) throw fail('invalid_request', 'redirect_uri is not registered', null);
      const state = raw['state'] ?? null;
      const responseMode = (raw['response_mode'] ?? 'query') as ResponseMode;
      const redirect = { redirectUri, responseMode, state };
      if (raw['response_type'] !== 'code') throw fail('unsupported_response_type', 'response_type must be code', redirect);
      const scope = (raw['scope'] ?? 'openid').split(' ');
      const prompt = (raw['prompt'] ?? '').split(' ').filter(Boolean) as AuthorizationRequest['prompt'];
      return {
        client: { clientId: CLIENT_ID, clientName: 'Harness App', metadata: {} } as unknown as AuthorizationRequest['client'],
        redirectUri,
        responseType: 'code',
        responseMode,
        scope,
        openid: scope.includes('openid'),
        state,
        nonce: raw['nonce'] ?? null,
        codeChallenge: null,
        codeChallengeMethod: null,
        prompt,
        maxAge: null,
        idTokenHintSub: null,
        loginHint: raw['login_hint'] ?? null,
        acrValues: [],
        claims: raw['claims'] ? JSON.parse(raw['claims']) : null,
        uiLocales: [],
        display: null,
        resources: [],
        dpopJkt: null,
        params: { ...raw },
      };
    },
    async decide(req, session, progress): Promise<Decision> {
      const redirect = { redirectUri: req.redirectUri, responseMode: req.responseMode, state: req.state };
      const account = currentAccount(session);
      if (req.prompt.includes('none') && !account) throw fail('login_required', 'no session', redirect);
      if (!account || (req.prompt.includes('login') && progress.loginAt === null)) return { kind: 'interaction', page: 'login', reason: 'login' };
      if (req.prompt.includes('select_account') && !progress.accountChosen && progress.loginAt === null)
        return { kind: 'interaction', page: 'select_account', reason: 'prompt' };
      const needsConsent = req.scope.some((s) => s !== 'openid') && (!granted.has(account.userId) || req.prompt.includes('consent'));
      if (needsConsent && progress.consentedSid !== account.sid) return { kind: 'interaction', page: 'consent', reason: 'consent' };
      if (progress.consentedSid === account.sid) granted.add(account.userId);
      return {
        kind: 'complete',
        auth: { userId: account.userId, sid: account.sid, authTime: account.authTime, amr: account.amr, acr: account.acr },
        grantedScope: req.scope,
      };
    },
    async complete(req, decision) {
      completed.push(req);
      const params: Record<string, string> = { code: `code-${completed.length}-${decision.auth.userId}` };
      if (req.state !== null) params['state'] = req.state;
      params['iss'] = issuer;
      return { redirectUri: req.redirectUri, responseMode: req.responseMode, params };
    },
  };
}

/** `opts.redirectUri`: the client's one redirect URI (default REDIRECT_URI, never fetched). */
export async function startPagesHarness(overrides: Record<string, unknown> = {}, opts: { redirectUri?: string } = {}): Promise<PagesHarness> {
  const redirectUri = opts.redirectUri ?? REDIRECT_URI;
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = buildConfig({ issuer: url, log: { level: 'silent' }, ...overrides });
  let offset = 0;
  const clock = {
    now: () => Date.now() + offset,
    advance: (s: number) => {
      offset += s * 1000;
    },
  };
  const storage = createMemoryStorage({ clock });
  const kek = randomBytes(32);
  const ports = { ...storage, rateLimiter: new MemoryRateLimiter({ clock }), clock, random: { bytes: (n: number) => randomBytes(n) } } as unknown as Ports;
  // The real sign-in policy over a transparent hasher: argon2id is not what these tests are about.
  const passwordHasher = { hash: async (p: string) => `plain:${p}`, verify: async (h: string, p: string) => h === `plain:${p}`, needsRehash: () => false };
  const completed: AuthorizationRequest[] = [];
  // Session writes are observed so tests can say "nothing was written".
  const live = new Set<string>();
  const inner = storage.sessions;
  const sessions: SessionStore = {
    create: async (r) => {
      await inner.create(r);
      live.add(r.hash);
    },
    get: (t, h) => inner.get(t, h),
    findBySid: (t, sid) => inner.findBySid(t, sid),
    addClient: (t, sid, c) => inner.addClient(t, sid, c),
    update: (t, h, p) => inner.update(t, h, p),
    delete: async (t, h) => {
      live.delete(h);
      return inner.delete(t, h);
    },
    purgeExpired: (b) => inner.purgeExpired(b),
  };
  const ctx: FlowContext & Pick<AppContext, 'signIn'> = {
    config,
    clock,
    sessions: createSessionService({ sessions, clock, random: ports.random, tenantId: 'default' }, config),
    accountViews: createAccountViews({ users: storage.users, tenantId: 'default' }),
    pages: createPageKit(config, await loadPageAssets(config)),
    csrf: createCsrf(config, kek),
    interactions: createInteractionSealer(kek, clock, config),
    authorization: scriptedAuthorization(url, redirectUri, completed),
    signIn: createPasswordSignIn(
      {
        rateLimiter: ports.rateLimiter,
        userService: createUserService({ ...ports, passwordHasher, events: new EventBus(), tenantId: 'default' }),
        users: ports.users,
        tenantId: 'default',
        sleep: systemSleep,
        deviceCookies: createDeviceCookies(deriveKey(kek, 'gatehouse device cookie v1'), ports, config.login.deviceCookieTtl),
      },
      config,
    ),
  };
  const app = Fastify({ logger: false });
  registerResponseHeaders(app, securityHeaders(config));
  registerFormParser(app);
  registerErrorHandling(app, new EventBus());
  registerAssetRoutes(app, ctx);
  registerAuthorizeRoutes(app, ctx);
  registerInteractionRoutes(app, ctx);
  await app.ready();
  server.on('request', (req, res) => app.routing(req, res));
  let seq = 0;
  return {
    url,
    app,
    config,
    clock,
    completed,
    async addUser(username, password, name) {
      const id = `user-${++seq}`;
      const now = Math.floor(clock.now() / 1000);
      await storage.users.create({
        tenantId: 'default',
        id,
        username: username.toLowerCase(),
        passwordHash: await passwordHasher.hash(password),
        roles: ['user'],
        attributes: {},
        groups: [],
        claims: name ? { name } : {},
        disabled: false,
        createdAt: now,
        updatedAt: now,
      });
      return id;
    },
    authorizeUrl(params = {}) {
      const u = new URL('/authorize', url);
      for (const [k, v] of Object.entries({ client_id: CLIENT_ID, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', ...params }))
        u.searchParams.set(k, v);
      return u.href;
    },
    sessionCount: () => live.size,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
