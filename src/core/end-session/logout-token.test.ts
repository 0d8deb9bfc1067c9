import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { coreWorld, ISSUER, makeClient } from '../../../test/support/core-fixtures.ts';
import { BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TTL, logoutTokenAlg, logoutTokenClaims, signLogoutToken } from './logout-token.ts';

const input = { issuer: ISSUER, clientId: 'rp1', sub: 'user-sub', sid: 'sid-1', iat: 1_700_000_000, jti: 'jti-1' };

describe('Back-Channel Logout 1.0 §2.4 Logout Token', () => {
  test('carries iss, aud, iat, exp, jti, sub, sid and the events member', () => {
    const claims = logoutTokenClaims(input);
    assert.deepEqual(claims, {
      iss: ISSUER,
      aud: 'rp1',
      iat: 1_700_000_000,
      exp: 1_700_000_000 + LOGOUT_TOKEN_TTL,
      jti: 'jti-1',
      sub: 'user-sub',
      sid: 'sid-1',
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    });
    assert.ok(LOGOUT_TOKEN_TTL <= 300, 'short-lived');
  });

  test('"A Logout Token MUST NOT contain a nonce Claim"', () => {
    assert.equal('nonce' in logoutTokenClaims(input), false);
  });

  test('sid is left out when the client does not require it (sub remains)', () => {
    const claims = logoutTokenClaims({ ...input, sid: null });
    assert.equal('sid' in claims, false);
    assert.equal(claims.sub, 'user-sub');
  });

  test('is signed with typ logout+jwt and verifies against the published JWKS', async () => {
    const world = await coreWorld(['ES256', 'PS256']);
    try {
      const token = signLogoutToken(world.keys, 'ES256', input);
      const header = decodeProtectedHeader(token);
      assert.equal(header.typ, 'logout+jwt');
      assert.equal(header.alg, 'ES256');
      assert.equal(typeof header.kid, 'string');
      const { payload } = await jwtVerify(token, createLocalJWKSet(world.keys.jwks() as never), {
        issuer: ISSUER,
        audience: 'rp1',
        typ: 'logout+jwt',
        currentDate: new Date(input.iat * 1000),
      });
      assert.deepEqual(payload.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} });
      assert.equal(payload.nonce, undefined);
    } finally {
      await world.storage.close();
    }
  });

  test('the algorithm is the client ID token algorithm, else the server default; never none', () => {
    assert.equal(logoutTokenAlg(makeClient({ metadata: { id_token_signed_response_alg: 'PS256' } }), 'RS256'), 'PS256');
    assert.equal(logoutTokenAlg(makeClient(), 'RS256'), 'RS256');
    assert.equal(logoutTokenAlg(makeClient({ metadata: { id_token_signed_response_alg: 'none' } }), 'ES256'), 'ES256');
    assert.equal(logoutTokenAlg(makeClient({ metadata: { id_token_signed_response_alg: 'HS256' } }), 'ES256'), 'ES256');
  });
});
