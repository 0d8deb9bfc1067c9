import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import { OPERATOR_POLICY, operatorPolicy, validateClientMetadata, type MetadataPolicy, type MetadataServerConfig } from './client-metadata.ts';
import { registrationPolicy } from './registration-service.ts';

const PROD: MetadataServerConfig = {
  env: 'production',
  keys: { algorithms: ['RS256', 'ES256'] },
  tokens: {},
  authorization: { implicit: false, allowUnsignedRequestObjects: false },
};
const prod = operatorPolicy(PROD);
const dcr = registrationPolicy({
  ...PROD,
  registration: { initialAccessTokens: [], allowedScopes: [], allowedGrantTypes: ['authorization_code', 'implicit'] },
});
const rp = (extra: Record<string, unknown> = {}) => ({ redirect_uris: ['https://rp.example/cb'], ...extra });
const jwk = { kty: 'EC', crv: 'P-256', x: 'a', y: 'b' };

function fails(
  raw: Record<string, unknown>,
  policy: MetadataPolicy,
  why: RegExp,
  code: 'invalid_client_metadata' | 'invalid_redirect_uri' = 'invalid_client_metadata',
): void {
  assert.throws(
    () => validateClientMetadata(raw, policy),
    (e: unknown) => {
      assert.ok(e instanceof OAuthError);
      assert.equal(e.code, code, `${e.code}: ${e.description}`);
      assert.match(e.description ?? '', why);
      return true;
    },
  );
}

