import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../test/support/core-fixtures.ts';
import { createAccessTokenIssuer } from '../tokens/issue-access-token.ts';
import type { AccessTokenFormat } from '../model/client.ts';
import { opaqueTokenKey, sha256 } from '../crypto.ts';
import { createIntrospector, type IntrospectionConfig } from './introspect.ts';
import { randomBytes } from 'node:crypto';
import { makeUser } from '../../../test/support/oidc-fixtures.ts';
import { createUserSubjects } from '../tokens/user-subject.ts';
import { INTROSPECTION_JWT_TYP, signIntrospectionResponse } from './jwt-response.ts';

const owner = makeClient({ clientId: 'owner' });
const other = makeClient({ clientId: 'other' });
const rs = makeClient({ clientId: 'https://api.example/orders' });

async function setup(access: IntrospectionConfig['introspection'] = { access: 'own-or-audience', privilegedClients: [] }) {
  const w = await coreWorld();
  // The token's principals exist and are enabled (see the "disabled principals" tests below).
  await w.storage.clients.create(owner);
  await w.storage.users.create(makeUser({ id: 'alice', username: 'alice' }));
  const subjects = createUserSubjects(randomBytes(32), (c, userId) => (c.clientId === 'pairwise-rp' ? `pw-${userId}` : userId));
  const deps = { ...w, tokens: w.storage.tokens, denylist: w.storage.denylist, clients: w.storage.clients, users: w.storage.users, subjects };
  const issuer = createAccessTokenIssuer(deps, {
    issuer: ISSUER,
    tokens: { accessTokenTtl: 600, accessTokenFormat: 'jwt', accessTokenSigningAlg: 'ES256' },
    resources: [],
    requireResourceRegistration: false,
  });
  const introspector = createIntrospector(deps, { issuer: ISSUER, introspection: access });
  const issue = async (format: AccessTokenFormat, resources: string[] = []) =>
    (await issuer.issue({ plan: { ...issuer.plan(owner, 'read', resources), format }, grantType: 'client_credentials', subject: 'owner' })).token;
  return { w, introspector, issue, issuer, subjects };
}

for (const format of ['jwt', 'opaque'] as const) {
  test(`RFC 7662 §2.2 an active ${format} access token is described with its claims`, async () => {
    const { w, introspector, issue } = await setup();
    const token = await issue(format);
    const r = await introspector.introspect(owner, token);
    assert.equal(r.active, true);
    assert.equal(r.scope, 'read');
    assert.equal(r.client_id, 'owner');
    assert.equal(r.sub, 'owner');
    assert.equal(r.aud, ISSUER);
    assert.equal(r.iss, ISSUER);
    assert.equal(r.token_type, 'Bearer');
    assert.equal(r.iat, T0 / 1000);
    assert.equal(r.exp, T0 / 1000 + 600);
    assert.equal(typeof r.jti, 'string');
    assert.deepEqual(w.events.of('token.introspected').at(-1), { tenantId: 'default', clientId: 'owner', active: true });
  });

  test(`RFC 7662 §2.2 an expired ${format} access token is inactive and nothing else is said`, async () => {
    const { w, introspector, issue } = await setup();
    const token = await issue(format);
    w.clock.advance(600);
    assert.deepEqual(await introspector.introspect(owner, token), { active: false });
  });

  test(`RFC 7662 §4 another client may not introspect a ${format} token (own-or-audience)`, async () => {
    const { introspector, issue } = await setup();
    assert.deepEqual(await introspector.introspect(other, await issue(format)), { active: false });
  });

  test(`RFC 7662 §4 a client named in aud may introspect a ${format} token`, async () => {
    const { introspector, issue } = await setup();
    const r = await introspector.introspect(rs, await issue(format, [rs.clientId]));
    assert.equal(r.active, true);
    assert.equal(r.aud, rs.clientId);
  });
}

test('RFC 7662 §4 privileged clients and the any-client rule see every token', async () => {
  const priv = await setup({ access: 'own-or-audience', privilegedClients: ['other'] });
  assert.equal((await priv.introspector.introspect(other, await priv.issue('opaque'))).active, true);
  const any = await setup({ access: 'any-client', privilegedClients: [] });
  assert.equal((await any.introspector.introspect(other, await any.issue('jwt'))).active, true);
});

