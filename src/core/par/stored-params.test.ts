import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { storedParams, storedSize } from './stored-params.ts';

const request = { response_type: 'code', client_id: 'rp', redirect_uri: 'https://rp.example/cb', scope: 'openid', state: 'st', code_challenge: 'c'.repeat(43), code_challenge_method: 'S256' };
const isInvalidRequest = (e: unknown) => e instanceof OAuthError && e.code === 'invalid_request';

describe('RFC 9126 §2.1 what a pushed request stores', () => {
  test('RFC 6749 §3.1 unrecognized parameters are dropped; every recognized one is kept as it is', () => {
    const all = {
      ...request, response_mode: 'form_post', nonce: 'n', display: 'page', prompt: 'consent', max_age: '60', ui_locales: 'fr', id_token_hint: 'h.h.h',
      login_hint: 'jane', acr_values: 'urn:a', claims: '{"userinfo":{"email":null}}', resource: 'https://api.example/ https://b.example/',
    };
    const kept = storedParams({ ...all, x_filler: 'a'.repeat(60_000), registration: '{}', client_secret: 'shh', request: 'e.y.j', ['__proto__']: 'x', constructor: 'y' }, 16_384);
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
});
