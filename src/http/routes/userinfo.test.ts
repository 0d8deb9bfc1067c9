import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDpopNonces } from '../../core/dpop/dpop-nonce.ts';
import { createDpopVerifier } from '../../core/dpop/dpop-proof.ts';
import type { AppContext } from '../context.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import { coreWorld, ISSUER, makeClient, type CoreWorld } from '../../../test/support/core-fixtures.ts';
import { fakeCodeStore, fakeUserStore, grantDeps, KEK, makeCodeRecord, makeUser, PKCE } from '../../../test/support/oidc-fixtures.ts';
import { createAuthorizationCodeGrant } from '../../core/token/grants/authorization-code.ts';
import { createAccessTokenIssuer } from '../../core/tokens/issue-access-token.ts';
import { createUserInfo } from '../../core/userinfo/userinfo.ts';
import { registerErrorHandling } from '../errors.ts';
import { registerFormParser } from '../form.ts';
import { registerUserInfoRoute } from './userinfo.ts';
import { createUserSubjects } from '../../core/tokens/user-subject.ts';

const rp = makeClient({ clientId: 'rp', tokenEndpointAuthMethod: 'none', grantTypes: ['authorization_code'], redirectUris: ['https://rp.example/cb'] });

let w: CoreWorld;
let app: FastifyInstance;
let n = 0;
let tokensFor: (scope: string) => Promise<string>;

before(async () => {
  w = await coreWorld();
  await w.storage.clients.create(rp);
  const accessTokens = createAccessTokenIssuer(
    { ...w, tokens: w.storage.tokens },
    {
      issuer: ISSUER,
      tokens: { accessTokenTtl: 300, accessTokenFormat: 'jwt', accessTokenSigningAlg: 'ES256' },
      resources: [],
      requireResourceRegistration: false,
    },
  );
  const codes = fakeCodeStore();
  const users = fakeUserStore(makeUser());
  const deps = grantDeps(w, { accessTokens, codes, users });
  const grant = createAuthorizationCodeGrant(deps);
  tokensFor = async (scope) => {
    const code = `c-${++n}`;
    await codes.insert(makeCodeRecord(code, { scope }));
    const res = await grant.handle({
      client: rp,
      authMethod: 'none',
      params: { code, redirect_uri: 'https://rp.example/cb', code_verifier: PKCE.verifier },
      resources: [],
    });
    return res.access_token;
  };
  const userinfo = createUserInfo(
    { ...w.storage, users, clock: w.clock, keys: w.keys, tenantId: w.tenantId, subjects: createUserSubjects(KEK, deps.idTokens.subjectFor) },
    { issuer: ISSUER, userinfoEndpoint: `${ISSUER}/userinfo` },
  );
  app = Fastify();
  registerFormParser(app);
  registerErrorHandling(app, w.events);
  const dpop = createDpopVerifier(
    { replay: w.storage.replay, clock: w.clock, tenantId: w.tenantId, nonces: createDpopNonces(KEK, 300, w.clock) },
    { dpop: { algorithms: ['ES256'], proofMaxAge: 60, clockSkew: 10, requireNonce: false } },
  );
  registerUserInfoRoute(app, { userinfo, dpop, config: { issuer: ISSUER } as AppContext['config'] });
  await app.ready();
});
after(() => app.close());

const form = 'application/x-www-form-urlencoded';

describe('OIDC Core §5.3.1 UserInfo over HTTP', () => {
  test('oidcc-userinfo-get Bearer header on GET returns JSON claims, no-store', async () => {
    const token = await tokensFor('openid email');
    const res = await app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.json(), { sub: 'u-1', email: 'jane@example.com', email_verified: true });
  });

  test('oidcc-userinfo-post-header POST with the Bearer header', async () => {
    const token = await tokensFor('openid');
    const res = await app.inject({ method: 'POST', url: '/userinfo', headers: { authorization: `bearer ${token}` } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { sub: 'u-1' });
  });

  test('oidcc-userinfo-post-body RFC 6750 §2.2 access_token in a form body on POST', async () => {
    const token = await tokensFor('openid');
    const res = await app.inject({ method: 'POST', url: '/userinfo', headers: { 'content-type': form }, payload: `access_token=${token}` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { sub: 'u-1' });
  });

  test('RFC 6750 §2 a token sent twice is invalid_request (400)', async () => {
    const token = await tokensFor('openid');
    const res = await app.inject({
      method: 'POST',
      url: '/userinfo',
      headers: { authorization: `Bearer ${token}`, 'content-type': form },
      payload: `access_token=${token}`,
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
    assert.match(res.headers['www-authenticate'] as string, /^Bearer realm="gatehouse", error="invalid_request"/);
  });

  test('RFC 6750 §2.3 a token in the query string is refused', async () => {
    const token = await tokensFor('openid');
    const res = await app.inject({ method: 'GET', url: `/userinfo?access_token=${token}` });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');
  });

  test('RFC 6750 §3.1 / RFC 9449 §7.2 no token: 401 with a bare Bearer challenge and a bare DPoP one', async () => {
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }]) {
      const res = await app.inject({ method: 'GET', url: '/userinfo', headers });
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="gatehouse", DPoP algs="ES256"');
    }
  });

  test('RFC 6750 §3.1 an invalid token: 401 error="invalid_token"', async () => {
    const res = await app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: 'Bearer not-a-real-token' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'invalid_token');
    assert.match(res.headers['www-authenticate'] as string, /^Bearer error="invalid_token"/);
    const bad = await app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: 'Bearer a b' } });
    assert.equal(bad.statusCode, 400);
  });

  test('RFC 6750 §3.1 a token without openid: 403 error="insufficient_scope"', async () => {
    const token = await tokensFor('email');
    const res = await app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'insufficient_scope');
    assert.match(res.headers['www-authenticate'] as string, /^Bearer error="insufficient_scope".*scope="openid"/);
  });
});
