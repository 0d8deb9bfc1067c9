import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMetadata, type DiscoveryCapabilities, type DiscoveryConfig } from './metadata.ts';

const config: DiscoveryConfig = {
  issuer: 'https://as.example/',
  tokens: { accessTokenSigningAlg: 'ES256' },
  keys: { algorithms: ['RS256', 'ES256'] },
  registration: { enabled: false },
};
const caps: DiscoveryCapabilities = {
  grants: [{ type: 'client_credentials', allowsPublicClients: false }],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  clientAuthSigningAlgs: ['ES256', 'RS256'],
};

test('RFC 8414 §2 issuer, endpoints and jwks_uri are built from the issuer', () => {
  const m = buildMetadata(config, caps);
  assert.equal(m.issuer, 'https://as.example/', 'the issuer is echoed exactly (RFC 8414 §3.3)');
  assert.equal(m.token_endpoint, 'https://as.example/token');
  assert.equal(m.jwks_uri, 'https://as.example/jwks.json');
  assert.equal(m.introspection_endpoint, 'https://as.example/introspect');
  assert.equal(m.revocation_endpoint, 'https://as.example/revoke');
});

test('RFC 8414 §2 grant types come from the registry; response_types_supported is present and empty', () => {
  const m = buildMetadata(config, caps);
  assert.deepEqual(m.grant_types_supported, ['client_credentials']);
  assert.deepEqual(m.response_types_supported, []);
  assert.equal(m.authorization_endpoint, undefined);
});

test('RFC 8414 §2 none is offered only where a public client can use it', () => {
  const m = buildMetadata(config, caps);
  assert.deepEqual(m.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  assert.deepEqual(m.introspection_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
  assert.deepEqual(m.revocation_endpoint_auth_methods_supported, caps.clientAuthMethods);
  const withPublicGrant = buildMetadata(config, { ...caps, grants: [...caps.grants, { type: 'authorization_code', allowsPublicClients: true }] });
  assert.ok((withPublicGrant.token_endpoint_auth_methods_supported as string[]).includes('none'));
});

test('RFC 8414 §2 signing algorithms are listed only with a JWT authentication method', () => {
  assert.deepEqual(buildMetadata(config, caps).token_endpoint_auth_signing_alg_values_supported, ['ES256', 'RS256']);
  const noJwt = buildMetadata(config, { ...caps, clientAuthMethods: ['client_secret_basic'] });
  assert.equal(noJwt.token_endpoint_auth_signing_alg_values_supported, undefined);
  assert.equal(noJwt.introspection_endpoint_auth_signing_alg_values_supported, undefined);
});

test('RFC 9701 introspection_signing_alg_values_supported lists the access-token algorithm first', () => {
  assert.deepEqual(buildMetadata(config, caps).introspection_signing_alg_values_supported, ['ES256', 'RS256']);
});

test('RFC 7591 §3 registration_endpoint appears only when registration is enabled', () => {
  assert.equal(buildMetadata(config, caps).registration_endpoint, undefined);
  assert.equal(buildMetadata({ ...config, registration: { enabled: true } }, caps).registration_endpoint, 'https://as.example/register');
});
