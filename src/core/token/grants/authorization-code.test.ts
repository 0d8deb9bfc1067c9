import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { coreWorld, ISSUER, makeClient, T0 } from '../../../../test/support/core-fixtures.ts';
import { fakeUserStore, grantDeps, KEK, makeCodeRecord, makeUser, PKCE } from '../../../../test/support/oidc-fixtures.ts';
import { opaqueTokenKey } from '../../crypto.ts';
import { OAuthError } from '../../errors.ts';
import { halfHash } from '../../id-token/hash-claims.ts';
import type { AccessTokenFormat } from '../../model/client.ts';
import { createIntrospector } from '../../introspection/introspect.ts';
import { findToken, isActive } from '../../tokens/find-token.ts';
import { createAccessTokenIssuer } from '../../tokens/issue-access-token.ts';
import { createUserSubjects, SEALED_USER_CLAIM } from '../../tokens/user-subject.ts';
import type { TokenResponse } from '../types.ts';
import { createAuthorizationCodeGrant } from './authorization-code.ts';

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
  const codes = w.storage.codes;
  const users = fakeUserStore(makeUser());
  const deps = grantDeps(w, { accessTokens, codes, users });
  const grant = createAuthorizationCodeGrant(deps);
  const redeem = (params: Record<string, string>, client = rp, resources: readonly string[] = []) =>
    grant.handle({ client, authMethod: 'none', params, resources });
  const ok = { code: 'code-1', redirect_uri: 'https://rp.example/cb', code_verifier: PKCE.verifier };
  await codes.insert(makeCodeRecord('code-1'));
  const active = async (token: string) => {
    const view = await findToken({ ...w, tokens: w.storage.tokens }, ISSUER, token);
    return !!view && isActive(view, w.clock.now() / 1000, w.storage.denylist, w.tenantId);
  };
  return { w, codes, users, deps, grant, redeem, ok, active };
}

