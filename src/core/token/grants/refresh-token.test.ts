import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../../test/support/core-fixtures.ts';
import { fakeCodeStore, fakeUserStore, grantDeps, makeCodeRecord, makeUser, PKCE } from '../../../../test/support/oidc-fixtures.ts';
import { opaqueTokenKey } from '../../crypto.ts';
import { OAuthError } from '../../errors.ts';
import type { AccessTokenFormat } from '../../model/client.ts';
import { findToken, isActive } from '../../tokens/find-token.ts';
import { createAccessTokenIssuer } from '../../tokens/issue-access-token.ts';
import { createAuthorizationCodeGrant } from './authorization-code.ts';
import { createRefreshTokenGrant } from './refresh-token.ts';

const rp = makeClient({
  clientId: 'rp',
  tokenEndpointAuthMethod: 'none',
  grantTypes: ['authorization_code', 'refresh_token'],
  redirectUris: ['https://rp.example/cb'],
  scopes: ['openid', 'email', 'offline_access'],
});
const isCode = (code: string) => (e: unknown) => e instanceof OAuthError && e.code === code;

async function setup(format: AccessTokenFormat = 'jwt') {
  const w = await coreWorld();
  const accessTokens = createAccessTokenIssuer(
    { ...w, tokens: w.storage.tokens },
    {
      issuer: ISSUER,
      tokens: { accessTokenTtl: 300, accessTokenFormat: format, accessTokenSigningAlg: 'ES256' },
      resources: [],
      requireResourceRegistration: false,
    },
  );
  const codes = fakeCodeStore();
  const users = fakeUserStore(makeUser());
  const deps = grantDeps(w, { accessTokens, codes, users });
  const code = createAuthorizationCodeGrant(deps);
  const refresh = createRefreshTokenGrant(deps);
  await codes.insert(makeCodeRecord('code-1'));
  const first = await code.handle({
    client: rp,
    authMethod: 'none',
    params: { code: 'code-1', redirect_uri: 'https://rp.example/cb', code_verifier: PKCE.verifier },
    resources: [],
  });
  const use = (token: string, extra: Record<string, string> = {}, client = rp, resources: readonly string[] = []) =>
    refresh.handle({ client, authMethod: 'none', params: { refresh_token: token, ...extra }, resources });
  const active = async (token: string) => {
    const view = await findToken({ ...w, tokens: w.storage.tokens }, ISSUER, token);
    return !!view && isActive(view, w.clock.now() / 1000, w.storage.denylist, w.tenantId);
  };
  return { w, users, first, use, active };
}

