import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { storedParams, storedSize } from './stored-params.ts';

const request = {
  response_type: 'code',
  client_id: 'rp',
  redirect_uri: 'https://rp.example/cb',
  scope: 'openid',
  state: 'st',
  code_challenge: 'c'.repeat(43),
  code_challenge_method: 'S256',
};
const isInvalidRequest = (e: unknown) => e instanceof OAuthError && e.code === 'invalid_request';

describe('RFC 9126 §2.1 what a pushed request stores', () => {
  test('RFC 6749 §3.1 unrecognized parameters are dropped; every recognized one is kept as it is', () => {
    const all = {
      ...request,
      response_mode: 'form_post',
      nonce: 'n',
      display: 'page',
      prompt: 'consent',
      max_age: '60',
      ui_locales: 'fr',
      id_token_hint: 'h.h.h',
      login_hint: 'jane',
      acr_values: 'urn:a',
      claims: '{"userinfo":{"email":null}}',
      resource: 'https://api.example/ https://b.example/',
    };
    const kept = storedParams(
      { ...all, x_filler: 'a'.repeat(60_000), registration: '{}', client_secret: 'shh', request: 'e.y.j', ['__proto__']: 'x', constructor: 'y' },
      16_384,
    );
    assert.deepEqual(kept, all);
    assert.equal(Object.getPrototypeOf(kept), Object.prototype, 'a plain record, as the stores give back');
  });

  test('authorization.parMaxStoredBytes: the JSON of the kept parameters may fill the limit exactly, one byte more is invalid_request', () => {
    const size = storedSize(request);
    assert.equal(size, JSON.stringify(request).length);
    assert.deepEqual(storedParams(request, size), request);
    assert.throws(() => storedParams(request, size - 1), isInvalidRequest);
  });

  test('authorization.parMaxStoredBytes counts UTF-8 bytes, and only what is kept', () => {
    const wide = { ...request, state: 'ü'.repeat(100) };
    assert.equal(storedSize(wide), storedSize(request) - 2 + 200);
    assert.throws(() => storedParams(wide, storedSize(request) + 150), isInvalidRequest);
    assert.deepEqual(storedParams({ ...request, x_filler: 'a'.repeat(60_000) }, storedSize(request)), request, 'dropped parameters do not count');
  });

  test('authorization.parMaxStoredBytes default (16 KiB) holds a large real request about three times over', () => {
    // From a signed request object (resolved before storing: the JWT is not kept), with OIDC Core §5.5
    // claims asking for 24 claims with values, four RFC 8707 resources, an id_token_hint signed
    // with RSA-4096 (≈ 1.6 KB) and FAPI-sized state and nonce.
    const claim = (i: number) => [`https://claims.example.com/custom/claim-${i}`, { essential: true, values: ['alpha', 'beta', 'gamma'] }];
    const claims = JSON.stringify({
      id_token: Object.fromEntries(Array.from({ length: 12 }, (_, i) => claim(i))),
      userinfo: Object.fromEntries(Array.from({ length: 12 }, (_, i) => claim(i + 12))),
    });
    const large = {
      ...request,
      redirect_uri: 'https://app.customer-portal.example.com/oauth/callback/authorization-code',
      scope: 'openid profile email address phone offline_access accounts:read payments:write',
      state: 's'.repeat(256),
      nonce: 'n'.repeat(64),
      claims,
      prompt: 'login consent',
      max_age: '3600',
      ui_locales: 'de-CH fr-CH en',
      acr_values: 'urn:gatehouse:pwd urn:gatehouse:mfa',
      login_hint: 'jane.doe@customer.example.com',
      id_token_hint: `${'h'.repeat(120)}.${'p'.repeat(800)}.${'g'.repeat(683)}`,
      resource: ['accounts', 'payments', 'statements', 'profile'].map((r) => `https://${r}.api.example.com/v2/`).join(' '),
    };
    const size = storedSize(large);
    assert.ok(size > 4_000 && size < 16_384 / 3, `${size} bytes`);
    assert.deepEqual(storedParams(large, 16_384), large);
  });
});