test('RFC 7662 §2.2 a revoked opaque token and a denylisted JWT are inactive', async () => {
  const { w, introspector, issue } = await setup();
  const opaque = await issue('opaque');
  await w.storage.tokens.revoke('default', opaqueTokenKey(opaque), T0 / 1000);
  assert.deepEqual(await introspector.introspect(owner, opaque), { active: false });
  const jwt = await issue('jwt');
  const jti = (await introspector.introspect(owner, jwt)).jti as string;
  await w.storage.denylist.add('default', jti, T0 / 1000 + 600);
  assert.deepEqual(await introspector.introspect(owner, jwt), { active: false });
});

test('RFC 7662 §2.2 unknown, malformed, forged and foreign tokens are inactive, never an error', async () => {
  const { w, introspector, issue } = await setup();
  const jwt = await issue('jwt');
  const [h, p] = jwt.split('.');
  const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), scope: 'admin' })).toString('base64url');
  const idToken = w.keys
    .signer('ES256')
    .sign({ iss: ISSUER, sub: 'u', aud: 'owner', exp: T0 / 1000 + 60, iat: T0 / 1000, jti: 'x', client_id: 'owner' }, 'JWT');
  const otherIssuer = w.keys
    .signer('ES256')
    .sign({ iss: 'https://evil.example', sub: 'owner', aud: 'x', exp: T0 / 1000 + 60, iat: T0 / 1000, jti: 'y', client_id: 'owner' }, 'at+jwt');
  for (const t of ['nope', 'a.b.c', `${h}.${forgedPayload}.${jwt.split('.')[2]}`, idToken, otherIssuer, 'x'.repeat(20_000), '\u0000\u0001']) {
    assert.deepEqual(await introspector.introspect(owner, t), { active: false });
  }
});

test('RFC 7662 §2.2 a refresh token is visible to its own client only, without token_type', async () => {
  const { w, introspector } = await setup();
  await w.storage.tokens.insert({
    tenantId: 'default',
    hash: sha256('refresh-value-1'),
    kind: 'refresh_token',
    jti: 'r1',
    clientId: 'owner',
    subject: 'alice',
    userId: 'alice',
    scope: 'read',
    audience: ['owner'],
    grantId: 'g1',
    parentHash: null,
    issuedAt: T0 / 1000,
    expiresAt: T0 / 1000 + 86_400,
    cnf: null,
    claims: { username: 'alice' },
    revokedAt: null,
    consumedAt: null,
  });
  const r = await introspector.introspect(owner, 'refresh-value-1');
  assert.equal(r.active, true);
  assert.equal(r.sub, 'alice');
  assert.equal(r.username, 'alice');
  assert.equal(r.token_type, undefined);
  assert.deepEqual(await introspector.introspect(makeClient({ clientId: 'owner2' }), 'refresh-value-1'), { active: false });
  await w.storage.tokens.consume('default', sha256('refresh-value-1'), T0 / 1000);
  assert.deepEqual(await introspector.introspect(owner, 'refresh-value-1'), { active: false }, 'a rotated refresh token is inactive');
});

test('RFC 9701 §5 the JWT response has typ token-introspection+jwt, iss, aud = caller, iat and token_introspection, no sub or exp', async () => {
  const { w, introspector, issue } = await setup();
  const response = await introspector.introspect(owner, await issue('jwt'));
  const cfg = { issuer: ISSUER, tokens: { accessTokenSigningAlg: 'ES256' as const }, keys: { algorithms: ['ES256' as const] } };
  const jwt = signIntrospectionResponse(w.keys, owner, response, T0, cfg);
  const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(w.keys.jwks() as never), {
    issuer: ISSUER,
    audience: 'owner',
    typ: INTROSPECTION_JWT_TYP,
    currentDate: new Date(T0),
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.iat, T0 / 1000);
  assert.deepEqual(payload.token_introspection, response);
  assert.equal(payload.sub, undefined);
  assert.equal(payload.exp, undefined);
});

