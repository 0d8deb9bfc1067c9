/**
 * OpenID Connect flow-test helpers: a test server with an adjustable clock and RSA keys (the
 * Basic OP plan expects RS256 ID tokens), users, relying-party clients, and openid-client
 * Configurations against the server's own discovery document.
 *
 *   const op = await startOidcServer();
 *   const user = await createTestUser(op.gh, { username: 'alice', claims: { email: 'a@x' } });
 *   const rp = await createRp(op.gh, 'confidential');
 *   const cfg = await rpConfig(op, rp);
 *   const r = await codeFlow(op, cfg, new UserAgent(op.url), user);
 *
 * openid-client v6 refuses plain-http issuers: `allowInsecureRequests` is applied here, in tests
 * only, for the 127.0.0.1 server.
 */
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import type { StandardClaims, UserRole } from '../../src/core/model/user.ts';
import type { Clock } from '../../src/core/ports/clock.ts';
import type { Gatehouse } from '../../src/compose.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from './server.ts';
import type { Outcome, UserAgent } from './user-agent.ts';

/** Real time plus an offset the test moves forward (S14: never sleep). */
export class TestClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
  /** The offset in whole seconds, for the RP's `clockSkew`. */
  get skew(): number {
    return Math.round(this.offsetMs / 1000);
  }
}

export interface OidcServer extends TestServer {
  readonly clock: TestClock;
}

/** A test server with RS256 (default ID token alg) and ES256 keys and a movable clock. */
export async function startOidcServer(overrides: Record<string, unknown> = {}): Promise<OidcServer> {
  const clock = new TestClock();
  const base = { keys: { algorithms: ['RS256', 'ES256'] }, tokens: { accessTokenSigningAlg: 'ES256', idTokenSigningAlg: 'RS256' } };
  const s = await startTestServer(mergeDeep(base, overrides), { clock });
  return { ...s, clock };
}

function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    const plain = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = plain(prev) && plain(v) ? mergeDeep(prev, v) : v;
  }
  return out;
}

export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly claims: StandardClaims;
}

export const FULL_CLAIMS: StandardClaims = {
  name: 'Alice Example',
  given_name: 'Alice',
  family_name: 'Example',
  nickname: 'ali',
  preferred_username: 'alice',
  profile: 'https://alice.example/',
  picture: 'https://alice.example/me.png',
  website: 'https://alice.example/',
  gender: 'female',
  birthdate: '1990-01-02',
  zoneinfo: 'Europe/Paris',
  locale: 'en-GB',
  updated_at: 1700000000,
  email: 'alice@example.com',
  email_verified: true,
  phone_number: '+33 1 23 45 67 89',
  phone_number_verified: false,
  address: { formatted: '1 Rue Example\n75001 Paris\nFrance', street_address: '1 Rue Example', locality: 'Paris', postal_code: '75001', country: 'FR' },
};

let userSeq = 0;

/** Registers an end user through the user service (argon2id hash, as `gatehouse users create`). */
export async function createTestUser(
  gh: Gatehouse,
  opts: { username?: string; password?: string; claims?: StandardClaims; roles?: readonly UserRole[] } = {},
): Promise<TestUser> {
  const username = opts.username ?? `user${++userSeq}-${Math.random().toString(36).slice(2, 8)}`;
  const password = opts.password ?? `pw-${Math.random().toString(36).slice(2)}-Secret!`;
  const claims = opts.claims ?? FULL_CLAIMS;
  const user = await gh.services.userService.create({ username, password, claims, roles: opts.roles ?? ['user'] });
  return { id: user.id, username, password, claims };
}

export interface RpFlow {
  readonly op: OidcServer;
  /** One signed-up end user (FULL_CLAIMS unless `user` says otherwise). */
  readonly user: TestUser;
  readonly rp: TestRp;
  /** openid-client Configuration for `rp`, its clock skew taken now (build another after moving time). */
  readonly cfg: oidc.Configuration;
}

/**
 * The usual flow-test setup: a server (`server` config overrides), one end user, one relying party
 * (`rp.kind`, `rp.metadata` as for `createRp`) and its openid-client Configuration. The server is
 * closed again if the rest fails.
 *
 *   before(async () => { ({ op, user: alice, rp, cfg } = await startRpFlow()); });
 *   after(() => op?.close());
 */
export async function startRpFlow(
  opts: {
    server?: Record<string, unknown>;
    user?: Parameters<typeof createTestUser>[1];
    rp?: { kind?: 'confidential' | 'public'; metadata?: Record<string, unknown> };
  } = {},
): Promise<RpFlow> {
  const op = await startOidcServer(opts.server);
  try {
    const user = await createTestUser(op.gh, opts.user);
    const rp = await createRp(op.gh, opts.rp?.kind, opts.rp?.metadata);
    return { op, user, rp, cfg: await rpConfig(op, rp) };
  } catch (e) {
    await op.close();
    throw e;
  }
}

