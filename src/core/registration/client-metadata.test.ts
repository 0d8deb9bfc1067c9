import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../errors.ts';
import { OPERATOR_POLICY, operatorPolicy, validateClientMetadata, type MetadataPolicy } from './client-metadata.ts';
import { SIGNING_ALGS } from '../model/key.ts';
import { checkRedirectUri } from './redirect-uris.ts';

const DCR: MetadataPolicy = {
  ...OPERATOR_POLICY,
  grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  scopes: ['openid', 'profile', 'email'],
  firstParty: false,
};
const web = (extra: Record<string, unknown> = {}) => ({ redirect_uris: ['https://app.example/cb'], ...extra });
const rsaJwk = { kty: 'RSA', n: 'sXch', e: 'AQAB', kid: 'k1' };

function fails(raw: Record<string, unknown>, code: 'invalid_redirect_uri' | 'invalid_client_metadata', policy = OPERATOR_POLICY, why?: RegExp): void {
  assert.throws(
    () => validateClientMetadata(raw, policy),
    (e: unknown) => {
      assert.ok(e instanceof OAuthError);
      assert.equal(e.code, code, `${e.code}: ${e.description}`);
      assert.equal(e.status, 400);
      if (why) assert.match(e.description ?? '', why);
      return true;
    },
  );
}

test('RFC 7591 §2 defaults: authorization_code + code, client_secret_basic, web', () => {
  const m = validateClientMetadata(web(), OPERATOR_POLICY);
  assert.deepEqual(m.grantTypes, ['authorization_code']);
  assert.deepEqual(m.responseTypes, ['code']);
  assert.equal(m.tokenEndpointAuthMethod, 'client_secret_basic');
  assert.equal(m.applicationType, 'web');
  assert.deepEqual(m.scopes, []);
});

test('RFC 7591 §2 a client_credentials client needs no redirect URIs and gets no response type', () => {
  const m = validateClientMetadata({ grant_types: ['client_credentials'] }, OPERATOR_POLICY);
  assert.deepEqual(m.responseTypes, []);
  assert.deepEqual(m.redirectUris, []);
});

test('RFC 7591 §2 unknown metadata members are ignored; understood ones are kept', () => {
  const m = validateClientMetadata(
    web({ x_custom: 1, 'client_name#ja': 'x', client_uri: 'https://app.example', contacts: ['a@example.com'] }),
    OPERATOR_POLICY,
  );
  assert.deepEqual(m.extra, { application_type: 'web', client_uri: 'https://app.example', contacts: ['a@example.com'] });
});

test('RFC 6749 §3.1.2 redirect URIs must be absolute and carry no fragment', () => {
  fails(web({ redirect_uris: ['/cb'] }), 'invalid_redirect_uri', OPERATOR_POLICY, /absolute/);
  fails(web({ redirect_uris: ['https://app.example/cb#frag'] }), 'invalid_redirect_uri', OPERATOR_POLICY, /fragment/);
  fails(web({ redirect_uris: ['https://app.example/cb#'] }), 'invalid_redirect_uri', OPERATOR_POLICY, /fragment/);
});

test('RFC 9700 §4.1.3 wildcard redirect URIs are refused', () => {
  fails(web({ redirect_uris: ['https://*.app.example/cb'] }), 'invalid_redirect_uri', OPERATOR_POLICY, /wildcard/);
  fails(web({ redirect_uris: ['https://app.example/*'] }), 'invalid_redirect_uri', OPERATOR_POLICY, /wildcard/);
});

test('RFC 9700 §2.6 web clients use https; plain http only for loopback', () => {
  fails(web({ redirect_uris: ['http://app.example/cb'] }), 'invalid_redirect_uri', OPERATOR_POLICY, /https/);
  for (const u of ['http://127.0.0.1:8000/cb', 'http://[::1]/cb', 'http://localhost:3000/cb']) assert.equal(checkRedirectUri(u, 'web'), u);
  fails(web({ redirect_uris: ['com.example.app:/cb'] }), 'invalid_redirect_uri');
  fails(web({ redirect_uris: ['javascript:alert(1)'] }), 'invalid_redirect_uri');
  fails(web({ redirect_uris: ['https://user:pw@app.example/cb'] }), 'invalid_redirect_uri', OPERATOR_POLICY, /credentials/);
});