// Disabled and deleted principals (docs/security.md): a token is active only while the client it
// was issued to and the user it was issued for exist and are enabled.
async function userToken(s: Awaited<ReturnType<typeof setup>>, format: AccessTokenFormat, client = owner, resources: string[] = []) {
  const ref = s.subjects.forToken(client, 'alice');
  return (
    await s.issuer.issue({
      plan: { ...s.issuer.plan(client, 'read', resources), format },
      grantType: 'authorization_code',
      subject: ref.subject,
      userId: 'alice',
      grantId: 'g-alice',
      claims: { ...ref.claims, auth_time: T0 / 1000 },
    })
  ).token;
}

for (const format of ['jwt', 'opaque'] as const) {
  test(`RFC 7662 §2.2 a ${format} access token of a disabled user is inactive, and active again once re-enabled`, async () => {
    const s = await setup();
    const token = await userToken(s, format);
    assert.equal((await s.introspector.introspect(owner, token)).active, true);
    await s.w.storage.users.update('default', 'alice', { disabled: true });
    assert.deepEqual(await s.introspector.introspect(owner, token), { active: false });
    await s.w.storage.users.update('default', 'alice', { disabled: false });
    assert.equal((await s.introspector.introspect(owner, token)).active, true);
  });

  test(`RFC 7662 §2.2 a ${format} access token of a deleted user is inactive`, async () => {
    const s = await setup();
    const token = await userToken(s, format);
    await s.w.storage.users.delete('default', 'alice');
    assert.deepEqual(await s.introspector.introspect(owner, token), { active: false });
  });

  test(`RFC 7662 §2.2 a ${format} token of a disabled or deleted client is inactive to the resource server it names`, async () => {
    const s = await setup();
    const cc = await s.issue(format, [rs.clientId]);
    const user = await userToken(s, format, owner, [rs.clientId]);
    assert.equal((await s.introspector.introspect(rs, cc)).active, true);
    await s.w.storage.clients.update('default', 'owner', { disabled: true });
    assert.deepEqual(await s.introspector.introspect(rs, cc), { active: false });
    assert.deepEqual(await s.introspector.introspect(rs, user), { active: false });
    await s.w.storage.clients.update('default', 'owner', { disabled: false });
    assert.equal((await s.introspector.introspect(rs, cc)).active, true, 'inactive only while disabled');
    await s.w.storage.clients.delete('default', 'owner');
    assert.deepEqual(await s.introspector.introspect(rs, cc), { active: false });
  });
}

test('RFC 7662 §2.2 a pairwise JWT access token finds its user through the sealed id: inactive once the user is disabled', async () => {
  const s = await setup();
  const rp = makeClient({ clientId: 'pairwise-rp' });
  await s.w.storage.clients.create(rp);
  const token = await userToken(s, 'jwt', rp);
  const r = await s.introspector.introspect(rp, token);
  assert.equal(r.active, true);
  assert.equal(r.sub, 'pw-alice');
  await s.w.storage.users.update('default', 'alice', { disabled: true });
  assert.deepEqual(await s.introspector.introspect(rp, token), { active: false });
});

test('RFC 7662 §2.2 a refresh token of a disabled user is inactive (stored userId, or the sub of an older row)', async () => {
  const { w, introspector } = await setup();
  for (const [value, userId] of [
    ['refresh-new', 'alice'],
    ['refresh-old', null],
  ] as const) {
    await w.storage.tokens.insert({
      tenantId: 'default',
      hash: sha256(value),
      kind: 'refresh_token',
      jti: value,
      clientId: 'owner',
      subject: 'alice',
      userId,
      scope: 'openid',
      audience: [ISSUER],
      grantId: `g-${value}`,
      parentHash: null,
      issuedAt: T0 / 1000,
      expiresAt: T0 / 1000 + 86_400,
      cnf: null,
      claims: { auth_time: T0 / 1000, family_iat: T0 / 1000 },
      revokedAt: null,
      consumedAt: null,
    });
    assert.equal((await introspector.introspect(owner, value)).active, true);
  }
  await w.storage.users.update('default', 'alice', { disabled: true });
  assert.deepEqual(await introspector.introspect(owner, 'refresh-new'), { active: false });
  assert.deepEqual(await introspector.introspect(owner, 'refresh-old'), { active: false });
});
