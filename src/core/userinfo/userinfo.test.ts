import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../test/support/core-fixtures.ts';
import { fakeCodeStore, fakeUserStore, grantDeps, makeCodeRecord, makeUser, PKCE } from '../../../test/support/oidc-fixtures.ts';
import { opaqueTokenKey } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import type { AccessTokenFormat } from '../model/client.ts';
import type { AuthorizationCodeRecord } from '../model/authorization-code.ts';
import { revokeWholeGrant } from '../tokens/grant-revocation.ts';
import { createAuthorizationCodeGrant } from '../token/grants/authorization-code.ts';
import { createAccessTokenIssuer } from '../tokens/issue-access-token.ts';
import { createUserInfo } from './userinfo.ts';

const rp = makeClient({
  clientId: 'rp',
  tokenEndpointAuthMethod: 'none',
  grantTypes: ['authorization_code', 'refresh_token'],
  redirectUris: ['https://rp.example/cb'],
  scopes: ['openid', 'email', 'profile', 'offline_access'],
});
const fails = (code: string, status: number) => (e: unknown) => {
  assert.ok(e instanceof OAuthError);
  assert.equal(e.code, code);
  assert.equal(e.status, status);
  assert.match(e.headers['www-authenticate'] ?? '', new RegExp(`^Bearer error="${code}"`));
  return true;
};

async function setup(format: AccessTokenFormat = 'jwt') {
  const w = await coreWorld();
  const accessTokens = createAccessTokenIssuer(
    { ...w, tokens: w.storage.tokens },
    {
      issuer: ISSUER,
      tokens: { accessTokenTtl: 300, accessTokenFormat: format, accessTokenSigningAlg: 'ES256' },
      resources: [{ identifier: 'https://api.example', scopes: [] }],
      requireResourceRegistration: false,
    },
  );
  const codes = fakeCodeStore();
  const users = fakeUserStore(makeUser());
  const deps = grantDeps(w, { accessTokens, codes, users });
  const grant = createAuthorizationCodeGrant(deps);
  let n = 0;
  const tokensFor = async (over: Partial<AuthorizationCodeRecord> = {}, client = rp, resources: string[] = []) => {
    const code = `code-${++n}`;
    await codes.insert(makeCodeRecord(code, over));
    return grant.handle({ client, authMethod: 'none', params: { code, redirect_uri: 'https://rp.example/cb', code_verifier: PKCE.verifier }, resources });
  };
  await w.storage.clients.create(rp);
  const userinfo = createUserInfo(
    { ...deps, clients: w.storage.clients, tokens: w.storage.tokens, denylist: w.storage.denylist, keys: w.keys },
    { issuer: ISSUER, userinfoEndpoint: `${ISSUER}/userinfo` },
  );
  return { w, users, accessTokens, tokensFor, userinfo };
}

