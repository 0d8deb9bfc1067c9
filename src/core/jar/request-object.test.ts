import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from 'jose';
import { ISSUER, makeClient, settableClock, T0 } from '../../../test/support/core-fixtures.ts';
import { OAuthError } from '../errors.ts';
import type { Client } from '../model/client.ts';
import { createRequestObjects, type RequestObjectConfig, type RequestObjectInput } from './request-object.ts';

const NOW = T0 / 1000;
const config = (over: Partial<RequestObjectConfig['authorization']> = {}): RequestObjectConfig => ({
  issuer: ISSUER,
  authorization: { allowUnsignedRequestObjects: false, requestObjectMaxAge: 300, ...over },
  clientAuth: { clockSkew: 30, jwksCacheTtl: 300 },
});
const isInvalid = (e: unknown) => e instanceof OAuthError && e.code === 'invalid_request_object' && e.status === 400;

const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
const other = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };

function rp(metadata: Record<string, unknown> = {}, over: Partial<Client> = {}): Client {
  return makeClient({
    clientId: 'rp',
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [jwk] },
    grantTypes: ['authorization_code'],
    metadata,
    ...over,
  });
}

const claims = (over: JWTPayload = {}): JWTPayload => ({
  iss: 'rp',
  aud: ISSUER,
  exp: NOW + 60,
  iat: NOW,
  nbf: NOW,
  jti: 'j1',
  client_id: 'rp',
  response_type: 'code',
  scope: 'openid email',
  redirect_uri: 'https://rp.example/cb',
  state: 'inner-state',
  nonce: 'n',
  ...over,
});
const sign = (payload: JWTPayload, key: CryptoKey = privateKey, alg = 'ES256', typ: string | undefined = 'oauth-authz-req+jwt') =>
  new SignJWT(payload).setProtectedHeader({ alg, kid: 'k1', ...(typ === undefined ? {} : { typ }) }).sign(key);

function resolver(cfg = config()) {
  const objects = createRequestObjects({ clock: settableClock() }, cfg);
  return { resolve: (i: RequestObjectInput) => objects.resolveRequestObject(i.client, i.request, i.outer) };
}