export const RP_REDIRECT = 'https://rp.example.test/cb';
export const RP_SCOPE = 'openid profile email address phone offline_access';

export interface TestRp extends TestClient {
  readonly redirect_uri: string;
  readonly kind: 'confidential' | 'public';
}

/**
 * A relying party: `confidential` (client_secret_basic, code + refresh_token) or `public`
 * (token_endpoint_auth_method none, PKCE required). `metadata` overrides (response_types, …).
 */
export async function createRp(gh: Gatehouse, kind: 'confidential' | 'public' = 'confidential', metadata: Record<string, unknown> = {}): Promise<TestRp> {
  const redirect = (metadata['redirect_uris'] as string[] | undefined)?.[0] ?? RP_REDIRECT;
  // OIDC Registration §2: response types returning id_token or token from the authorization
  // endpoint are registered with the implicit grant type.
  const frontChannel = ((metadata['response_types'] as string[] | undefined) ?? []).some((t) => /\b(id_token|token)\b/.test(t));
  const c = await createTestClient(gh, {
    client_name: `${kind} RP`,
    redirect_uris: [redirect],
    grant_types: ['authorization_code', 'refresh_token', ...(frontChannel ? ['implicit'] : [])],
    response_types: ['code'],
    token_endpoint_auth_method: kind === 'public' ? 'none' : 'client_secret_basic',
    scope: RP_SCOPE,
    ...metadata,
  });
  return { ...c, redirect_uri: redirect, kind };
}

const discovered = new Map<string, oidc.ServerMetadata>();

