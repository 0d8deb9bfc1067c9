import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authorizeWorld, webClient, WEB_REDIRECT } from '../../../test/support/authorize-fixtures.ts';
import { AUTHORIZATION_PARAMS, recognizedParams } from './authorization-params.ts';

const S256 = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const complete = {
  client_id: 'web',
  response_type: 'code',
  redirect_uri: WEB_REDIRECT,
  scope: 'openid email',
  state: 'st',
  nonce: 'n',
  response_mode: 'query',
  display: 'page',
  prompt: 'consent',
  max_age: '300',
  ui_locales: 'fr',
  login_hint: 'jane',
  acr_values: 'urn:gatehouse:pwd',
  claims: '{"userinfo":{"email":null}}',
  resource: 'https://api.example/',
  code_challenge: S256,
  code_challenge_method: 'S256',
  x_unknown: 'ignored',
};

/**
 * `params` as the checks see them, recording every parameter name they look up (`param()` asks
 * `Object.hasOwn` first, so absent ones are recorded too). It lists no keys, so nothing is read
 * by enumeration (the carried-on copy comes out empty).
 */
function recording(params: Record<string, string>): { readonly params: Record<string, string>; readonly read: Set<string> } {
  const read = new Set<string>();
  const note = (k: string | symbol) => {
    if (typeof k === 'string') read.add(k);
  };
  const proxy = new Proxy(
    { ...params },
    {
      get: (t, k, r) => {
        note(k);
        return Reflect.get(t, k, r);
      },
      has: (t, k) => {
        note(k);
        return Reflect.has(t, k);
      },
      getOwnPropertyDescriptor: (t, k) => {
        note(k);
        return Reflect.getOwnPropertyDescriptor(t, k);
      },
      ownKeys: () => [],
    },
  );
  return { params: proxy, read };
}

describe('RFC 6749 §3.1 the authorization parameters this server recognizes', () => {
  test('AUTHORIZATION_PARAMS is exactly what the authorization endpoint checks read, beside request and request_uri', async () => {
    const w = await authorizeWorld();
    await w.addClient(webClient());
    const { params, read } = recording(complete);
    const req = await w.service.resolve(params);
    assert.equal(req.nonce, 'n', 'the whole request was resolved');
    read.delete('request');
    read.delete('request_uri');
    assert.deepEqual([...read].sort(), [...AUTHORIZATION_PARAMS].sort());
  });

  test('RFC 6749 §3.1 "The authorization server MUST ignore unrecognized request parameters": recognizedParams keeps the others only', () => {
    const { x_unknown: _, ...known } = complete;
    const kept = recognizedParams({ ...complete, request: 'e.y.j', request_uri: 'urn:x', client_secret: 's', ['__proto__']: 'p' });
    assert.deepEqual({ ...kept }, known);
    assert.equal(Object.getPrototypeOf(kept), null, 'no inherited names');
  });
});