test('RFC 8252 §7.1/§7.3 native clients may use reverse-domain private-use schemes and loopback http', () => {
  const m = validateClientMetadata(
    {
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['com.example.app:/oauth2redirect', 'http://127.0.0.1/cb', 'https://app.example/cb'],
    },
    OPERATOR_POLICY,
  );
  assert.equal(m.redirectUris.length, 3);
  fails({ application_type: 'native', redirect_uris: ['myapp:/cb'] }, 'invalid_redirect_uri', OPERATOR_POLICY, /reverse-domain/);
  fails({ application_type: 'native', redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri');
  fails({ application_type: 'native', redirect_uris: ['data:text/html,x'] }, 'invalid_redirect_uri');
  fails({ application_type: 'native', redirect_uris: ['http://app.example/cb'] }, 'invalid_redirect_uri');
  fails({ application_type: 'desktop', redirect_uris: ['https://a.example'] }, 'invalid_client_metadata');
});

test('RFC 7591 §2 clients using redirection must register redirect URIs', () => {
  fails({}, 'invalid_redirect_uri', OPERATOR_POLICY, /required/);
});

test('RFC 7591 §2 jwks and jwks_uri must not both be present; jwks_uri is https; jwks holds public keys only', () => {
  fails(web({ jwks: { keys: [rsaJwk] }, jwks_uri: 'https://app.example/jwks' }), 'invalid_client_metadata', OPERATOR_POLICY, /both/);
  fails(web({ jwks_uri: 'http://app.example/jwks' }), 'invalid_client_metadata', OPERATOR_POLICY, /https/);
  fails(web({ jwks: { keys: [{ ...rsaJwk, d: 'secret' }] } }), 'invalid_client_metadata', OPERATOR_POLICY, /public keys only/);
  fails(web({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), 'invalid_client_metadata');
  fails(web({ jwks: [] }), 'invalid_client_metadata');
  fails(web({ jwks: { keys: [] } }), 'invalid_client_metadata');
  assert.equal(validateClientMetadata(web({ jwks: { keys: [rsaJwk] } }), OPERATOR_POLICY).jwks?.keys.length, 1);
});

test('RFC 7591 §3.2.2 metadata nested deeper than MAX_JSON_DEPTH is invalid_client_metadata before any member is read (no RangeError, no 500)', () => {
  const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
  const why = /must not nest deeper than 32 levels/;
  fails(web({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...rsaJwk, n: deep }] } }), 'invalid_client_metadata', DCR, why);
  fails(web({ unknown_member: deep }), 'invalid_client_metadata', DCR, why);
  // An RFC 7592 update compares claim_mappings with the operator's stored value.
  fails(web({ claim_mappings: deep }), 'invalid_client_metadata', { ...DCR, claimSources: null, keepClaimMappings: { a: 'b' } }, why);
  assert.ok(validateClientMetadata(web({ unknown_member: { a: [{ b: [1] }] } }), DCR));
});