/** openid-client discovery against the test server (once per server; validated by the library). */
export async function serverMetadata(url: string): Promise<oidc.ServerMetadata> {
  let as = discovered.get(url);
  if (!as) {
    const cfg = await oidc.discovery(new URL(url), 'discovery-probe', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    as = cfg.serverMetadata();
    discovered.set(url, as);
  }
  return as;
}

/**
 * An openid-client Configuration for `rp`. `auth` picks the client authentication (default:
 * basic for confidential, none for public). The RP's clock skew follows the server's test clock,
 * so moving time moves both sides.
 */
export async function rpConfig(
  op: OidcServer,
  rp: TestRp,
  opts: { auth?: 'basic' | 'post' | 'none'; metadata?: Partial<oidc.ClientMetadata> } = {},
): Promise<oidc.Configuration> {
  const as = await serverMetadata(op.url);
  const auth = opts.auth ?? (rp.kind === 'public' ? 'none' : 'basic');
  const clientAuth = auth === 'basic' ? oidc.ClientSecretBasic(rp.client_secret) : auth === 'post' ? oidc.ClientSecretPost(rp.client_secret) : oidc.None();
  const cfg = new oidc.Configuration(as, rp.client_id, { redirect_uris: [rp.redirect_uri], [oidc.clockSkew]: op.clock.skew, ...opts.metadata }, clientAuth);
  oidc.allowInsecureRequests(cfg);
  return cfg;
}

export interface AuthRequest {
  readonly url: URL;
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
}

/** An authorization URL with PKCE S256, state and nonce (plus `params`, which may override). */
export async function authRequest(cfg: oidc.Configuration, rp: TestRp, params: Record<string, string> = {}): Promise<AuthRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(cfg, {
    redirect_uri: rp.redirect_uri,
    scope: 'openid',
    response_type: 'code',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, state, nonce, verifier };
}

/** The callback URL of a redirect outcome (fails the test with the page text otherwise). */
export function callbackOf(out: Outcome): URL {
  if (out.kind === 'redirect') return out.url;
  if (out.kind === 'form_post') assert.fail(`expected a redirect, got a form_post to ${out.action}`);
  assert.fail(`expected a redirect to the client, got the ${out.page.kind} page (${out.page.status}) at ${out.page.url}: ${out.page.text.slice(0, 300)}`);
}

/** The front channel only: authorize in `ua` and return the callback (code not redeemed). */
export async function authorizeCode(
  cfg: oidc.Configuration,
  rp: TestRp,
  ua: UserAgent,
  user: TestUser | null,
  params: Record<string, string> = {},
): Promise<{ req: AuthRequest; outcome: Outcome; callback: URL; code: string }> {
  const req = await authRequest(cfg, rp, params);
  const outcome = await ua.authorize(req.url, user ? { username: user.username, password: user.password } : {});
  const callback = callbackOf(outcome);
  const code = responseParams(callback).get('code');
  assert.ok(code, `a code in ${callback.href.slice(0, 300)}`);
  return { req, outcome, callback, code };
}

export interface CodeFlowResult {
  readonly req: AuthRequest;
  readonly callback: URL;
  readonly outcome: Outcome;
  readonly tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
  readonly claims: oidc.IDToken;
}

/**
 * The whole authorization code flow: authorize in `ua` (signing in as `user` when asked,
 * consenting), then the token request through openid-client with state, nonce, PKCE and
 * (when given) max_age checks. Returns tokens and the validated ID token claims.
 */
export async function codeFlow(
  op: OidcServer,
  cfg: oidc.Configuration,
  rp: TestRp,
  ua: UserAgent,
  user: TestUser | null,
  params: Record<string, string> = {},
): Promise<CodeFlowResult> {
  const { req, outcome, callback } = await authorizeCode(cfg, rp, ua, user, params);
  // openid-client reads a plain code response from the query; a fragment-mode one is moved there.
  const current = callback.hash.length > 1 && callback.search === '' ? new URL(`${callback.origin}${callback.pathname}?${callback.hash.slice(1)}`) : callback;
  const tokens = await oidc.authorizationCodeGrant(cfg, current, {
    pkceCodeVerifier: req.verifier,
    expectedState: params['state'] ?? req.state,
    expectedNonce: params['nonce'] ?? req.nonce,
    ...(params['max_age'] !== undefined ? { maxAge: Number(params['max_age']) } : {}),
  });
  const claims = tokens.claims();
  assert.ok(claims, 'an ID token was returned');
  return { req, callback, outcome, tokens, claims };
}

/** Authorization response parameters of a redirect (query, or fragment when there is one). */
export function responseParams(url: URL): URLSearchParams {
  return url.hash.length > 1 ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
}

/** Parameters of a redirect or form_post outcome (fails for a page). */
export function outcomeParams(out: Outcome): URLSearchParams {
  if (out.kind === 'form_post') return new URLSearchParams(out.params);
  return responseParams(callbackOf(out));
}

/**
 * RFC 6749 §4.1.2.1 + RFC 9207: an error sent back to the registered redirect URI, with `iss`,
 * the request's `state`, and no code or token.
 */
export function assertAuthorizationError(op: OidcServer, out: Outcome, rp: TestRp, error: string | readonly string[], state: string | null): URLSearchParams {
  const p = outcomeParams(out);
  if (out.kind === 'redirect') assert.equal(`${out.url.origin}${out.url.pathname}`, rp.redirect_uri, 'error went to the registered redirect URI');
  const allowed = typeof error === 'string' ? [error] : error;
  assert.ok(allowed.includes(p.get('error') ?? ''), `error ${p.get('error')} (${p.get('error_description')}) is one of ${allowed.join(', ')}`);
  assert.equal(p.get('iss'), op.url, 'RFC 9207 §2: iss in every authorization response');
  assert.equal(p.get('state'), state);
  for (const k of ['code', 'id_token', 'access_token']) assert.equal(p.get(k), null, `no ${k} with an error`);
  return p;
}

/** RFC 6749 §4.1.2.1: an invalid client or redirect URI gets an error page; nothing is redirected. */
export function assertErrorPage(out: Outcome, status = 400): void {
  if (out.kind !== 'page') assert.fail(`expected an error page, got a ${out.kind} to ${out.kind === 'redirect' ? out.url.href : out.action}`);
  assert.equal(out.page.status, status, `error page status (${out.page.text.slice(0, 200)})`);
  assert.match(out.page.headers.get('content-type') ?? '', /^text\/html/);
  assert.doesNotMatch(out.page.html, /\bat [\w.<>]+ \(.*:\d+:\d+\)/, 'no stack trace');
}

/** A raw token endpoint request (for the error cases a client library refuses to make). */
export async function tokenRequest(
  op: OidcServer,
  rp: TestRp | null,
  params: Record<string, string>,
  auth: 'basic' | 'post' | 'none' = rp?.kind === 'public' ? 'none' : 'basic',
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (rp && auth === 'basic')
    headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(rp.client_id)}:${encodeURIComponent(rp.client_secret)}`).toString('base64')}`;
  if (rp && auth === 'post') {
    body.set('client_id', rp.client_id);
    body.set('client_secret', rp.client_secret);
  }
  if (rp && auth === 'none') body.set('client_id', rp.client_id);
  const res = await fetch(`${op.url}/token`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

/** UserInfo (OIDC Core §5.3) the three ways a client may present the token (RFC 6750 §2.1/§2.2). */
export async function userinfo(op: OidcServer, accessToken: string, how: 'get' | 'post-header' | 'post-body' = 'get'): Promise<Response> {
  const url = `${op.url}/userinfo`;
  if (how === 'get') return fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
  if (how === 'post-header') return fetch(url, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ access_token: accessToken }),
  });
}
