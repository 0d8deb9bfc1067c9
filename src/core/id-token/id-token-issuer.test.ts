import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { coreWorld, ISSUER, makeClient, T0, type CoreWorld } from '../../../test/support/core-fixtures.ts';
import { makeAuth, makeUser } from '../../../test/support/oidc-fixtures.ts';
import { parseClaimsRequest } from '../claims/claims-request.ts';
import { OAuthError } from '../errors.ts';
import { halfHash } from './hash-claims.ts';
import { createIdTokenHintVerifier } from './id-token-hint.ts';
import { createIdTokenIssuer, type IdTokenConfig } from './id-token-issuer.ts';
import type { IdTokenInput } from './types.ts';

const config: IdTokenConfig = {
  issuer: ISSUER,
  tokens: { idTokenTtl: 600, idTokenSigningAlg: 'RS256', subjectType: 'public', pairwiseSalt: 'salt-salt-salt-salt' },
};
const client = makeClient({ clientId: 'rp', redirectUris: ['https://rp.example/cb'] });

let w: CoreWorld;
before(async () => {
  w = await coreWorld(['RS256', 'ES256', 'EdDSA']);
});

function issuer(cfg: IdTokenConfig = config) {
  return createIdTokenIssuer({ keys: w.keys, clock: w.clock, tenantId: w.tenantId }, cfg);
}
function input(over: Partial<IdTokenInput> = {}): IdTokenInput {
  return {
    client,
    auth: makeAuth(),
    user: makeUser(),
    subject: 'u-1',
    scope: ['openid', 'email'],
    claims: null,
    nonce: 'n-0S6_WzA2Mj',
    scopeClaimsAtUserInfo: true,
    ...over,
  };
}
async function verify(jwt: string) {
  return jwtVerify(jwt, createLocalJWKSet(w.keys.jwks() as never), { issuer: ISSUER, audience: 'rp', currentDate: new Date(T0) });
}

describe('OIDC Core §2 ID token', () => {
  test('OIDC Core §2 carries iss, sub, aud, exp, iat, auth_time, nonce, acr, amr, sid; RS256 with kid and typ JWT', async () => {
    const { payload, protectedHeader } = await verify(await issuer().issue(input()));
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(protectedHeader.typ, 'JWT');
    assert.equal(typeof protectedHeader.kid, 'string');
    assert.equal(payload.iss, ISSUER);
    assert.equal(payload.sub, 'u-1');
    assert.equal(payload.aud, 'rp');
    assert.equal(payload.iat, T0 / 1000);
    assert.equal(payload.exp, T0 / 1000 + 600);
    assert.equal(payload.auth_time, T0 / 1000 - 60);
    assert.equal(payload.nonce, 'n-0S6_WzA2Mj');
    assert.equal(payload.acr, 'urn:gatehouse:pwd');
    assert.deepEqual(payload.amr, ['pwd']);
    assert.equal(payload.sid, 'sid-1');
    assert.equal(payload.azp, undefined);
  });

  test('OIDC Core §3.1.3.6 no nonce claim when the request had none', async () => {
    const { payload } = await verify(await issuer().issue(input({ nonce: null })));
    assert.equal('nonce' in payload, false);
  });

  test('OIDC Core §3.3.2.11 at_hash, c_hash and s_hash use the hash of the alg', async () => {
    const rs = await verify(await issuer().issue(input({ accessToken: 'at-1', code: 'code-1', state: 'st-1' })));
    assert.equal(rs.payload.at_hash, halfHash('at-1', 'RS256'));
    assert.equal(rs.payload.c_hash, halfHash('code-1', 'RS256'));
    assert.equal(rs.payload.s_hash, halfHash('st-1', 'RS256'));
    const ed = makeClient({ clientId: 'rp', metadata: { id_token_signed_response_alg: 'EdDSA' } });
    const jwt = await issuer().issue(input({ client: ed, accessToken: 'at-1' }));
    assert.equal(decodeProtectedHeader(jwt).alg, 'EdDSA');
    const { payload } = await verify(jwt);
    assert.equal(payload.at_hash, halfHash('at-1', 'EdDSA'));
    assert.equal((payload.at_hash as string).length, 43);
    const plain = await verify(await issuer().issue(input()));
    assert.equal(plain.payload.at_hash, undefined);
    assert.equal(plain.payload.c_hash, undefined);
  });

  test('OIDC Registration §2 id_token_signed_response_alg picks the algorithm; an unsupported one is refused', async () => {
    const es = makeClient({ clientId: 'rp', metadata: { id_token_signed_response_alg: 'ES256' } });
    assert.equal(decodeProtectedHeader(await issuer().issue(input({ client: es }))).alg, 'ES256');
    const hs = makeClient({ clientId: 'rp', metadata: { id_token_signed_response_alg: 'HS256' } });
    await assert.rejects(issuer().issue(input({ client: hs })), (e: unknown) => e instanceof OAuthError && e.code === 'unauthorized_client');
  });

  test('OIDC Core §5.4 scope claims stay out of the ID token when an access token is issued', async () => {
    const { payload } = await verify(await issuer().issue(input({ scopeClaimsAtUserInfo: true })));
    assert.equal(payload.email, undefined);
    assert.equal(payload.name, undefined);
  });

  test('OIDC Core §5.4 scope claims go into the ID token when no access token is issued', async () => {
    const { payload } = await verify(await issuer().issue(input({ scopeClaimsAtUserInfo: false })));
    assert.equal(payload.email, 'jane@example.com');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.name, undefined, 'profile was not in scope');
  });

  test('OIDC Core §5.5 claims requested for the id_token are included', async () => {
    const claims = parseClaimsRequest('{"id_token":{"name":{"essential":true}},"userinfo":{"phone_number":null}}');
    const { payload } = await verify(await issuer().issue(input({ claims })));
    assert.equal(payload.name, 'Jane Doe');
    assert.equal(payload.phone_number, undefined, 'the userinfo member does not reach the ID token');
    assert.equal(payload.email, undefined);
  });

  test('OIDC Core §8.1 a pairwise client gets its pairwise sub', async () => {
    const pw = makeClient({ clientId: 'rp', redirectUris: ['https://rp.example/cb'], metadata: { subject_type: 'pairwise' } });
    const subject = issuer().subjectFor(pw, 'u-1');
    assert.notEqual(subject, 'u-1');
    const { payload } = await verify(await issuer().issue(input({ client: pw, subject })));
    assert.equal(payload.sub, subject, 'the subject the caller computed once');
  });

  test("a disabled user, or a user other than the sign-in's, gets no ID token", async () => {
    const refused = (e: unknown) => e instanceof OAuthError && e.code === 'invalid_grant';
    await assert.rejects(issuer().issue(input({ user: makeUser({ disabled: true }) })), refused);
    await assert.rejects(issuer().issue(input({ user: makeUser({ id: 'u-2' }) })), refused);
  });
});

