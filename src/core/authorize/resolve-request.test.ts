import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { authorizeWorld, nativeClient, webClient, WEB_REDIRECT, type AuthorizeWorld } from '../../../test/support/authorize-fixtures.ts';
import { OAuthError } from '../errors.ts';
import { AuthorizationError } from './authorization-error.ts';

const S256 = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
let w: AuthorizeWorld;
before(async () => {
  w = await authorizeWorld();
  await w.addClient(webClient());
  await w.addClient(nativeClient());
});

const base = { client_id: 'web', response_type: 'code', redirect_uri: WEB_REDIRECT, scope: 'openid email', state: 'st-1', nonce: 'n-1' };

async function failure(raw: Record<string, string>, service = w.service): Promise<AuthorizationError> {
  try {
    await service.resolve(raw);
  } catch (e) {
    assert.ok(e instanceof AuthorizationError, String(e));
    return e;
  }
  assert.fail('resolve should have failed');
}

describe('OIDC Core §3.1.2.2 authentication request validation', () => {
  test('OIDC Core §3.1.2.1 a complete code request resolves to typed values', async () => {
    const req = await w.service.resolve({
      ...base,
      max_age: '300',
      prompt: 'login consent',
      display: 'popup',
      ui_locales: 'fr en',
      login_hint: 'jane',
      acr_values: 'urn:gatehouse:pwd',
      claims: '{"userinfo":{"email":{"essential":true}}}',
      resource: 'https://api.example/',
      unknown_param: 'ignored',
    });
    assert.equal(req.client.clientId, 'web');
    assert.equal(req.redirectUri, WEB_REDIRECT);
    assert.equal(req.responseType, 'code');
    assert.equal(req.responseMode, 'query');
    assert.deepEqual(req.scope, ['openid', 'email']);
    assert.equal(req.openid, true);
    assert.equal(req.state, 'st-1');
    assert.equal(req.nonce, 'n-1');
    assert.deepEqual(req.prompt, ['login', 'consent']);
    assert.equal(req.maxAge, 300);
    assert.equal(req.display, 'popup');
    assert.deepEqual(req.uiLocales, ['fr', 'en']);
    assert.equal(req.loginHint, 'jane');
    assert.deepEqual(req.acrValues, ['urn:gatehouse:pwd']);
    assert.deepEqual(req.claims, { userinfo: { email: { essential: true } } });
    assert.deepEqual(req.resources, ['https://api.example/']);
    assert.equal(req.codeChallenge, null);
    assert.equal(req.params['unknown_param'], 'ignored', 'OIDC Core §3.1.2.1: unknown parameters are ignored (and carried along)');
  });

  test('RFC 6749 §4.1.2.1 errors before the redirect URI is validated are pages', async () => {
    assert.equal((await failure({ ...base, client_id: 'nobody' })).redirect, null);
    assert.equal((await failure({ ...base, redirect_uri: 'https://evil.example/cb' })).redirect, null);
    // An invalid response_type together with a bad redirect URI: still a page.
    assert.equal((await failure({ ...base, response_type: 'bogus', redirect_uri: 'https://rp.example/cb/' })).redirect, null);
  });

  test('RFC 6749 §4.1.2.1 errors after the redirect URI is validated go back to the client with state', async () => {
    const e = await failure({ ...base, response_type: 'bogus' });
    assert.equal(e.error.code, 'unsupported_response_type');
    assert.deepEqual(e.redirect, { redirectUri: WEB_REDIRECT, responseMode: 'query', state: 'st-1' });
  });

  test('OIDC Core §3.3.2.6 a hybrid request error is returned in the fragment', async () => {
    const e = await failure({ ...base, response_type: 'code id_token', nonce: '' });
    assert.equal(e.error.code, 'invalid_request');
    assert.equal(e.redirect?.responseMode, 'fragment');
  });

  test('an oversized state is invalid_request, redirected without echoing the state', async () => {
    const e = await failure({ ...base, state: 'x'.repeat(5000) });
    assert.equal(e.error.code, 'invalid_request');
    assert.deepEqual(e.redirect, { redirectUri: WEB_REDIRECT, responseMode: 'query', state: null });
  });

  test('RFC 7636 §4.4.1 a public client without PKCE gets invalid_request at its redirect URI', async () => {
    const e = await failure({ ...base, client_id: 'app', redirect_uri: 'http://127.0.0.1:7777/callback' });
    assert.equal(e.error.code, 'invalid_request');
    assert.equal(e.redirect?.redirectUri, 'http://127.0.0.1:7777/callback');
    const ok = await w.service.resolve({
      ...base,
      client_id: 'app',
      redirect_uri: 'http://127.0.0.1:7777/callback',
      code_challenge: S256,
      code_challenge_method: 'S256',
    });
    assert.equal(ok.codeChallengeMethod, 'S256');
  });

  test('OIDC Core §3.1.2.1 prompt=none with login is invalid_request at the redirect URI', async () => {
    const e = await failure({ ...base, prompt: 'none login' });
    assert.equal(e.error.code, 'invalid_request');
    assert.notEqual(e.redirect, null);
  });

  test('OIDC Core §3.1.2.6 request without a JAR plug-in: request_not_supported, sent to the outer registered redirect URI', async () => {
    const e = await failure({ ...base, request: 'e30.e30.' });
    assert.equal(e.error.code, 'request_not_supported');
    assert.deepEqual(e.redirect, { redirectUri: WEB_REDIRECT, responseMode: 'query', state: 'st-1' });
    const page = await failure({ client_id: 'web', scope: 'openid', request: 'e30.e30.' });
    assert.equal(page.redirect, null, 'an OpenID request without an outer redirect_uri: nowhere trusted to send it');
    const single = await failure({ client_id: 'web', request: 'e30.e30.' });
    assert.equal(single.redirect?.redirectUri, WEB_REDIRECT, 'plain OAuth: the one registered URI');
  });

  test('RFC 9101 §6.3 a request object replaces the outer parameters; params drop request', async () => {
    const service = w.with({ deps: { requestObjects: { resolveRequestObject: async () => ({ ...base, state: 'inner', scope: 'openid' }) } } });
    const req = await service.resolve({ client_id: 'web', request: 'signed.jwt.here', state: 'outer', scope: 'openid email' });
    assert.equal(req.state, 'inner');
    assert.deepEqual(req.scope, ['openid']);
    assert.equal(req.params['request'], undefined);
  });

  test('RFC 9126 §4 require PAR: a direct request is refused, a pushed one and its re-resolution pass', async () => {
    const service = w.with({
      config: { authorization: { requirePar: true } },
      deps: { pushedRequests: { takePushedRequest: async () => base } },
    });
    assert.equal((await failure(base, service)).error.code, 'invalid_request');
    const req = await service.resolve({ client_id: 'web', request_uri: 'urn:ietf:params:oauth:request_uri:abc' });
    assert.equal(req.state, 'st-1');
    const again = await service.resolve(req.params, { via: 'interaction' });
    assert.equal(again.state, 'st-1');
  });

  test('authorization.denied is published with the private detail', async () => {
    const before = w.events.of('authorization.denied').length;
    await failure({ ...base, redirect_uri: 'https://evil.example/cb' });
    const ev = w.events.of('authorization.denied').slice(before);
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.clientId, 'web');
    assert.equal(ev[0]!.redirected, false);
    assert.match(ev[0]!.detail ?? '', /evil\.example/);
  });

  test('a non-OAuth failure (store down) is not disguised as an authorization error', async () => {
    const service = w.with({
      deps: {
        clients: {
          ...w.storage.clients,
          get: async () => {
            throw new Error('db down');
          },
        },
      },
    });
    await assert.rejects(service.resolve(base), (e: unknown) => !(e instanceof AuthorizationError) && !(e instanceof OAuthError));
  });
});
