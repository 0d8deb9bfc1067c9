import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nativeClient, webClient } from '../../../test/support/authorize-fixtures.ts';
import { CLIENT_AUTH_METHODS } from '../model/client.ts';
import { clientIdentityAssured } from './client-identity.ts';

const publicClient = nativeClient();

describe('RFC 8252 §8.6 the identity of the client can be assured', () => {
  test('RFC 8252 §8.6 a confidential client is assured whatever its redirect URI', () => {
    for (const method of CLIENT_AUTH_METHODS.filter((m) => m !== 'none')) {
      const client = webClient({ tokenEndpointAuthMethod: method });
      assert.equal(clientIdentityAssured(client, 'https://rp.example/cb'), true, method);
      assert.equal(clientIdentityAssured(client, 'http://127.0.0.1:3000/cb'), true, `${method} on loopback`);
    }
  });

  test('RFC 8252 §7.2 a public client redirecting to a claimed https URI is assured', () => {
    assert.equal(clientIdentityAssured(publicClient, 'https://app.example.com/oauth/cb'), true);
    assert.equal(clientIdentityAssured(publicClient, 'https://app.example.com:8443/cb?x=1'), true);
  });

  test('RFC 8252 §7.3 a public client redirecting to a loopback address is not assured', () => {
    for (const uri of ['http://127.0.0.1/cb', 'http://127.0.0.1:51004/cb', 'http://[::1]:8080/cb', 'http://localhost:3000/cb', 'http://LOCALHOST/cb']) {
      assert.equal(clientIdentityAssured(publicClient, uri), false, uri);
    }
  });

  test('RFC 8252 §7.3 https on a loopback host is not assured either (any local app may listen)', () => {
    // A final dot is the same host to DNS (`localhost.` is `localhost`).
    for (const uri of [
      'https://127.0.0.1/cb',
      'https://127.1.2.3:8443/cb',
      'https://[::1]/cb',
      'https://localhost/cb',
      'https://app.localhost/cb',
      'https://localhost./cb',
      'https://app.localhost./cb',
      'https://127.0.0.1./cb',
    ]) {
      assert.equal(clientIdentityAssured(publicClient, uri), false, uri);
    }
  });

  test('RFC 8252 §7.1 a public client redirecting to a private-use URI scheme is not assured (§8.6 app impersonation)', () => {
    for (const uri of ['com.example.app:/oauth2redirect', 'com.example.app:/cb', 'myapp://callback']) {
      assert.equal(clientIdentityAssured(publicClient, uri), false, uri);
    }
  });

  test('a public client redirecting to plain http or an unparsable URI is not assured', () => {
    assert.equal(clientIdentityAssured(publicClient, 'http://app.example.com/cb'), false);
    assert.equal(clientIdentityAssured(publicClient, 'not a uri'), false);
  });

  test('RFC 8252 §8.6 judged on the redirect URI of the request: https assured, loopback of the same client not', () => {
    const both = nativeClient({ redirectUris: ['https://app.example.com/cb', 'http://127.0.0.1/cb'] });
    assert.equal(clientIdentityAssured(both, 'https://app.example.com/cb'), true);
    assert.equal(clientIdentityAssured(both, 'http://127.0.0.1:61000/cb'), false);
  });
});
