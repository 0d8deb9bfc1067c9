import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOidcMetadata, type OidcCapabilities, type OidcDiscoveryConfig } from './oidc-metadata.ts';

const config: OidcDiscoveryConfig = {
  issuer: 'https://as.example',
  tokens: { idTokenSigningAlg: 'RS256' },
  keys: { algorithms: ['ES256', 'RS256'] },
  authorization: { implicit: false, allowPlainPkce: false, requirePar: false, allowUnsignedRequestObjects: false },
  login: { acrValues: ['urn:gatehouse:pwd'] },
  pages: { locales: ['en', 'de'] },
};
const none: OidcCapabilities = {
  authorization: false,
  userinfo: false,
  deviceAuthorization: false,
  par: false,
  endSession: false,
  checkSession: false,
  backchannelLogout: false,
  frontchannelLogout: false,
  requestObjectAlgs: [],
};
const all: OidcCapabilities = {
  authorization: true,
  userinfo: true,
  deviceAuthorization: true,
  par: true,
  endSession: true,
  checkSession: true,
  backchannelLogout: true,
  frontchannelLogout: true,
  requestObjectAlgs: ['RS256', 'ES256'],
};

test('S17: no OpenID member is advertised for an endpoint that is not served', () => {
  assert.deepEqual(buildOidcMetadata(config, none), {});
});

test('OIDC Discovery §3: the REQUIRED OpenID members are present when the authorization endpoint is served', () => {
  const m = buildOidcMetadata(config, all);
  assert.equal(m.authorization_endpoint, 'https://as.example/authorize');
  assert.deepEqual(m.response_types_supported, ['code', 'code id_token', 'code token', 'code id_token token']);
  assert.deepEqual(m.subject_types_supported, ['public']);
  assert.deepEqual(m.id_token_signing_alg_values_supported, ['RS256', 'ES256']);
  assert.equal(m.userinfo_endpoint, 'https://as.example/userinfo');
  assert.equal(m.request_uri_parameter_supported, false);
  assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
  assert.equal(m.authorization_response_iss_parameter_supported, true);
  assert.deepEqual(m.request_object_signing_alg_values_supported, ['RS256', 'ES256']);
});

test('OAuth 2.1: implicit response types, plain PKCE, pairwise and alg none appear only when configured', () => {
  const m = buildOidcMetadata(
    {
      ...config,
      tokens: { idTokenSigningAlg: 'RS256', pairwiseSalt: 'a-salt-of-16-chars!' },
      authorization: { implicit: true, allowPlainPkce: true, requirePar: true, allowUnsignedRequestObjects: true },
    },
    all,
  );
  assert.ok((m.response_types_supported as string[]).includes('id_token token'));
  assert.deepEqual(m.code_challenge_methods_supported, ['S256', 'plain']);
  assert.deepEqual(m.subject_types_supported, ['public', 'pairwise']);
  assert.ok((m.request_object_signing_alg_values_supported as string[]).includes('none'));
  assert.equal(m.require_pushed_authorization_requests, true);
});