describe('OIDC Core §3.1.2.1 id_token_hint', () => {
  test('OIDC Core §3.1.2.1 an ID token of ours verifies as a hint, even expired', async () => {
    const hints = createIdTokenHintVerifier(w.keys, { issuer: ISSUER });
    const jwt = await issuer().issue(input());
    w.clock.advance(86_400);
    try {
      assert.deepEqual(hints.verify(jwt), { sub: 'u-1', aud: ['rp'], sid: 'sid-1' });
    } finally {
      w.clock.set(T0);
    }
  });

  test('OIDC Core §3.1.2.1 a foreign issuer, a tampered token or an access token is not a hint', async () => {
    const jwt = await issuer().issue(input());
    assert.equal(createIdTokenHintVerifier(w.keys, { issuer: 'https://other.example' }).verify(jwt), null);
    const hints = createIdTokenHintVerifier(w.keys, { issuer: ISSUER });
    const [h, p, s] = jwt.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'admin' })).toString('base64url');
    assert.equal(hints.verify(`${h}.${forged}.${s}`), null);
    assert.equal(hints.verify('not-a-jwt'), null);
    const at = w.keys.signer('ES256').sign({ iss: ISSUER, sub: 'u-1', aud: 'rp' }, 'at+jwt');
    assert.equal(hints.verify(at), null);
  });

  test('RFC 8725 §3.11 a JWT of ours typed as another kind (logout, introspection, security event, ...) is not a hint', () => {
    const hints = createIdTokenHintVerifier(w.keys, { issuer: ISSUER });
    const claims = { iss: ISSUER, sub: 'u-1', aud: 'rp' };
    for (const typ of [
      'at+jwt',
      'application/at+jwt',
      'logout+jwt',
      'secevent+jwt',
      'token-introspection+jwt',
      'oauth-authz-req+jwt',
      'client-authentication+jwt',
    ]) {
      assert.equal(hints.verify(w.keys.signer('ES256').sign(claims, typ)), null, typ);
    }
    assert.deepEqual(hints.verify(w.keys.signer('ES256').sign(claims, 'JWT')), { sub: 'u-1', aud: ['rp'], sid: null });
  });
});