describe('RFC 6749 §6 refresh_token grant with rotation (RFC 9700 §4.14.2)', () => {
  test('oidcc-refresh-token rotation: a new refresh token in the same family, a new ID token per OIDC Core §12.2', async () => {
    const { w, first, use, active } = await setup();
    w.clock.advance(100);
    const second = await use(first.refresh_token!);
    assert.ok(second.refresh_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal(second.scope, 'openid email offline_access');
    assert.equal(await active(first.refresh_token!), false, 'the presented token is consumed');
    assert.ok(await active(second.refresh_token!));
    const child = await w.storage.tokens.find(w.tenantId, opaqueTokenKey(second.refresh_token!));
    assert.equal(child?.parentHash, opaqueTokenKey(first.refresh_token!));
    assert.equal(child?.grantId, 'grant-code-1');
    const before = decodeJwt(first.id_token!);
    const { payload } = await jwtVerify(second.id_token!, createLocalJWKSet(w.keys.jwks() as never), {
      issuer: ISSUER,
      audience: 'rp',
      currentDate: new Date(w.clock.now()),
    });
    assert.equal(payload.sub, before.sub);
    assert.equal(payload.aud, before.aud);
    assert.equal(payload.auth_time, before.auth_time, 'auth_time of the original sign-in');
    assert.equal(payload.iat, T0 / 1000 + 100);
    assert.equal(payload.nonce, undefined);
    assert.deepEqual(w.events.of('refresh_token.rotated').length, 1);
  });

  test('RFC 9700 §4.14.2 presenting a rotated refresh token revokes the whole family', async () => {
    const { w, first, use, active } = await setup();
    const second = await use(first.refresh_token!);
    await assert.rejects(use(first.refresh_token!), isCode('invalid_grant'));
    assert.equal(await active(second.refresh_token!), false, 'the active successor is revoked');
    assert.equal(await active(second.access_token), false, 'JWT access tokens of the family are refused');
    assert.equal(await active(first.access_token), false);
    await assert.rejects(use(second.refresh_token!), isCode('invalid_grant'));
    assert.equal(w.events.of('token.revoked').at(0)?.reason, 'reuse_detected');
    assert.equal(w.events.of('grant.revoked').at(0)?.reason, 'refresh_token_reuse');
  });

  test('S4 two concurrent uses of one refresh token: one consume wins, the family is revoked, no live token survives', async () => {
    const { w, first, use, active } = await setup();
    const results = await Promise.allSettled([use(first.refresh_token!), use(first.refresh_token!)]);
    assert.ok(results.filter((r) => r.status === 'fulfilled').length <= 1);
    assert.ok(results.some((r) => r.status === 'rejected' && isCode('invalid_grant')(r.reason)));
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      assert.equal(await active(r.value.refresh_token!), false, 'the successor was revoked with the family');
      assert.equal(await active(r.value.access_token), false);
    }
    assert.equal(w.events.of('grant.revoked').length, 1);
  });

  test('RFC 6749 §6 scope may narrow, never widen', async () => {
    const { first, use } = await setup();
    await assert.rejects(use(first.refresh_token!, { scope: 'openid email admin' }), isCode('invalid_scope'));
    const narrowed = await use(first.refresh_token!, { scope: 'openid' });
    assert.equal(narrowed.scope, 'openid');
    const again = await use(narrowed.refresh_token!);
    assert.equal(again.scope, 'openid email offline_access', 'the grant keeps its original scope');
  });

  test('RFC 9700 §4.14.2 / RFC 8707 §2 an invalid resource is invalid_target and the same refresh token still works afterwards', async () => {
    const { w, first, use, active } = await setup();
    await assert.rejects(use(first.refresh_token!, {}, rp, ['not a uri']), isCode('invalid_target'));
    assert.ok(await active(first.refresh_token!), 'nothing was consumed');
    const retry = await use(first.refresh_token!);
    assert.ok(retry.refresh_token, 'the corrected retry is not taken for reuse');
    assert.equal(w.events.of('grant.revoked').length, 0);
  });

  test('RFC 9700 §4.14.2 / RFC 6749 §6 a widened scope is invalid_scope and the same refresh token still works afterwards', async () => {
    const { w, first, use } = await setup();
    await assert.rejects(use(first.refresh_token!, { scope: 'openid admin' }), isCode('invalid_scope'));
    assert.ok((await use(first.refresh_token!)).refresh_token);
    assert.equal(w.events.of('grant.revoked').length, 0);
  });

  test('RFC 9700 §4.14.2 / OIDC Registration §2 an unsupported id_token_signed_response_alg is unauthorized_client before the refresh token is consumed', async () => {
    const { w, first, use, active } = await setup();
    const odd = { ...rp, metadata: { id_token_signed_response_alg: 'HS256' } };
    await assert.rejects(use(first.refresh_token!, {}, odd), isCode('unauthorized_client'));
    assert.ok(await active(first.refresh_token!), 'nothing was consumed');
    assert.equal(w.events.of('grant.revoked').length, 0);
  });

  test('RFC 6749 §6 a refresh token of another client is invalid_grant and stays usable by its owner', async () => {
    const { first, use } = await setup();
    await assert.rejects(use(first.refresh_token!, {}, { ...rp, clientId: 'other' }), isCode('invalid_grant'));
    assert.ok((await use(first.refresh_token!)).access_token);
  });

  test('RFC 6749 §5.2 an unknown, malformed, expired or revoked refresh token is invalid_grant', async () => {
    const { w, first, use } = await setup();
    await assert.rejects(use('x'.repeat(43)), isCode('invalid_grant'));
    await assert.rejects(use('not a token'), isCode('invalid_grant'));
    await assert.rejects(use(first.access_token), isCode('invalid_grant'));
    w.clock.advance(86_400);
    await assert.rejects(use(first.refresh_token!), isCode('invalid_grant'));
    w.clock.set(T0);
    await w.storage.tokens.revoke(w.tenantId, opaqueTokenKey(first.refresh_token!), T0 / 1000);
    await assert.rejects(use(first.refresh_token!), isCode('invalid_grant'));
  });

  test('tokens.refreshTokenAbsoluteTtl bounds the family however often it rotates', async () => {
    const { w, first, use } = await setup();
    let token = first.refresh_token!;
    for (let day = 0; day < 7; day++) {
      w.clock.advance(86_000);
      token = (await use(token)).refresh_token!;
    }
    const last = await w.storage.tokens.find(w.tenantId, opaqueTokenKey(token));
    assert.equal(last?.expiresAt, T0 / 1000 + 7 * 86_400, 'the last token ends with the family');
    w.clock.set(T0 + 7 * 86_400 * 1000);
    await assert.rejects(use(token), isCode('invalid_grant'));
  });

  test('a disabled user cannot refresh', async () => {
    const { users, first, use } = await setup();
    users.put(makeUser({ disabled: true }));
    await assert.rejects(use(first.refresh_token!), isCode('invalid_grant'));
  });

  test('RFC 6749 §6 refresh_token is required', async () => {
    const { first } = await setup();
    assert.ok(first.refresh_token);
    const w = await coreWorld();
    const accessTokens = createAccessTokenIssuer(
      { ...w, tokens: w.storage.tokens },
      {
        issuer: ISSUER,
        tokens: { accessTokenTtl: 300, accessTokenFormat: 'jwt', accessTokenSigningAlg: 'ES256' },
        resources: [],
        requireResourceRegistration: false,
      },
    );
    const refresh = createRefreshTokenGrant(grantDeps(w, { accessTokens, codes: fakeCodeStore() }));
    await assert.rejects(refresh.handle({ client: rp, authMethod: 'none', params: {}, resources: [] }), isCode('invalid_request'));
  });

  test('opaque access tokens of the family are revoked on reuse too', async () => {
    const { first, use, active } = await setup('opaque');
    const second = await use(first.refresh_token!);
    await assert.rejects(use(first.refresh_token!), isCode('invalid_grant'));
    assert.equal(await active(second.access_token), false);
    assert.equal(await active(first.access_token), false);
  });
});
