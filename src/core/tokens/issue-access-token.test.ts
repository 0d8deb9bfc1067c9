import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../test/support/core-fixtures.ts';
import { opaqueTokenKey, sha256 } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import type { AccessTokenFormat } from '../model/client.ts';
import { createAccessTokenIssuer, type AccessTokenConfig } from './issue-access-token.ts';

function config(format: AccessTokenFormat = 'jwt', over: Partial<AccessTokenConfig> = {}): AccessTokenConfig {
  return {
    issuer: ISSUER,
    tokens: { accessTokenTtl: 3600, accessTokenFormat: format, accessTokenSigningAlg: 'ES256' },
    resources: [
      { identifier: 'https://api.example/orders', audience: 'orders-api', scopes: ['read'], accessTokenFormat: 'opaque', accessTokenTtl: 600 },
      { identifier: 'https://api.example/reports', scopes: [], accessTokenFormat: 'jwt' },
    ],
    requireResourceRegistration: false,
    ...over,
  };
}

async function setup(format: AccessTokenFormat = 'jwt') {
  const w = await coreWorld();
  const issuer = createAccessTokenIssuer({ ...w, tokens: w.storage.tokens }, config(format));
  return { w, issuer };
}

test('RFC 9068 §2.2 a JWT access token carries iss, sub, aud, client_id, scope, jti, iat, exp and typ at+jwt', async () => {
  const { w, issuer } = await setup('jwt');
  const client = makeClient();
  const issued = await issuer.issue({ plan: issuer.plan(client, 'read', []), grantType: 'client_credentials', subject: client.clientId });
  assert.equal(issued.format, 'jwt');
  assert.equal(issued.expiresIn, 3600);
  const { payload, protectedHeader } = await jwtVerify(issued.token, createLocalJWKSet(w.keys.jwks() as never), {
    issuer: ISSUER,
    audience: ISSUER,
    typ: 'at+jwt',
    currentDate: new Date(T0),
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, 'svc');
  assert.equal(payload.client_id, 'svc');
  assert.equal(payload.scope, 'read');
  assert.equal(payload.iat, T0 / 1000);
  assert.equal(payload.exp, T0 / 1000 + 3600);
  assert.equal(payload.jti, issued.jti);
  assert.ok(issued.jti.length >= 22);
  assert.equal(await w.storage.tokens.countActive(T0 / 1000), 0, 'a JWT access token writes nothing');
  assert.deepEqual(w.events.of('token.issued'), [
    { tenantId: 'default', clientId: 'svc', grantType: 'client_credentials', tokenType: 'access_token', format: 'jwt', jti: issued.jti, subject: 'svc' },
  ]);
});

test('RFC 6749 §10.3 an opaque access token is stored only as its SHA-256 behind its time prefix', async () => {
  const { w, issuer } = await setup('opaque');
  const client = makeClient();
  const issued = await issuer.issue({ plan: issuer.plan(client, undefined, []), grantType: 'client_credentials', subject: 'svc' });
  // 12 hex digits of the issuing millisecond, then 256 random bits (RFC 6749 §10.10).
  assert.match(issued.token, /^[0-9a-f]{12}[A-Za-z0-9_-]{43}$/);
  assert.equal(parseInt(issued.token.slice(0, 12), 16), T0);
  assert.equal(opaqueTokenKey(issued.token), issued.token.slice(0, 12) + sha256(issued.token));
  assert.equal(issued.scope, 'read write');
  assert.equal(await w.storage.tokens.find('default', issued.token), undefined);
  const rec = await w.storage.tokens.find('default', opaqueTokenKey(issued.token));
  assert.ok(rec);
  assert.equal(rec.kind, 'access_token');
  assert.equal(rec.clientId, 'svc');
  assert.equal(rec.subject, 'svc');
  assert.equal(rec.scope, 'read write');
  assert.deepEqual(rec.audience, [ISSUER]);
  assert.equal(rec.expiresAt, T0 / 1000 + 3600);
  assert.equal(rec.jti, issued.jti);
  assert.equal(JSON.stringify(rec).includes(issued.token), false);
});

test('RFC 9068 §2.2 without a resource the audience is the issuer', async () => {
  const { issuer } = await setup();
  assert.deepEqual(issuer.plan(makeClient(), undefined, []).audience, [ISSUER]);
});

test('RFC 8707 §2 the format is per resource, then per client, then the global default', async () => {
  const { issuer } = await setup('jwt');
  assert.equal(issuer.plan(makeClient(), undefined, []).format, 'jwt');
  assert.equal(issuer.plan(makeClient({ accessTokenFormat: 'opaque' }), undefined, []).format, 'opaque');
  assert.equal(issuer.plan(makeClient(), 'read', ['https://api.example/orders']).format, 'opaque');
  assert.equal(issuer.plan(makeClient({ accessTokenFormat: 'opaque' }), undefined, ['https://api.example/reports']).format, 'jwt');
});

test('RFC 8707 §2 a resource sets the audience, the accepted scopes and the lifetime', async () => {
  const { w, issuer } = await setup('jwt');
  const plan = issuer.plan(makeClient(), undefined, ['https://api.example/orders']);
  assert.deepEqual(plan.audience, ['orders-api']);
  assert.deepEqual(plan.scope, ['read']);
  assert.equal(plan.ttl, 600);
  const issued = await issuer.issue({ plan, grantType: 'client_credentials', subject: 'svc' });
  const rec = await w.storage.tokens.find('default', opaqueTokenKey(issued.token));
  assert.deepEqual(rec?.audience, ['orders-api']);
  assert.equal(rec?.expiresAt, T0 / 1000 + 600);
});

test('RFC 9068 §2.2 several audiences are an array; cnf and extra claims are carried', async () => {
  const { w, issuer } = await setup('jwt');
  const plan = issuer.plan(makeClient(), undefined, ['https://api.example/reports', 'urn:example:other']);
  const issued = await issuer.issue({ plan, grantType: 'client_credentials', subject: 'svc', cnf: { jkt: 'abc' }, claims: { acr: '1', iss: 'spoofed' } });
  const { payload } = await jwtVerify(issued.token, createLocalJWKSet(w.keys.jwks() as never), { currentDate: new Date(T0) });
  assert.deepEqual(payload.aud, ['https://api.example/reports', 'urn:example:other']);
  assert.deepEqual(payload.cnf, { jkt: 'abc' });
  assert.equal(payload.acr, '1');
  assert.equal(payload.iss, ISSUER, 'extra claims never override registered ones');
});

test('RFC 6749 §5.2 plan refuses a scope the client may not have, and writes nothing', async () => {
  const { w, issuer } = await setup('opaque');
  assert.throws(
    () => issuer.plan(makeClient(), 'admin', []),
    (e) => e instanceof OAuthError && e.code === 'invalid_scope',
  );
  assert.equal(await w.storage.tokens.countActive(T0 / 1000), 0);
});

test('RFC 8707 §2 {issuer}/admin/mcp is a known resource (even with requireResourceRegistration) taking admin scopes only', async () => {
  const w = await coreWorld();
  const issuer = createAccessTokenIssuer({ ...w, tokens: w.storage.tokens }, config('jwt', { requireResourceRegistration: true }));
  const admin = makeClient({ scopes: ['read', 'gatehouse:admin'] });
  const mcp = `${ISSUER}/admin/mcp`;
  const plan = issuer.plan(admin, 'gatehouse:admin', [mcp]);
  assert.deepEqual([plan.audience, plan.scope], [[mcp], ['gatehouse:admin']]);
  // No scope asked: the admin scopes the client may have, never its other ones.
  assert.deepEqual(issuer.plan(admin, undefined, [mcp]).scope, ['gatehouse:admin']);
  // RFC 6749 §5.2 invalid_scope: a non-admin scope, or no admin scope at all, for an admin resource.
  assert.throws(
    () => issuer.plan(admin, 'read', [mcp]),
    (e: OAuthError) => e.code === 'invalid_scope',
  );
  assert.throws(
    () => issuer.plan(makeClient({ scopes: ['read'] }), undefined, [mcp]),
    (e: OAuthError) => e.code === 'invalid_scope',
  );
  assert.throws(
    () => issuer.plan(makeClient({ scopes: ['read'] }), undefined, [`${ISSUER}/admin/api/v1`]),
    (e: OAuthError) => e.code === 'invalid_scope',
  );
  // A dynamically registered client never gets one, whatever its stored scope says.
  const dcr = makeClient({ scopes: ['gatehouse:admin'], registrationAccessTokenHash: 'h' });
  assert.throws(
    () => issuer.plan(dcr, 'gatehouse:admin', [mcp]),
    (e: OAuthError) => e.code === 'invalid_scope',
  );
});

test('RFC 8693 token exchange: plan.notAfter caps exp at the minting iat, so a second ticking over after the plan cannot outlive the subject token', async () => {
  const { w, issuer } = await setup('jwt');
  const client = makeClient();
  const subjectExp = T0 / 1000 + 100;
  // The exchange planned at T0 with ttl = subjectExp - T0 (100 s); the token is minted a second later.
  const plan = { ...issuer.plan(client, 'read', []), ttl: 100, notAfter: subjectExp };
  w.clock.advance(1);
  const issued = await issuer.issue({ plan, grantType: 'urn:ietf:params:oauth:grant-type:token-exchange', subject: 'svc' });
  const { payload } = await jwtVerify(issued.token, createLocalJWKSet(w.keys.jwks() as never), { currentDate: new Date(T0 + 1000) });
  assert.equal(payload.iat, T0 / 1000 + 1);
  assert.equal(payload.exp, subjectExp, 'never past the cap');
  assert.equal(issued.expiresIn, 99, 'expires_in is what is left, not the planned ttl');
});