describe('RFC 6749 §4.1.3 authorization_code grant', () => {
  test('oidcc-server code + PKCE yields access, refresh and ID token', async () => {
    const { w, redeem, ok, active } = await setup();
    const res = await redeem(ok);
    assert.equal(res.token_type, 'Bearer');
    assert.equal(res.expires_in, 300);
    assert.equal(res.scope, 'openid email offline_access');
    assert.ok(res.refresh_token && res.refresh_token.length >= 43);
    assert.ok(await active(res.access_token));
    const at = decodeJwt(res.access_token);
    assert.equal(at.sub, 'u-1');
    assert.equal(at.auth_time, T0 / 1000 - 60);
    assert.equal(at.grant_id, 'grant-code-1');
    const { payload } = await jwtVerify(res.id_token!, createLocalJWKSet(w.keys.jwks() as never), {
      issuer: ISSUER,
      audience: 'rp',
      currentDate: new Date(T0),
    });
    assert.equal(payload.sub, 'u-1');
    assert.equal(payload.nonce, 'nonce-1');
    assert.equal(payload.at_hash, halfHash(res.access_token, 'ES256'));
    assert.equal(payload.email, undefined, 'OIDC Core §5.4: scope claims are for UserInfo when an access token is issued');
    const rt = await w.storage.tokens.find(w.tenantId, opaqueTokenKey(res.refresh_token!));
    assert.equal(rt?.kind, 'refresh_token');
    assert.equal(rt?.grantId, 'grant-code-1');
    assert.equal(rt?.parentHash, null);
  });

  test('OIDC Core §11 OpenID requests get a refresh token only with offline_access', async () => {
    const { codes, redeem, ok } = await setup();
    await codes.insert(makeCodeRecord('code-2', { scope: 'openid email' }));
    assert.equal((await redeem({ ...ok, code: 'code-2' })).refresh_token, undefined);
    await codes.insert(makeCodeRecord('code-3', { scope: 'email' }));
    const plain = await redeem({ ...ok, code: 'code-3' });
    assert.ok(plain.refresh_token, 'a plain OAuth request gets one when the client may refresh');
    assert.equal(plain.id_token, undefined, 'no openid, no ID token');
    await codes.insert(makeCodeRecord('code-4'));
    const noRefresh = await redeem({ ...ok, code: 'code-4' }, { ...rp, grantTypes: ['authorization_code'] });
    assert.equal(noRefresh.refresh_token, undefined);
  });

  test('oidcc-codereuse a second redemption is invalid_grant and revokes every token of the grant', async () => {
    const { w, redeem, ok, active } = await setup();
    const first = await redeem(ok);
    await assert.rejects(redeem(ok), isCode('invalid_grant'));
    assert.equal(await active(first.access_token), false, 'the JWT access token is refused through its grant');
    const rt = await w.storage.tokens.find(w.tenantId, opaqueTokenKey(first.refresh_token!));
    assert.notEqual(rt?.revokedAt, null);
    assert.deepEqual(w.events.of('grant.revoked'), [{ tenantId: w.tenantId, clientId: 'rp', reason: 'code_reuse', tokens: 1 }]);
  });

  test('S4 two concurrent redemptions of one code: one take wins and no live token survives', async () => {
    const { w, redeem, ok, active } = await setup();
    const results = await Promise.allSettled([redeem(ok), redeem(ok)]);
    assert.ok(results.some((r) => r.status === 'rejected' && isCode('invalid_grant')(r.reason)));
    for (const r of results) {
      if (r.status !== 'fulfilled') continue;
      assert.equal(await active(r.value.access_token), false);
      assert.equal(await active(r.value.refresh_token!), false);
    }
    assert.equal(w.events.of('grant.revoked').length, 1);
  });

  test('oidcc-codereuse-30seconds reuse 30 s later still revokes the opaque access token', async () => {
    const { w, redeem, ok, active } = await setup('opaque');
    const first = await redeem(ok);
    w.clock.advance(30);
    await assert.rejects(redeem(ok), isCode('invalid_grant'));
    assert.equal(await active(first.access_token), false);
    assert.equal(await active(first.refresh_token!), false);
  });

  test('RFC 6749 §4.1.2 an expired code is invalid_grant', async () => {
    const { w, redeem, ok } = await setup();
    w.clock.advance(60);
    await assert.rejects(redeem(ok), isCode('invalid_grant'));
  });

  test('RFC 6749 §4.1.3 a code issued to another client is invalid_grant and issues nothing', async () => {
    const { w, redeem, ok } = await setup('opaque');
    await assert.rejects(redeem(ok, { ...rp, clientId: 'other' }), isCode('invalid_grant'));
    assert.equal(await w.storage.tokens.countActive(T0 / 1000), 0);
  });

  test('RFC 6749 §5.2 an unknown code is invalid_grant', async () => {
    const { redeem, ok } = await setup();
    await assert.rejects(redeem({ ...ok, code: 'nope' }), isCode('invalid_grant'));
    await assert.rejects(redeem({ ...ok, code: 'x'.repeat(600) }), isCode('invalid_grant'));
    await assert.rejects(redeem({ redirect_uri: ok.redirect_uri }), isCode('invalid_request'));
  });

  test('oidcc-ensure-registered-redirect-uri redirect_uri must equal the authorization request', async () => {
    const { codes, redeem, ok } = await setup();
    await assert.rejects(redeem({ ...ok, redirect_uri: 'https://rp.example/cb/' }), isCode('invalid_grant'));
    await codes.insert(makeCodeRecord('code-2'));
    await assert.rejects(redeem({ code: 'code-2', code_verifier: PKCE.verifier }), isCode('invalid_request'));
    await codes.insert(makeCodeRecord('code-3', { scope: 'email' }));
    assert.ok((await redeem({ code: 'code-3', code_verifier: PKCE.verifier })).access_token, 'non-OpenID, single registered URI: may be omitted');
  });

  test('oidcc-ensure-request-with-valid-pkce-succeeds and RFC 7636 §4.6 a wrong or missing verifier fails', async () => {
    const { codes, redeem, ok } = await setup();
    await assert.rejects(redeem({ ...ok, code_verifier: 'a'.repeat(43) }), isCode('invalid_grant'));
    await codes.insert(makeCodeRecord('code-2'));
    await assert.rejects(redeem({ code: 'code-2', redirect_uri: ok.redirect_uri }), isCode('invalid_grant'));
    await codes.insert(makeCodeRecord('code-3'));
    assert.ok((await redeem({ ...ok, code: 'code-3' })).access_token);
  });

  test('RFC 9700 §2.1.1 a code_verifier without a stored challenge is rejected', async () => {
    const { codes, redeem, ok } = await setup();
    await codes.insert(makeCodeRecord('code-2', { codeChallenge: null, codeChallengeMethod: null }));
    await assert.rejects(redeem({ ...ok, code: 'code-2' }), isCode('invalid_grant'));
  });

  test('RFC 7636 §4.1 a malformed verifier is invalid_request and leaves the code unused', async () => {
    const { redeem, ok } = await setup();
    await assert.rejects(redeem({ ...ok, code_verifier: 'short' }), isCode('invalid_request'));
    assert.ok((await redeem(ok)).access_token);
  });

  test('a disabled user gets no tokens', async () => {
    const { users, redeem, ok, w } = await setup('opaque');
    users.put(makeUser({ disabled: true }));
    await assert.rejects(redeem(ok), isCode('invalid_grant'));
    assert.equal(await w.storage.tokens.countActive(T0 / 1000), 0);
  });

  test('OIDC Core §8.1 a pairwise client sees its pairwise sub in both tokens; the user id is sealed', async () => {
    const { codes, redeem, ok } = await setup();
    const pw = { ...rp, metadata: { subject_type: 'pairwise' } };
    await codes.insert(makeCodeRecord('code-2'));
    const res = await redeem({ ...ok, code: 'code-2' }, pw);
    const at = decodeJwt(res.access_token);
    assert.notEqual(at.sub, 'u-1');
    assert.equal(decodeJwt(res.id_token!).sub, at.sub);
    assert.equal(JSON.stringify(at).includes('u-1'), false);
    const subjects = createUserSubjects(KEK, () => String(at.sub));
    assert.equal(subjects.userIdOf('rp', String(at.sub), at), 'u-1');
    assert.equal(subjects.userIdOf('other', String(at.sub), at), null, 'sealed to the client');
    assert.equal(typeof at[SEALED_USER_CLAIM], 'string');
  });

  test('OIDC Core §8.1 stored tokens of a user grant carry the internal user id, not the pairwise sub', async () => {
    const { w, codes, redeem, ok } = await setup('opaque');
    await codes.insert(makeCodeRecord('code-2'));
    const res = await redeem({ ...ok, code: 'code-2' }, { ...rp, metadata: { subject_type: 'pairwise' } });
    for (const token of [res.access_token, res.refresh_token!]) {
      const stored = await w.storage.tokens.find(w.tenantId, opaqueTokenKey(token));
      assert.equal(stored?.userId, 'u-1');
      assert.notEqual(stored?.subject, 'u-1');
    }
    const grants = await w.storage.grants.listGrants(w.tenantId, { userId: 'u-1' }, { limit: 10, sort: 'issued_at', order: 'asc' }, T0 / 1000);
    assert.deepEqual(
      grants.items.map((g) => [g.clientId, g.activeTokens]),
      [['rp', 2]],
    );
  });

  test('RFC 7662 introspection of a user token shows sub, auth_time and acr, never the server-only claims', async () => {
    const { w, codes, deps, redeem, ok } = await setup('opaque');
    await codes.insert(makeCodeRecord('code-2', { claims: { userinfo: { name: null } } }));
    const res = await redeem({ ...ok, code: 'code-2' }, { ...rp, metadata: { subject_type: 'pairwise' } });
    await w.storage.clients.create(rp);
    const introspector = createIntrospector(
      { ...deps, tokens: w.storage.tokens, denylist: w.storage.denylist, clients: w.storage.clients, keys: w.keys },
      { issuer: ISSUER, introspection: { access: 'any-client', privilegedClients: [] } },
    );
    for (const token of [res.access_token, res.refresh_token!]) {
      const out = await introspector.introspect(rp, token);
      assert.equal(out.active, true);
      assert.equal(out.auth_time, T0 / 1000 - 60);
      assert.notEqual(out.sub, 'u-1');
      for (const hidden of ['sealed_uid', 'userinfo_claims', 'family_iat', 'claims_request', 'resources']) assert.equal(hidden in out, false, hidden);
    }
  });

  test('OIDC Core §5.5 the userinfo member of the claims request travels with the access token', async () => {
    const { codes, redeem, ok } = await setup();
    await codes.insert(makeCodeRecord('code-2', { claims: { userinfo: { name: { essential: true } }, id_token: { email: null } } }));
    const res = await redeem({ ...ok, code: 'code-2' });
    assert.deepEqual(decodeJwt(res.access_token).userinfo_claims, { name: { essential: true } });
    assert.equal(decodeJwt(res.id_token!).email, 'jane@example.com');
  });

  describe('what spends a code (docs/tokens.md: code redemption order)', () => {
    const spent = async (redeem: (p: Record<string, string>) => Promise<unknown>, ok: Record<string, string>) => {
      await assert.rejects(redeem(ok), isCode('invalid_grant'), 'the correct redemption afterwards finds the code spent');
    };

    test('RFC 8707 §2 a resource outside the grant is invalid_target and the code stays good for the corrected request', async () => {
      const { w, codes, redeem, ok } = await setup();
      await codes.insert(makeCodeRecord('code-r', { resources: ['https://api.example/'] }));
      const params = { ...ok, code: 'code-r' };
      await assert.rejects(redeem(params, rp, ['https://other.example/']), isCode('invalid_target'));
      const res = await redeem(params, rp, ['https://api.example/']);
      assert.equal(decodeJwt(res.access_token).aud, 'https://api.example/');
      assert.deepEqual(w.events.of('grant.revoked'), [], 'the retry was not taken for a reuse');
    });

    test('OIDC Registration §2 an ID token alg the server cannot sign with is unauthorized_client and leaves the code', async () => {
      const { redeem, ok } = await setup();
      await assert.rejects(redeem(ok, { ...rp, metadata: { id_token_signed_response_alg: 'HS256' } }), isCode('unauthorized_client'));
      assert.ok((await redeem(ok)).id_token);
    });

    test('RFC 6749 §4.1.3 a missing redirect_uri is invalid_request and leaves the code', async () => {
      const { redeem, ok } = await setup();
      await assert.rejects(redeem({ code: ok.code, code_verifier: ok.code_verifier }), isCode('invalid_request'));
      assert.ok((await redeem(ok)).access_token);
    });

    test('RFC 7636 §4.6 a wrong code_verifier is invalid_grant and spends the code: the correct verifier then fails too', async () => {
      const { w, redeem, ok } = await setup();
      await assert.rejects(redeem({ ...ok, code_verifier: 'b'.repeat(43) }), isCode('invalid_grant'));
      await spent(redeem, ok);
      assert.equal(await w.storage.tokens.countActive(T0 / 1000), 0, 'nothing was issued');
    });

    test("RFC 6749 §4.1.2 a redirect_uri other than the authorization request's spends the code", async () => {
      const { redeem, ok } = await setup();
      await assert.rejects(redeem({ ...ok, redirect_uri: 'https://rp.example/other' }), isCode('invalid_grant'));
      await spent(redeem, ok);
    });

    test('RFC 6749 §4.1.3 a code presented by another client spends it', async () => {
      const { redeem, ok } = await setup();
      await assert.rejects(redeem(ok, { ...rp, clientId: 'other' }), isCode('invalid_grant'));
      await spent(redeem, ok);
    });

    test("S4 a take that loses the race after the read is a reuse: invalid_grant, and the winner's tokens die with the grant", async () => {
      const { w, deps, ok, active } = await setup();
      let winner: Promise<TokenResponse> | undefined;
      const grant = createAuthorizationCodeGrant({
        ...deps,
        codes: {
          find: async (t, hash) => {
            const found = await w.storage.codes.find(t, hash);
            // Another redemption completes between this one's read and its take.
            winner ??= createAuthorizationCodeGrant(deps).handle({ client: rp, authMethod: 'none', params: ok, resources: [] });
            await winner;
            return found;
          },
          take: (t, hash, at) => w.storage.codes.take(t, hash, at),
        },
      });
      await assert.rejects(grant.handle({ client: rp, authMethod: 'none', params: ok, resources: [] }), isCode('invalid_grant'));
      const won = await winner!;
      assert.equal(await active(won.access_token), false);
      assert.equal(w.events.of('grant.revoked').length, 1);
    });
  });
});