describe('OIDC Registration §2 client metadata', () => {
  test('every OIDC member is kept under its wire name and read back through oidcMetadata', () => {
    const m = validateClientMetadata(
      rp({
        post_logout_redirect_uris: ['https://rp.example/bye'],
        backchannel_logout_uri: 'https://rp.example/bc',
        backchannel_logout_session_required: true,
        frontchannel_logout_uri: 'https://rp.example/fc',
        frontchannel_logout_session_required: false,
        id_token_signed_response_alg: 'ES256',
        subject_type: 'public',
        require_pushed_authorization_requests: true,
        default_max_age: 3600,
        require_auth_time: true,
        first_party: true,
        strict_assertion_audience: true,
        jwks: { keys: [jwk] },
        request_object_signing_alg: 'ES256',
      }),
      prod,
    );
    assert.deepEqual(oidcMetadata({ metadata: m.extra }), {
      applicationType: 'web',
      firstParty: true,
      postLogoutRedirectUris: ['https://rp.example/bye'],
      backchannelLogoutUri: 'https://rp.example/bc',
      backchannelLogoutSessionRequired: true,
      frontchannelLogoutUri: 'https://rp.example/fc',
      frontchannelLogoutSessionRequired: false,
      idTokenSignedResponseAlg: 'ES256',
      subjectType: 'public',
      sectorIdentifierUri: null,
      requirePushedAuthorizationRequests: true,
      requestObjectSigningAlg: 'ES256',
      defaultMaxAge: 3600,
      requireAuthTime: true,
      strictAssertionAudience: true,
    });
  });

  test('RP-Initiated Logout §3.1 post_logout_redirect_uris follow the redirect URI rules', () => {
    fails(rp({ post_logout_redirect_uris: ['https://rp.example/bye#x'] }), prod, /post_logout_redirect_uri .*fragment/);
    fails(rp({ post_logout_redirect_uris: ['http://rp.example/bye'] }), prod, /post_logout_redirect_uri .*https/);
    fails(rp({ post_logout_redirect_uris: ['https://*.rp.example/bye'] }), prod, /wildcard/);
    fails(rp({ post_logout_redirect_uris: 'https://rp.example/bye' }), prod, /array/);
    assert.deepEqual(validateClientMetadata(rp({ post_logout_redirect_uris: ['http://127.0.0.1:8400/bye'] }), prod).extra['post_logout_redirect_uris'], [
      'http://127.0.0.1:8400/bye',
    ]);
  });

  test('Back-Channel Logout §2.2 / Front-Channel Logout §2 logout URIs: absolute https, no fragment; loopback http only in development', () => {
    for (const name of ['backchannel_logout_uri', 'frontchannel_logout_uri']) {
      fails(rp({ [name]: '/logout' }), prod, /absolute/);
      fails(rp({ [name]: 'https://rp.example/logout#f' }), prod, /fragment/);
      fails(rp({ [name]: 'http://127.0.0.1:9000/logout' }), prod, /https/);
      fails(rp({ [name]: 'http://rp.example/logout' }), OPERATOR_POLICY, /loopback/);
      fails(rp({ [name]: 'http://127.0.0.1:9000/logout', token_endpoint_auth_method: 'none' }), OPERATOR_POLICY, /confidential/);
      assert.equal(validateClientMetadata(rp({ [name]: 'http://127.0.0.1:9000/logout' }), OPERATOR_POLICY).extra[name], 'http://127.0.0.1:9000/logout');
    }
    fails(rp({ backchannel_logout_session_required: 'yes' }), prod, /true or false/);
  });

  test('OIDC Registration §2 id_token_signed_response_alg: one of the server algorithms, never none', () => {
    fails(rp({ id_token_signed_response_alg: 'none' }), prod, /none is not allowed/);
    fails(rp({ id_token_signed_response_alg: 'HS256' }), prod, /RS256, ES256/);
    fails(rp({ id_token_signed_response_alg: 'EdDSA' }), prod, /one of RS256, ES256/);
    assert.equal(validateClientMetadata(rp({ id_token_signed_response_alg: 'EdDSA' }), OPERATOR_POLICY).extra['id_token_signed_response_alg'], 'EdDSA');
  });

  test('OIDC Core §8 subject_type: pairwise only with a pairwise salt; several redirect hosts need a sector_identifier_uri', () => {
    fails(rp({ subject_type: 'pairwise' }), prod, /subject_type must be one of public/);
    fails(rp({ subject_type: 'unknown' }), OPERATOR_POLICY, /subject_type/);
    fails(rp({ subject_type: 'pairwise', redirect_uris: ['https://a.example/cb', 'https://b.example/cb'] }), OPERATOR_POLICY, /sector_identifier_uri/);
    fails(rp({ sector_identifier_uri: 'http://rp.example/sector.json' }), OPERATOR_POLICY, /https/);
    const m = validateClientMetadata(
      rp({
        subject_type: 'pairwise',
        redirect_uris: ['https://a.example/cb', 'https://b.example/cb'],
        sector_identifier_uri: 'https://rp.example/sector.json',
      }),
      OPERATOR_POLICY,
    );
    assert.equal(oidcMetadata({ metadata: m.extra }).subjectType, 'pairwise');
  });

  test('RFC 9101 request_object_signing_alg needs registered keys; none only when unsigned request objects are allowed', () => {
    fails(rp({ request_object_signing_alg: 'ES256' }), prod, /jwks/);
    fails(rp({ request_object_signing_alg: 'none' }), prod, /request_object_signing_alg must be one of/);
    const lax = operatorPolicy({ ...PROD, authorization: { implicit: false, allowUnsignedRequestObjects: true } });
    assert.equal(validateClientMetadata(rp({ request_object_signing_alg: 'none' }), lax).extra['request_object_signing_alg'], 'none');
  });

  test('default_max_age, require_auth_time, require_pushed_authorization_requests have their types', () => {
    fails(rp({ default_max_age: -1 }), prod, /default_max_age/);
    fails(rp({ default_max_age: 1.5 }), prod, /default_max_age/);
    fails(rp({ require_auth_time: 1 }), prod, /require_auth_time/);
    fails(rp({ require_pushed_authorization_requests: 'true' }), prod, /require_pushed_authorization_requests/);
    assert.equal(validateClientMetadata(rp({ default_max_age: 0 }), prod).extra['default_max_age'], 0);
  });

  test('first_party (Gatehouse extension) is for the operator only: dynamic registration cannot skip consent', () => {
    fails(rp({ first_party: true }), dcr, /operator/);
    assert.equal(validateClientMetadata(rp({ first_party: false }), dcr).extra['first_party'], undefined);
    assert.equal(validateClientMetadata(rp({ first_party: true }), prod).extra['first_party'], true);
  });

  test('draft-ietf-oauth-rfc7523bis strict_assertion_audience (Gatehouse extension) is a boolean, and dynamic registration may set it (it only tightens)', () => {
    fails(rp({ strict_assertion_audience: 'yes' }), dcr, /strict_assertion_audience must be true or false/);
    assert.equal(validateClientMetadata(rp({ strict_assertion_audience: true }), dcr).extra['strict_assertion_audience'], true);
    assert.equal(validateClientMetadata(rp({ strict_assertion_audience: false }), prod).extra['strict_assertion_audience'], false);
    assert.equal(oidcMetadata({ metadata: validateClientMetadata(rp(), dcr).extra }).strictAssertionAudience, false);
  });
});