describe('RFC 9101 JWT-Secured Authorization Request', () => {
  test('RFC 9101 §6.3 a claims member nested thousands of levels deep is invalid_request_object, not a RangeError (no 500)', async () => {
    // Written by hand: SignJWT would itself fail to serialise the payload.
    const json = JSON.stringify(claims()).slice(0, -1);
    const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    for (const member of [`"claims":{"id_token":{"email":{"value":${deep}}}}`, `"authorization_details":${deep}`]) {
      const request = await new CompactSign(new TextEncoder().encode(`${json},${member}}`))
        .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'oauth-authz-req+jwt' })
        .sign(privateKey);
      await assert.rejects(resolver().resolve({ client: rp(), request, outer: { client_id: 'rp' } }), (e: unknown) => {
        assert.ok(e instanceof OAuthError, String(e));
        assert.equal(e.code, 'invalid_request_object');
        assert.match(e.description ?? '', /nests deeper than 32 levels/);
        return true;
      });
    }
  });

  test('RFC 9101 §6.3 a signed object is accepted and only its parameters are used (outer ones ignored)', async () => {
    const params = await resolver().resolve({
      client: rp(),
      request: await sign(claims({ max_age: 300, claims: { id_token: { email: { essential: true } } } })),
      outer: { client_id: 'rp', response_type: 'code', scope: 'openid profile', state: 'outer-state', redirect_uri: 'https://evil.example/cb', prompt: 'none' },
    });
    assert.deepEqual(
      { ...params },
      {
        client_id: 'rp',
        response_type: 'code',
        scope: 'openid email',
        redirect_uri: 'https://rp.example/cb',
        state: 'inner-state',
        nonce: 'n',
        max_age: '300',
        claims: '{"id_token":{"email":{"essential":true}}}',
      },
    );
  });

  test('OIDC Core §6.1 the outer response_type applies when the object has none, and must match when both are given', async () => {
    const noType = claims();
    delete noType.response_type;
    const params = await resolver().resolve({ client: rp(), request: await sign(noType), outer: { client_id: 'rp', response_type: 'code id_token' } });
    assert.equal(params.response_type, 'code id_token');
    await assert.rejects(resolver().resolve({ client: rp(), request: await sign(claims()), outer: { client_id: 'rp', response_type: 'token' } }), isInvalid);
  });

  test('RFC 9101 §10.8 a request object typed as another kind of JWT is invalid_request_object; untyped or oauth-authz-req+jwt is accepted', async () => {
    for (const typ of ['at+jwt', 'client-authentication+jwt', 'logout+jwt', 'JWT']) {
      await assert.rejects(
        resolver().resolve({ client: rp(), request: await sign(claims(), privateKey, 'ES256', typ) }),
        (e: unknown) => {
          assert.ok(isInvalid(e), String(e));
          assert.match((e as OAuthError).description ?? '', /typ must be oauth-authz-req\+jwt/);
          return true;
        },
        typ,
      );
    }
    for (const typ of [undefined, 'oauth-authz-req+jwt', 'application/OAUTH-AUTHZ-REQ+JWT']) {
      assert.equal((await resolver().resolve({ client: rp(), request: await sign(claims(), privateKey, 'ES256', typ) })).state, 'inner-state', String(typ));
    }
  });

  test('RFC 9101 §5 a client_id inside the object must be the outer client_id', async () => {
    await assert.rejects(
      resolver().resolve({ client: rp(), request: await sign(claims({ client_id: 'someone-else' })), outer: { client_id: 'rp' } }),
      isInvalid,
    );
  });

  test('RFC 9101 §4 iss must be the client and aud the issuer', async () => {
    const r = resolver();
    for (const bad of [claims({ iss: 'someone-else' }), claims({ aud: 'https://other.example' }), claims({ iss: undefined }), claims({ aud: undefined })]) {
      await assert.rejects(r.resolve({ client: rp(), request: await sign(bad), outer: { client_id: 'rp' } }), isInvalid, JSON.stringify(bad));
    }
    const ok = await r.resolve({ client: rp(), request: await sign(claims({ aud: [ISSUER] })), outer: { client_id: 'rp' } });
    assert.equal(ok.state, 'inner-state');
  });

  test('draft-ietf-oauth-rfc7523bis aud is a single value: a multi-valued aud is refused even when it holds the issuer', async () => {
    const r = resolver();
    for (const aud of [['https://x.example', ISSUER], [ISSUER, ISSUER], []]) {
      const e = await r.resolve({ client: rp(), request: await sign(claims({ aud })), outer: { client_id: 'rp' } }).then(
        () => assert.fail(JSON.stringify(aud)),
        (x: unknown) => x,
      );
      assert.ok(isInvalid(e), String(e));
      assert.ok(!(e as OAuthError).description?.includes('x.example'), 'the bad value is not echoed');
      if (aud.length > 1) assert.equal((e as OAuthError).description, 'the request object aud must be a single value');
    }
    // RFC 9101 §4 names the issuer: not the authorization endpoint URL, not the PAR endpoint URL.
    for (const aud of [`${ISSUER}/authorize`, `${ISSUER}/par`]) {
      await assert.rejects(r.resolve({ client: rp(), request: await sign(claims({ aud })), outer: { client_id: 'rp' } }), isInvalid, aud);
    }
  });

  test('RFC 9101 §6.2 exp is required and bounded; stale iat and future nbf are refused', async () => {
    const r = resolver();
    const cases: JWTPayload[] = [
      claims({ exp: undefined }),
      claims({ exp: NOW - 31 }),
      claims({ exp: NOW + 400, iat: undefined }),
      claims({ iat: NOW - 400, exp: NOW + 10 }),
      claims({ iat: NOW - 10, exp: NOW + 295 }),
      claims({ nbf: NOW + 120 }),
      claims({ iat: NOW + 120 }),
    ];
    for (const c of cases) await assert.rejects(r.resolve({ client: rp(), request: await sign(c), outer: { client_id: 'rp' } }), isInvalid, JSON.stringify(c));
  });

  test("RFC 9101 §6.2 a signature by a key that is not the client's is refused", async () => {
    await assert.rejects(resolver().resolve({ client: rp(), request: await sign(claims(), other.privateKey), outer: { client_id: 'rp' } }), isInvalid);
    await assert.rejects(resolver().resolve({ client: rp({}, { jwks: null }), request: await sign(claims()), outer: { client_id: 'rp' } }), isInvalid);
  });

  test('RFC 9101 §6.2 / RFC 8725 §3.1 the algorithm is pinned: request_object_signing_alg, never HMAC', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256' };
    const client = rp({ request_object_signing_alg: 'ES256' }, { jwks: { keys: [jwk, rsaJwk] } });
    await assert.rejects(resolver().resolve({ client, request: await sign(claims(), rsa.privateKey, 'RS256'), outer: { client_id: 'rp' } }), isInvalid);
    const hmac = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(32)));
    await assert.rejects(resolver().resolve({ client: rp(), request: hmac, outer: { client_id: 'rp' } }), isInvalid);
    const params = await resolver().resolve({ client, request: await sign(claims()), outer: { client_id: 'rp' } });
    assert.equal(params.client_id, 'rp');
  });

  test('RFC 8707 a resource array inside the object travels space-separated; other arrays need one value', async () => {
    const params = await resolver().resolve({
      client: rp(),
      request: await sign(claims({ resource: ['https://a.example/', 'https://b.example/'], ui_locales: ['fr'] })),
    });
    assert.equal(params.resource, 'https://a.example/ https://b.example/');
    assert.equal(params.ui_locales, 'fr');
    await assert.rejects(resolver().resolve({ client: rp(), request: await sign(claims({ prompt: ['login', 'consent'] })) }), isInvalid);
  });

  test('RFC 9101 §6.2 alg none is refused by default, accepted only when enabled and the client pinned no algorithm', async () => {
    const unsigned = new UnsecuredJWT(claims()).encode();
    await assert.rejects(resolver().resolve({ client: rp(), request: unsigned, outer: { client_id: 'rp' } }), isInvalid);
    const lax = resolver(config({ allowUnsignedRequestObjects: true }));
    const params = await lax.resolve({ client: rp(), request: unsigned, outer: { client_id: 'rp', state: 'outer' } });
    assert.equal(params.state, 'inner-state');
    await assert.rejects(lax.resolve({ client: rp({ request_object_signing_alg: 'ES256' }), request: unsigned, outer: { client_id: 'rp' } }), isInvalid);
    // "none" with a signature attached is not an unsigned object.
    await assert.rejects(lax.resolve({ client: rp(), request: `${unsigned}c2ln`, outer: { client_id: 'rp' } }), isInvalid);
  });

  test('RFC 9101 §4 an encrypted request object (JWE) is invalid_request_object: not supported', async () => {
    await assert.rejects(
      resolver().resolve({ client: rp(), request: 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', outer: { client_id: 'rp' } }),
      (e: unknown) => isInvalid(e) && /encrypted/.test((e as OAuthError).description ?? ''),
    );
  });

  test('OIDC Core §6.1 request and request_uri must not appear inside a request object', async () => {
    for (const inner of [{ request: 'x' }, { request_uri: 'urn:ietf:params:oauth:request_uri:abc' }]) {
      await assert.rejects(resolver().resolve({ client: rp(), request: await sign(claims(inner)), outer: { client_id: 'rp' } }), isInvalid);
    }
  });

  test('RFC 9101 §6.3 garbage, non-object payloads and oversized objects are invalid_request_object, never a crash', async () => {
    const r = resolver();
    for (const request of ['', 'abc', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln', 'x'.repeat(70_000)]) {
      await assert.rejects(r.resolve({ client: rp(), request, outer: { client_id: 'rp' } }), isInvalid, request.slice(0, 30));
    }
    const array = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const [h, , s] = array.split('.');
    await assert.rejects(r.resolve({ client: rp(), request: `${h}.${Buffer.from('[1]').toString('base64url')}.${s}`, outer: { client_id: 'rp' } }), isInvalid);
    await assert.rejects(r.resolve({ client: rp(), request: await sign(claims({ scope: { bad: true } as never })), outer: { client_id: 'rp' } }), isInvalid);
  });
});
