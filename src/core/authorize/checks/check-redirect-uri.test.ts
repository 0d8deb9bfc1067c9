import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nativeClient, webClient } from '../../../../test/support/authorize-fixtures.ts';
import { AuthorizationError } from '../authorization-error.ts';
import { checkRedirectUri } from './check-redirect-uri.ts';

const web = webClient({ redirectUris: ['https://rp.example/cb', 'https://rp.example/cb2?x=1'] });
const single = webClient({ redirectUris: ['https://rp.example/cb'] });
const native = nativeClient({ redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8080/callback'] });
const webLoopback = webClient({ redirectUris: ['http://127.0.0.1:3000/cb'] });

/** The failure must be an error page (redirect null) with invalid_request. */
function refused(client: typeof web, params: Record<string, string>): void {
  assert.throws(
    () => checkRedirectUri(client, params),
    (e: unknown) => {
      assert.ok(e instanceof AuthorizationError);
      assert.equal(e.redirect, null, 'never redirected (RFC 6749 §3.1.2.4)');
      assert.equal(e.error.code, 'invalid_request');
      return true;
    },
  );
}

describe('RFC 6749 §3.1.2 redirect_uri (exact matching, RFC 9700 §4.1.3)', () => {
  test('RFC 6749 §3.1.2.3 accepts a registered redirect_uri character for character', () => {
    assert.equal(checkRedirectUri(web, { redirect_uri: 'https://rp.example/cb2?x=1' }), 'https://rp.example/cb2?x=1');
  });

  const tricks: [string, string][] = [
    ['a trailing slash', 'https://rp.example/cb/'],
    ['a prefix of the registered URI', 'https://rp.example/c'],
    ['a suffix added to the path', 'https://rp.example/cb/evil'],
    ['a suffix added to the host', 'https://rp.example.evil.com/cb'],
    ['path traversal', 'https://rp.example/cb/../evil'],
    ['an encoded path traversal', 'https://rp.example/cb/%2e%2e/evil'],
    ['userinfo @ another host', 'https://rp.example@evil.com/cb'],
    ['userinfo before the registered host', 'https://evil.com@rp.example/cb'],
    ['a fragment', 'https://rp.example/cb#frag'],
    ['different case in the host', 'https://RP.example/cb'],
    ['different case in the path', 'https://rp.example/CB'],
    ['a percent-encoded character', 'https://rp.example/%63b'],
    ['an added query', 'https://rp.example/cb?foo=bar'],
    ['a changed query', 'https://rp.example/cb2?x=2'],
    ['an explicit default port', 'https://rp.example:443/cb'],
    ['http instead of https', 'http://rp.example/cb'],
  ];
  for (const [what, uri] of tricks) {
    test(`RFC 6749 §3.1.2.3 rejects a redirect_uri with ${what}, on an error page`, () => refused(web, { redirect_uri: uri }));
  }

  test('RFC 6749 §3.1.2.3 a client with one registered URI may omit redirect_uri in a plain OAuth request', () => {
    assert.equal(checkRedirectUri(single, { scope: 'read' }), 'https://rp.example/cb');
  });
  test('RFC 6749 §3.1.2.3 redirect_uri is required when several URIs are registered', () => refused(web, {}));
  test('OIDC Core §3.1.2.1 redirect_uri is required in an OpenID request even with one registered URI', () => refused(single, { scope: 'openid' }));
  test('a client without registered redirect URIs cannot use the endpoint', () =>
    refused(webClient({ redirectUris: [] }), { redirect_uri: 'https://rp.example/cb' }));
});

describe('RFC 8252 §7.3 loopback redirects', () => {
  test('RFC 8252 §7.3 accepts any port on a loopback redirect for a native client', () => {
    assert.equal(checkRedirectUri(native, { redirect_uri: 'http://127.0.0.1:51234/callback' }), 'http://127.0.0.1:51234/callback');
    assert.equal(checkRedirectUri(native, { redirect_uri: 'http://[::1]:9999/callback' }), 'http://[::1]:9999/callback');
    assert.equal(checkRedirectUri(native, { redirect_uri: 'http://[::1]/callback' }), 'http://[::1]/callback');
  });
  test('RFC 8252 §7.3 a public client with a loopback URI gets the port rule without application_type', () => {
    const pub = nativeClient({ metadata: {} });
    assert.equal(checkRedirectUri(pub, { redirect_uri: 'http://127.0.0.1:4000/callback' }), 'http://127.0.0.1:4000/callback');
  });
  test('RFC 8252 §7.3 rejects a different loopback port for a web client', () => refused(webLoopback, { redirect_uri: 'http://127.0.0.1:3001/cb' }));
  test('RFC 8252 §7.3 the port is the only thing that may differ', () => {
    refused(native, { redirect_uri: 'http://127.0.0.1:5000/callback/' });
    refused(native, { redirect_uri: 'http://127.0.0.1:5000/Callback' });
    refused(native, { redirect_uri: 'http://127.0.0.1:5000/callback?x=1' });
    refused(native, { redirect_uri: 'http://127.0.0.2:5000/callback' });
    refused(native, { redirect_uri: 'https://127.0.0.1:5000/callback' });
    refused(native, { redirect_uri: 'http://127.0.0.1:5000@evil.com/callback' });
    refused(native, { redirect_uri: 'http://127.0.0.1:05000/callback' });
    refused(native, { redirect_uri: 'http://127.0.0.1:70000/callback' });
  });
  test('RFC 8252 §8.3 localhost gets no port exception', () => {
    refused(nativeClient({ redirectUris: ['http://localhost/callback'] }), { redirect_uri: 'http://localhost:5000/callback' });
  });
});
