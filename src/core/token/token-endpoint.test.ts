import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../test/support/core-fixtures.ts';
import { grantDeps } from '../../../test/support/oidc-fixtures.ts';
import { OAuthError } from '../errors.ts';
import { createGrantRegistry } from './grant-registry.ts';
import { createAccessTokenIssuer } from '../tokens/issue-access-token.ts';
import { createTokenEndpoint } from './token-endpoint.ts';
import type { TokenGrant } from './types.ts';

async function setup() {
  const w = await coreWorld();
  const accessTokens = createAccessTokenIssuer(
    { ...w, tokens: w.storage.tokens },
    {
      issuer: ISSUER,
      tokens: { accessTokenTtl: 300, accessTokenFormat: 'opaque', accessTokenSigningAlg: 'ES256' },
      resources: [],
      requireResourceRegistration: false,
    },
  );
  const grants = createGrantRegistry(grantDeps(w, { accessTokens }));
  return { w, grants, endpoint: createTokenEndpoint(grants) };
}

const form = (single: Record<string, string>, multi: Record<string, string[]> = {}) => ({ single, multi });
const isCode = (code: string) => (e: unknown) => e instanceof OAuthError && e.code === code;

test('S1 the registry holds each grant under its wire name; client_credentials for confidential clients only', async () => {
  const { grants } = await setup();
  const cc = grants.get('client_credentials');
  assert.ok(cc);
  assert.deepEqual(cc.params, ['scope']);
  assert.equal(cc.allowsPublicClients, false);
  for (const type of ['client_credentials', 'authorization_code', 'refresh_token']) assert.equal(grants.get(type)?.type, type);
  assert.deepEqual(grants.get('authorization_code')?.params, ['code', 'redirect_uri', 'code_verifier']);
  assert.equal(grants.get('refresh_token')?.allowsPublicClients, true);
});

test('RFC 6749 §4.4.2 a missing grant_type is invalid_request', async () => {
  const { endpoint } = await setup();
  assert.throws(() => endpoint.grantFor(undefined), isCode('invalid_request'));
});

test('RFC 6749 §5.2 an unknown grant_type is unsupported_grant_type', async () => {
  const { endpoint } = await setup();
  for (const g of ['password', 'implicit', 'CLIENT_CREDENTIALS', '__proto__', 'constructor']) {
    assert.throws(() => endpoint.grantFor(g), isCode('unsupported_grant_type'), g);
  }
});

test('RFC 6749 §5.2 a client not registered for the grant is unauthorized_client and nothing is written', async () => {
  const { w, endpoint } = await setup();
  const grant = endpoint.grantFor('client_credentials');
  const client = makeClient({ grantTypes: ['authorization_code'] });
  await assert.rejects(
    endpoint.handle(grant, { client, method: 'client_secret_basic' }, form({ grant_type: 'client_credentials' })),
    isCode('unauthorized_client'),
  );
  assert.equal(await w.storage.tokens.countActive(T0 / 1000), 0);
});

test('RFC 6749 §4.4.3 client_credentials answers a Bearer token with expires_in and scope, no refresh token', async () => {
  const { w, endpoint } = await setup();
  const grant = endpoint.grantFor('client_credentials');
  const res = await endpoint.handle(grant, { client: makeClient(), method: 'client_secret_basic' }, form({ grant_type: 'client_credentials', scope: 'read' }));
  assert.equal(res.token_type, 'Bearer');
  assert.equal(res.expires_in, 300);
  assert.equal(res.scope, 'read');
  assert.equal(res.refresh_token, undefined);
  assert.equal(await w.storage.tokens.countActive(T0 / 1000), 1);
});

test('S1 parameters the grant did not declare never reach it', async () => {
  const { endpoint } = await setup();
  let seen: Record<string, string> | undefined;
  let resources: readonly string[] | undefined;
  const spy: TokenGrant = {
    type: 'client_credentials',
    params: ['scope'],
    allowsPublicClients: false,
    async handle(ctx) {
      seen = { ...ctx.params };
      resources = ctx.resources;
      return { access_token: 'x', token_type: 'Bearer', expires_in: 1 };
    },
  };
  await endpoint.handle(
    spy,
    { client: makeClient(), method: 'client_secret_post' },
    form({ grant_type: 'client_credentials', scope: 'read', client_secret: 's', username: 'u' }, { resource: ['https://r.example'] }),
  );
  assert.deepEqual(seen, { scope: 'read' });
  assert.deepEqual(resources, ['https://r.example']);
});

test('RFC 8707 §2 an invalid resource is invalid_target and nothing is written', async () => {
  const { w, endpoint } = await setup();
  const grant = endpoint.grantFor('client_credentials');
  await assert.rejects(
    endpoint.handle(grant, { client: makeClient(), method: 'client_secret_basic' }, form({ grant_type: 'client_credentials' }, { resource: ['not-a-uri'] })),
    isCode('invalid_target'),
  );
  assert.equal(await w.storage.tokens.countActive(T0 / 1000), 0);
});