describe('OIDC Registration §2 response_types and grant_types agree', () => {
  test('hybrid response types need the implicit grant beside authorization_code', () => {
    fails(rp({ grant_types: ['authorization_code'], response_types: ['code', 'code id_token'] }), prod, /implicit .* together/);
    fails(rp({ grant_types: ['authorization_code', 'implicit'], response_types: ['code'] }), prod, /implicit .* together/);
    const m = validateClientMetadata(
      rp({ grant_types: ['authorization_code', 'implicit', 'refresh_token'], response_types: ['code', 'id_token code', 'code token', 'code id_token token'] }),
      prod,
    );
    assert.deepEqual(m.responseTypes, ['code', 'id_token code', 'code token', 'code id_token token']);
  });

  test('omitted grant_types are derived from the response types', () => {
    assert.deepEqual(validateClientMetadata(rp({ response_types: ['code id_token'] }), prod).grantTypes, ['authorization_code', 'implicit']);
    assert.deepEqual(validateClientMetadata(rp({ response_types: ['code'] }), prod).grantTypes, ['authorization_code']);
  });

  test('OIDC Core §3.2 id_token and id_token token only when the implicit flow is enabled; token alone never', () => {
    fails(rp({ response_types: ['id_token'] }), prod, /not supported/);
    fails(rp({ response_types: ['token'] }), prod, /not supported/);
    fails(rp({ response_types: ['code code'] }), prod, /not supported/);
    const implicit = operatorPolicy({ ...PROD, authorization: { implicit: true, allowUnsignedRequestObjects: false } });
    assert.deepEqual(validateClientMetadata(rp({ response_types: ['id_token', 'id_token token'] }), implicit).grantTypes, ['implicit']);
    fails(rp({ response_types: ['token'] }), implicit, /not supported/);
  });

  test('OIDC Registration §2 a web client of the implicit grant registers only https, non-localhost redirect URIs', () => {
    fails({ redirect_uris: ['http://127.0.0.1:8400/cb'], response_types: ['code id_token'] }, prod, /https/, 'invalid_redirect_uri');
    fails({ redirect_uris: ['https://localhost/cb'], response_types: ['code id_token'] }, prod, /localhost/, 'invalid_redirect_uri');
    assert.ok(validateClientMetadata({ redirect_uris: ['http://127.0.0.1:8400/cb'], response_types: ['code'] }, prod));
  });

  test('DCR: implicit must be among the allowed grant types', () => {
    const narrow = registrationPolicy({ ...PROD, registration: { initialAccessTokens: [], allowedScopes: [], allowedGrantTypes: ['authorization_code'] } });
    fails(rp({ response_types: ['code id_token'] }), narrow, /implicit is not allowed/);
    assert.ok(validateClientMetadata(rp({ response_types: ['code id_token'] }), dcr));
  });
});