describe('OIDC Core §5.3 UserInfo', () => {
  for (const format of ['jwt', 'opaque'] as const) {
    test(`oidcc-userinfo-get OIDC Core §5.3.2 claims by scope with sub (${format} access token)`, async () => {
      const { tokensFor, userinfo } = await setup(format);
      const { access_token } = await tokensFor({ scope: 'openid email' });
      assert.deepEqual(await userinfo.claims(access_token), { sub: 'u-1', email: 'jane@example.com', email_verified: true });
    });
  }

  test('oidcc-claims-essential OIDC Core §5.5 claims requested for userinfo are returned', async () => {
    const { tokensFor, userinfo } = await setup();
    const { access_token } = await tokensFor({ scope: 'openid', claims: { userinfo: { name: { essential: true } } } });
    assert.deepEqual(await userinfo.claims(access_token), { sub: 'u-1', name: 'Jane Doe' });
  });

  test('OIDC Core §8.1 sub is the pairwise sub the client saw', async () => {
    const { tokensFor, userinfo } = await setup();
    const res = await tokensFor({ scope: 'openid' }, { ...rp, metadata: { subject_type: 'pairwise' } });
    const sub = JSON.parse(Buffer.from(res.id_token!.split('.')[1]!, 'base64url').toString()).sub;
    assert.notEqual(sub, 'u-1');
    assert.deepEqual(await userinfo.claims(res.access_token), { sub });
  });

  test('RFC 6750 §3.1 a token without openid is insufficient_scope (403)', async () => {
    const { tokensFor, userinfo } = await setup();
    const { access_token } = await tokensFor({ scope: 'email' });
    await assert.rejects(userinfo.claims(access_token), fails('insufficient_scope', 403));
  });

  test('RFC 6750 §3.1 an expired, revoked, foreign-issuer or unknown token is invalid_token (401)', async () => {
    const { w, tokensFor, userinfo } = await setup('opaque');
    const { access_token, refresh_token } = await tokensFor({ scope: 'openid offline_access' });
    await assert.rejects(userinfo.claims('nope'), fails('invalid_token', 401));
    const revoked = (await tokensFor({ scope: 'openid' })).access_token;
    assert.ok(await userinfo.claims(revoked), 'active before the revocation');
    await w.storage.tokens.revoke(w.tenantId, opaqueTokenKey(revoked), T0 / 1000);
    await assert.rejects(userinfo.claims(revoked), fails('invalid_token', 401), 'a revoked token');
    await assert.rejects(userinfo.claims(refresh_token!), fails('invalid_token', 401), 'a refresh token is not an access token');
    w.clock.advance(300);
    await assert.rejects(userinfo.claims(access_token), fails('invalid_token', 401));
    w.clock.set(T0);
    const foreignIssuer = w.keys
      .signer('ES256')
      .sign(
        { iss: 'https://evil.example', sub: 'u-1', aud: ISSUER, exp: T0 / 1000 + 60, iat: T0 / 1000, jti: 'j', client_id: 'rp', scope: 'openid', auth_time: 1 },
        'at+jwt',
      );
    await assert.rejects(userinfo.claims(foreignIssuer), fails('invalid_token', 401));
  });

  test('a client_credentials token is not a user token', async () => {
    const { accessTokens, userinfo } = await setup();
    const svc = makeClient({ clientId: 'u-1', scopes: ['openid'] });
    const issued = await accessTokens.issue({ plan: accessTokens.plan(svc, 'openid', []), grantType: 'client_credentials', subject: 'u-1' });
    await assert.rejects(userinfo.claims(issued.token), fails('invalid_token', 401));
  });

  test('RFC 8707 a token for another resource is not accepted here', async () => {
    const { tokensFor, userinfo } = await setup();
    const { access_token } = await tokensFor({ scope: 'openid', resources: ['https://api.example'] }, rp, ['https://api.example']);
    await assert.rejects(userinfo.claims(access_token), fails('invalid_token', 401));
  });

  test('a disabled user gets invalid_token', async () => {
    const { users, tokensFor, userinfo } = await setup();
    const { access_token } = await tokensFor({ scope: 'openid' });
    users.put(makeUser({ disabled: true }));
    await assert.rejects(userinfo.claims(access_token), fails('invalid_token', 401));
  });

  test('RFC 6749 §4.1.2 a JWT access token of a revoked grant (reused code) is refused', async () => {
    const { tokensFor, userinfo, w } = await setup();
    const first = await tokensFor({ scope: 'openid', grantId: 'g-reuse' });
    assert.ok(await userinfo.claims(first.access_token));
    await revokeWholeGrant(
      { ...w, tokens: w.storage.tokens, denylist: w.storage.denylist },
      { tokens: { accessTokenTtl: 300 }, resources: [] },
      { grantId: 'g-reuse', clientId: 'rp', now: T0 / 1000, reason: 'code_reuse' },
    );
    await assert.rejects(userinfo.claims(first.access_token), fails('invalid_token', 401));
  });
  for (const format of ['jwt', 'opaque'] as const) {
    test(`RFC 6750 §3.1 a ${format} access token of a disabled client is invalid_token while it is disabled`, async () => {
      const { w, tokensFor, userinfo } = await setup(format);
      const { access_token } = await tokensFor({ scope: 'openid' });
      assert.ok(await userinfo.claims(access_token), 'accepted while the client is enabled');
      await w.storage.clients.update('default', 'rp', { disabled: true });
      await assert.rejects(userinfo.claims(access_token), fails('invalid_token', 401));
      await w.storage.clients.update('default', 'rp', { disabled: false });
      assert.ok(await userinfo.claims(access_token), 'accepted again once re-enabled');
      await w.storage.clients.delete('default', 'rp');
      await assert.rejects(userinfo.claims(access_token), fails('invalid_token', 401));
    });
  }
});