test('OIDC Core §9 private_key_jwt requires jwks or jwks_uri; the signing alg must fit the method', () => {
  fails(web({ token_endpoint_auth_method: 'private_key_jwt' }), 'invalid_client_metadata', OPERATOR_POLICY, /jwks/);
  const m = validateClientMetadata(
    web({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://app.example/jwks', token_endpoint_auth_signing_alg: 'ES256' }),
    OPERATOR_POLICY,
  );
  assert.equal(m.tokenEndpointAuthSigningAlg, 'ES256');
  fails(
    web({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://a.example/j', token_endpoint_auth_signing_alg: 'HS256' }),
    'invalid_client_metadata',
  );
  fails(web({ token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'RS256' }), 'invalid_client_metadata');
  fails(web({ token_endpoint_auth_method: 'client_secret_jwt', token_endpoint_auth_signing_alg: 'none' }), 'invalid_client_metadata');
  fails(web({ token_endpoint_auth_method: 'client_secret_basic', token_endpoint_auth_signing_alg: 'RS256' }), 'invalid_client_metadata');
  fails(web({ token_endpoint_auth_method: 'tls_client_auth' }), 'invalid_client_metadata', OPERATOR_POLICY, /not supported/);
});

test('RFC 7591 §2.1 grant_types and response_types must be consistent', () => {
  fails(web({ grant_types: ['authorization_code'], response_types: [] }), 'invalid_client_metadata', OPERATOR_POLICY, /together/);
  fails(web({ grant_types: ['client_credentials'], response_types: ['code'] }), 'invalid_client_metadata', OPERATOR_POLICY, /together/);
  fails(web({ response_types: ['token'] }), 'invalid_client_metadata', OPERATOR_POLICY, /not supported/);
  fails(web({ grant_types: ['implicit'] }), 'invalid_client_metadata', OPERATOR_POLICY, /implicit .* together/);
  fails(web({ grant_types: ['password'] }), 'invalid_client_metadata', OPERATOR_POLICY, /not supported/);
  // Discovery tells the truth: a grant the token endpoint does not implement is not registrable.
  fails(web({ grant_types: ['urn:ietf:params:oauth:grant-type:saml2-bearer'] }), 'invalid_client_metadata', OPERATOR_POLICY, /not supported/);
  fails(web({ grant_types: [] }), 'invalid_client_metadata');
  fails(web({ grant_types: 'authorization_code' }), 'invalid_client_metadata', OPERATOR_POLICY, /array/);
});

test('RFC 7523 §2.1 the JWT bearer grant is registrable only when a trusted issuer allows it', () => {
  const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
  const base = {
    env: 'development' as const,
    keys: { algorithms: SIGNING_ALGS },
    tokens: {},
    authorization: { implicit: false, allowUnsignedRequestObjects: false },
  };
  assert.deepEqual(validateClientMetadata(web({ grant_types: [grant] }), OPERATOR_POLICY).grantTypes, [grant]);
  const served = operatorPolicy({ ...base, trustedIssuers: [{ uses: ['id-jag'] }] });
  assert.deepEqual(validateClientMetadata(web({ grant_types: [grant] }), served).grantTypes, [grant]);
  fails(web({ grant_types: [grant] }), 'invalid_client_metadata', operatorPolicy({ ...base, trustedIssuers: [] }), /trustedIssuers/);
  fails(
    web({ grant_types: [grant] }),
    'invalid_client_metadata',
    operatorPolicy({ ...base, trustedIssuers: [{ uses: ['token-exchange'] }] }),
    /trustedIssuers/,
  );
});

test('RFC 6749 §4.4 client_credentials requires a confidential client', () => {
  fails({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata', OPERATOR_POLICY, /confidential/);
});

test('RFC 6749 §3.3 any scope token may be named by the operator; DCR is limited to the allowed scopes', () => {
  assert.deepEqual(validateClientMetadata(web({ scope: 'read write urn:x:admin read' }), OPERATOR_POLICY).scopes, ['read', 'write', 'urn:x:admin']);
  fails(web({ scope: 'bad"scope' }), 'invalid_client_metadata', OPERATOR_POLICY, /scope/);
  fails(web({ scope: 'a  b' }), 'invalid_client_metadata', OPERATOR_POLICY, /scope/);
  assert.deepEqual(validateClientMetadata(web({ scope: 'openid email' }), DCR).scopes, ['openid', 'email']);
  fails(web({ scope: 'openid admin' }), 'invalid_client_metadata', DCR, /admin/);
  fails(web({ scope: ['openid'] }), 'invalid_client_metadata', DCR, /string/);
});

test('RFC 7591 §2 the registration policy limits grant types', () => {
  fails(web({ grant_types: ['urn:ietf:params:oauth:grant-type:device_code'] }), 'invalid_client_metadata', DCR, /not allowed/);
  assert.deepEqual(validateClientMetadata({ grant_types: ['client_credentials'] }, DCR).grantTypes, ['client_credentials']);
});

test('RFC 7591 §2 human-facing URLs must be http(s) and typed members must have their type', () => {
  fails(web({ logo_uri: 'javascript:alert(1)' }), 'invalid_client_metadata', OPERATOR_POLICY, /logo_uri/);
  fails(web({ client_name: 42 }), 'invalid_client_metadata', OPERATOR_POLICY, /client_name/);
  fails(web({ contacts: 'a@example.com' }), 'invalid_client_metadata', OPERATOR_POLICY, /contacts/);
  fails(web({ access_token_format: 'paseto' }), 'invalid_client_metadata');
});

test('OIDC Core §8.1: a dynamically registered native client cannot name a sector on a loopback host or for a private-use scheme', () => {
  const native = {
    application_type: 'native',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    subject_type: 'pairwise',
    token_endpoint_auth_method: 'none',
  };
  // Without this, https://127.0.0.1/… is "on the host of every redirect URI" and gives the client
  // the sector of every app registered with http://127.0.0.1.
  for (const redirect_uris of [['http://127.0.0.1/cb'], ['http://localhost/cb'], ['com.example.app:/cb']]) {
    const host = redirect_uris[0]!.startsWith('http') ? new URL(redirect_uris[0]!).host : 'example.app';
    fails({ ...native, redirect_uris, sector_identifier_uri: `https://${host}/sector.json` }, 'invalid_client_metadata', DCR, /loopback or private-use/);
    assert.doesNotThrow(
      () => validateClientMetadata({ ...native, redirect_uris, sector_identifier_uri: 'https://apps.example/sector.json' }, OPERATOR_POLICY),
      'operators may group native clients',
    );
  }
  // Pairwise without a sector is fine: the sector is the client id, even across loopback and a scheme.
  assert.doesNotThrow(() => validateClientMetadata({ ...native, redirect_uris: ['http://127.0.0.1/cb', 'com.example.app:/cb'] }, DCR));
  fails({ ...native, redirect_uris: ['https://app.example/cb', 'http://127.0.0.1/cb'] }, 'invalid_client_metadata', DCR, /several hosts/);
});

test('OIDC Registration §5: a dynamically registered client cannot claim a sector on another host (no fetch, no correlation)', () => {
  const base = {
    redirect_uris: ['https://rp.example/cb'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    subject_type: 'pairwise',
    token_endpoint_auth_method: 'client_secret_basic',
  };
  assert.throws(() => validateClientMetadata({ ...base, sector_identifier_uri: 'https://other.example/sector.json' }, DCR), /sector_identifier_uri/);
  assert.doesNotThrow(() => validateClientMetadata({ ...base, sector_identifier_uri: 'https://rp.example/sector.json' }, DCR));
  assert.doesNotThrow(
    () => validateClientMetadata({ ...base, sector_identifier_uri: 'https://other.example/sector.json' }, OPERATOR_POLICY),
    'operators are trusted',
  );
});
