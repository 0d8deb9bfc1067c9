import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../test/support/core-fixtures.ts';
import { opaqueTokenKey, sha256 } from '../crypto.ts';
import type { AccessTokenFormat } from '../model/client.ts';
import type { TokenRecord } from '../model/token.ts';
import { createIntrospector } from '../introspection/introspect.ts';
import { createAccessTokenIssuer } from '../tokens/issue-access-token.ts';
import { createRevoker } from './revoke.ts';

const owner = makeClient({ clientId: 'owner' });
const other = makeClient({ clientId: 'other' });
const NOW = T0 / 1000;

async function setup() {
  const w = await coreWorld();
  const deps = { ...w, tokens: w.storage.tokens, denylist: w.storage.denylist };
  const issuer = createAccessTokenIssuer(deps, {
    issuer: ISSUER,
    tokens: { accessTokenTtl: 600, accessTokenFormat: 'jwt', accessTokenSigningAlg: 'ES256' },
    resources: [],
    requireResourceRegistration: false,
  });
  const revoker = createRevoker(deps, { issuer: ISSUER, tokens: { accessTokenTtl: 600 }, resources: [] });
  // client_credentials tokens of an existing client: no user is read.
  await w.storage.clients.create(owner);
  const subjects = { userIdOf: () => assert.fail('no user behind a client_credentials token') };
  const introspector = createIntrospector(
    { ...deps, clients: w.storage.clients, users: w.storage.users, subjects },
    { issuer: ISSUER, introspection: { access: 'own-or-audience', privilegedClients: [] } },
  );
  const issue = async (format: AccessTokenFormat, grantId?: string, claims?: Record<string, unknown>) =>
    (
      await issuer.issue({
        plan: { ...issuer.plan(owner, undefined, []), format },
        grantType: 'client_credentials',
        subject: 'owner',
        ...(grantId ? { grantId } : {}),
        ...(claims ? { claims } : {}),
      })
    ).token;
  const active = async (t: string) => (await introspector.introspect(owner, t)).active;
  return { w, revoker, issue, active };
}

function refresh(value: string, over: Partial<TokenRecord> = {}): TokenRecord {
  return {
    tenantId: 'default',
    hash: sha256(value),
    kind: 'refresh_token',
    jti: `j-${value}`,
    clientId: 'owner',
    subject: 'alice',
    userId: 'alice',
    scope: 'read',
    audience: [ISSUER],
    grantId: 'grant-1',
    parentHash: null,
    issuedAt: NOW,
    expiresAt: NOW + 86_400,
    cnf: null,
    claims: {},
    revokedAt: null,
    consumedAt: null,
    ...over,
  };
}

test('RFC 7009 §2.1 revokes an opaque access token', async () => {
  const { w, revoker, issue, active } = await setup();
  const token = await issue('opaque');
  await revoker.revoke(owner, token);
  assert.equal(await active(token), false);
  assert.equal((await w.storage.tokens.find('default', opaqueTokenKey(token)))?.revokedAt, NOW);
  assert.equal(w.events.of('token.revoked').length, 1);
  assert.equal(w.events.of('token.revoked')[0]?.tokenType, 'access_token');
});

test('RFC 7009 §2 a revoked JWT access token is denied by its jti until it expires', async () => {
  const { w, revoker, issue, active } = await setup();
  const token = await issue('jwt');
  assert.equal(await active(token), true);
  await revoker.revoke(owner, token);
  assert.equal(await active(token), false);
  const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
  assert.equal(await w.storage.denylist.has('default', jti), true);
  assert.equal(await w.storage.denylist.purgeExpired(NOW + 600), 0, 'kept while the token could be valid');
  assert.equal(await w.storage.denylist.purgeExpired(NOW + 601), 1, 'dropped once it has expired');
});

test('RFC 7009 §2.1 revoking a refresh token revokes every token of its grant', async () => {
  const { w, revoker, issue, active } = await setup();
  await w.storage.tokens.insert(refresh('rt-1'));
  const sibling = await issue('opaque', 'grant-1');
  const unrelated = await issue('opaque');
  await revoker.revoke(owner, 'rt-1');
  assert.notEqual((await w.storage.tokens.find('default', sha256('rt-1')))?.revokedAt, null);
  assert.equal(await active(sibling), false);
  assert.equal(await active(unrelated), true);
  assert.equal(w.events.of('token.revoked')[0]?.tokenType, 'refresh_token');
});

test('RFC 7009 §2.1 a client cannot revoke a token issued to another client', async () => {
  const { w, revoker, issue, active } = await setup();
  const opaque = await issue('opaque');
  const jwt = await issue('jwt');
  await w.storage.tokens.insert(refresh('rt-2'));
  for (const t of [opaque, jwt, 'rt-2']) await revoker.revoke(other, t);
  assert.equal(await active(opaque), true);
  assert.equal(await active(jwt), true);
  assert.equal((await w.storage.tokens.find('default', sha256('rt-2')))?.revokedAt, null);
  assert.equal(w.events.of('token.revoked').length, 0);
});

test('RFC 7009 §2.2 unknown and invalid tokens are accepted silently', async () => {
  const { w, revoker } = await setup();
  for (const t of ['unknown', 'a.b.c', 'x'.repeat(20_000)]) await revoker.revoke(owner, t);
  assert.equal(w.events.of('token.revoked').length, 0);
});

test('RFC 7009 §2.2 revoking twice is harmless and reported once', async () => {
  const { w, revoker, issue } = await setup();
  const token = await issue('opaque');
  await revoker.revoke(owner, token);
  await revoker.revoke(owner, token);
  assert.equal(w.events.of('token.revoked').length, 1);
});

test('RFC 7009 §2 an expired JWT needs no denylist entry', async () => {
  const { w, revoker, issue } = await setup();
  const token = await issue('jwt');
  w.clock.advance(601);
  await revoker.revoke(owner, token);
  assert.equal(w.events.of('token.revoked').length, 0);
});

test('RFC 7009 §2.1 revoking a refresh token also refuses the JWT access tokens of its grant (grant_id)', async () => {
  const { w, revoker, issue, active } = await setup();
  await w.storage.tokens.insert(refresh('rt-g'));
  const jwt = await issue('jwt', 'grant-1', { grant_id: 'grant-1' });
  const unrelated = await issue('jwt', 'grant-2', { grant_id: 'grant-2' });
  assert.equal(await active(jwt), true);
  await revoker.revoke(owner, 'rt-g');
  assert.equal(await active(jwt), false);
  assert.equal(await active(unrelated), true);
  assert.equal(await w.storage.denylist.purgeExpired(NOW + 600), 0, 'the grant stays denylisted for the longest access token lifetime');
});
