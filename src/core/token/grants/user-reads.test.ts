import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { coreWorld, ISSUER, makeClient } from '../../../../test/support/core-fixtures.ts';
import { grantDeps, makeCodeRecord, makeUser, PKCE } from '../../../../test/support/oidc-fixtures.ts';
import type { UserStore } from '../../ports/user-store.ts';
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

/** The real memory UserStore, counting `get`. */
function countingUsers(inner: UserStore): UserStore & { gets: number } {
  const counted = {
    gets: 0,
    create: (u) => inner.create(u),
    get: (t, id) => {
      counted.gets++;
      return inner.get(t, id);
    },
    findByUsername: (t, name) => inner.findByUsername(t, name),
    update: (t, id, patch) => inner.update(t, id, patch),
    page: (t, q) => inner.page(t, q),
    delete: (t, id) => inner.delete(t, id),
  } satisfies UserStore & { gets: number };
  return counted;
}

describe('one user read per token request', () => {
  test('OIDC Core §3.1.3.3 an authorization_code + openid redemption and a refresh each read the user once (ID token included)', async () => {
    const w = await coreWorld();
    await w.storage.users.create(makeUser());
    const users = countingUsers(w.storage.users);
    const accessTokens = createAccessTokenIssuer(
      { ...w, tokens: w.storage.tokens },
      {
        issuer: ISSUER,
        tokens: { accessTokenTtl: 300, accessTokenFormat: 'jwt', accessTokenSigningAlg: 'ES256' },
        resources: [],
        requireResourceRegistration: false,
      },
    );
    const deps = grantDeps(w, { accessTokens, codes: w.storage.codes, users });
    await w.storage.codes.insert(makeCodeRecord('code-1'));

    const first = await createAuthorizationCodeGrant(deps).handle({
      client: rp,
      authMethod: 'none',
      params: { code: 'code-1', redirect_uri: 'https://rp.example/cb', code_verifier: PKCE.verifier },
      resources: [],
    });
    assert.ok(first.id_token && first.refresh_token);
    assert.equal(decodeJwt(first.id_token).sub, 'u-1');
    assert.equal(users.gets, 1, 'authorization_code: one UserStore.get');

    const second = await createRefreshTokenGrant(deps).handle({
      client: rp,
      authMethod: 'none',
      params: { refresh_token: first.refresh_token },
      resources: [],
    });
    assert.ok(second.id_token, 'OIDC Core §12.2: a new ID token on refresh');
    assert.equal(users.gets, 2, 'refresh_token: one UserStore.get');
  });
});
