import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import type { EventMap } from '../../src/core/events.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let s: TestServer;
let as: oauth.AuthorizationServer;
const issued: EventMap['token.issued'][] = [];
const failures: EventMap['client_auth.failed'][] = [];

before(async () => {
  s = await startTestServer({ keys: { algorithms: ['ES256'] } });
  as = await discover(s.url);
  s.gh.ctx.events.on('token.issued', (e) => issued.push(e));
  s.gh.ctx.events.on('client_auth.failed', (e) => failures.push(e));
});
after(() => s.close());

const now = () => Math.floor(Date.now() / 1000);

async function grant(clientId: string, auth: oauth.ClientAuth, server = as) {
  const client = { client_id: clientId };
  const res = await oauth.clientCredentialsGrantRequest(server, client, auth, {}, INSECURE);
  return { res, client };
}

async function accepted(clientId: string, auth: oauth.ClientAuth, server = as): Promise<oauth.TokenEndpointResponse> {
  const { res, client } = await grant(clientId, auth, server);
  return oauth.processClientCredentialsResponse(server, client, res);
}

/**
 * RFC 6749 §5.2: invalid_client, 401 with WWW-Authenticate; nothing issued, and the wire never
 * says why (the reason is only in the `client_auth.failed` event).
 */
async function refused(clientId: string, auth: oauth.ClientAuth, reason: RegExp): Promise<void> {
  const before = { issued: issued.length, failures: failures.length };
  const { res } = await grant(clientId, auth);
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="gatehouse", error="invalid_client"$/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await res.json(), { error: 'invalid_client', error_description: 'client authentication failed' });
  assert.equal(issued.length, before.issued, 'no token issued');
  assert.equal(failures.length, before.failures + 1);
  assert.match(failures.at(-1)!.reason, reason);
}

/** A ClientAuth that sends a hand-made assertion (what a hostile or broken client would send). */
const rawAssertion =
  (jwt: string): oauth.ClientAuth =>
  (_as, _client, body) => {
    body.set('client_assertion_type', ASSERTION_TYPE);
    body.set('client_assertion', jwt);
  };

async function keyClient(alg: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: `${alg}-1`, alg, use: 'sig' };
  const c = await createTestClient(s.gh, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
  return { ...c, privateKey, publicKey, jwk };
}

const modify = (fn: (h: Record<string, unknown>, p: Record<string, unknown>) => void) => ({ [oauth.modifyAssertion]: fn });

test('RFC 6749 §2.3.1 client_secret_basic authenticates at the token endpoint', async () => {
  const c = await createTestClient(s.gh);
  assert.equal((await accepted(c.client_id, oauth.ClientSecretBasic(c.client_secret))).token_type, 'bearer');
});

test('RFC 6749 §2.3.1 client_secret_basic ids and secrets are form-urlencoded before base64 (oauth4webapi encodes)', async () => {
  // Secrets are base64url; oauth4webapi still form-encodes, and the server decodes (a no-op here),
  // so a client that encodes and one that does not both work with URL-safe values.
  const c = await createTestClient(s.gh);
  const res = await fetch(`${s.url}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(c.client_id)}:${encodeURIComponent(c.client_secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  assert.equal(res.status, 200);
});

test('RFC 6749 §2.3.1 client_secret_post authenticates at the token endpoint', async () => {
  const c = await createTestClient(s.gh, { token_endpoint_auth_method: 'client_secret_post' });
  assert.ok((await accepted(c.client_id, oauth.ClientSecretPost(c.client_secret))).access_token);
});

test('OIDC Core §9 client_secret_jwt authenticates at the token endpoint', async () => {
  const c = await createTestClient(s.gh, { token_endpoint_auth_method: 'client_secret_jwt' });
  await accepted(c.client_id, oauth.ClientSecretJwt(c.client_secret));
});

test('RFC 7523 §2.2 private_key_jwt with a registered jwks (ES256, PS256, EdDSA signed as Ed25519)', async () => {
  // oauth4webapi signs Ed25519 keys with the RFC 9864 name `Ed25519`; the JWK says `EdDSA`.
  for (const alg of ['ES256', 'PS256', 'EdDSA']) {
    const c = await keyClient(alg);
    await accepted(c.client_id, oauth.PrivateKeyJwt({ key: c.privateKey, kid: c.jwk.kid! }));
  }
});

test('RFC 7523 §2.2 private_key_jwt with a jwks_uri: fetched once, then cached for clientAuth.jwksCacheTtl', async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'remote-1', alg: 'ES256', use: 'sig' }] };
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const c = await createTestClient(s.gh, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://keys.example/jwks' });
    // The validator accepts https only; point this test client at the local http server directly.
    await s.gh.services.storage.clients.update(s.gh.ctx.tenantId, c.client_id, { jwksUri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks` });
    for (let i = 0; i < 3; i++) await accepted(c.client_id, oauth.PrivateKeyJwt({ key: privateKey, kid: 'remote-1' }));
    assert.equal(fetches, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('OAuth 2.1 §2.1 none: a public client authenticates where public clients are allowed (revocation) and not at client_credentials', async () => {
  const c = await createTestClient(s.gh, {
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: ['https://app.example/cb'],
  });
  const res = await oauth.revocationRequest(as, { client_id: c.client_id }, oauth.None(), 'some-token', INSECURE);
  await oauth.processRevocationResponse(res);
  await refused(c.client_id, oauth.None(), /public client not allowed/);
});

describe('refused client authentication', () => {
  test('RFC 6749 §5.2 an unknown client is invalid_client', async () => {
    await refused('no-such-client', oauth.ClientSecretBasic('whatever'), /unknown client/);
  });

  test('RFC 6749 §5.2 a disabled client is invalid_client', async () => {
    const c = await createTestClient(s.gh);
    await s.gh.services.storage.clients.update(s.gh.ctx.tenantId, c.client_id, { disabled: true });
    await refused(c.client_id, oauth.ClientSecretBasic(c.client_secret), /disabled/);
  });

  test('RFC 6749 §5.2 a wrong secret, or a method other than the registered one, is invalid_client', async () => {
    const c = await createTestClient(s.gh);
    await refused(c.client_id, oauth.ClientSecretBasic('wrong'), /secret mismatch/);
    await refused(c.client_id, oauth.ClientSecretPost(c.client_secret), /registered for client_secret_basic/);
    const k = await keyClient('ES256');
    await refused(k.client_id, oauth.ClientSecretBasic('anything'), /registered for private_key_jwt/);
  });

  test('RFC 8725 §3.1 an assertion with alg none is invalid_client', async () => {
    const k = await keyClient('ES256');
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'none' })}.${b64({ iss: k.client_id, sub: k.client_id, aud: s.url, jti: randomBytes(8).toString('hex'), iat: now(), exp: now() + 60 })}.`;
    await refused(k.client_id, rawAssertion(jwt), /assertion rejected/);
  });

  test('RFC 8725 §2.1 an HS256 assertion keyed with the client public key is invalid_client', async () => {
    const k = await keyClient('RS256');
    const pem = await exportSPKI(k.publicKey as CryptoKey);
    const jwt = await new SignJWT({ jti: randomBytes(8).toString('hex') })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(k.client_id)
      .setSubject(k.client_id)
      .setAudience(s.url)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(pem));
    await refused(k.client_id, rawAssertion(jwt), /JOSEAlgNotAllowed/);
  });

  test('RFC 7523 §3 an expired assertion is invalid_client', async () => {
    const k = await keyClient('ES256');
    await refused(
      k.client_id,
      oauth.PrivateKeyJwt(
        { key: k.privateKey, kid: k.jwk.kid! },
        modify((_h, p) => {
          p['iat'] = now() - 300;
          p['exp'] = now() - 120;
        }),
      ),
      /JWTExpired/,
    );
  });

  test('RFC 7523 §3 an assertion whose aud is neither the issuer nor the endpoint is invalid_client', async () => {
    const k = await keyClient('ES256');
    await refused(
      k.client_id,
      oauth.PrivateKeyJwt(
        { key: k.privateKey, kid: k.jwk.kid! },
        modify((_h, p) => {
          p['aud'] = 'https://someone-else.example';
        }),
      ),
      /aud/,
    );
  });

  test('RFC 7523 §3 a replayed jti is invalid_client; a forged assertion does not burn the jti', async () => {
    const k = await keyClient('ES256');
    const jti = randomBytes(8).toString('hex');
    const stranger = await generateKeyPair('ES256');
    await refused(
      k.client_id,
      oauth.PrivateKeyJwt(
        { key: stranger.privateKey, kid: k.jwk.kid! },
        modify((_h, p) => {
          p['jti'] = jti;
        }),
      ),
      /signature/,
    );
    const jwt = await new SignJWT({ jti })
      .setProtectedHeader({ alg: 'ES256', kid: k.jwk.kid! })
      .setIssuer(k.client_id)
      .setSubject(k.client_id)
      .setAudience(s.url)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(k.privateKey);
    await accepted(k.client_id, rawAssertion(jwt));
    await refused(k.client_id, rawAssertion(jwt), /replayed/);
  });

  test('RFC 7523 §2.2 an unsupported client_assertion_type is invalid_client', async () => {
    const before = issued.length;
    const res = await fetch(`${s.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
        client_assertion: 'x',
      }),
    });
    assert.equal(res.status, 401);
    assert.ok(res.headers.get('www-authenticate'));
    assert.equal(issued.length, before);
  });

  test('RFC 6749 §5.2 a malformed Basic header is invalid_client with WWW-Authenticate Basic', async () => {
    const res = await fetch(`${s.url}/token`, {
      method: 'POST',
      headers: { authorization: 'Basic %%%', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
  });

  test('RFC 6749 §2.3 two authentication methods at once is invalid_request (400), nothing issued', async () => {
    const c = await createTestClient(s.gh);
    const before = issued.length;
    const both: oauth.ClientAuth = (a, client, body, headers) => {
      void oauth.ClientSecretBasic(c.client_secret)(a, client, body, headers);
      body.set('client_secret', c.client_secret);
    };
    const { res } = await grant(c.client_id, both);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
    const k = await keyClient('ES256');
    const assertionAndSecret: oauth.ClientAuth = async (a, client, body, headers) => {
      await oauth.PrivateKeyJwt({ key: k.privateKey, kid: k.jwk.kid! })(a, client, body, headers);
      body.set('client_secret', 'x');
    };
    assert.equal((await grant(k.client_id, assertionAndSecret)).res.status, 400);
    assert.equal(issued.length, before);
  });
});

describe('RFC 7523 §3 replay protection across instances', () => {
  test('RFC 7523 §3 a jti spent on one instance is refused by another sharing the store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-replay-'));
    const shared = { issuer: 'https://as.example', kek: randomBytes(32).toString('base64'), database: { url: `sqlite:${join(dir, 'gh.db')}` } };
    const one = await startTestServer(shared);
    const two = await startTestServer(shared);
    try {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const c = await createTestClient(one.gh, {
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k' }] },
      });
      const jwt = await new SignJWT({ jti: randomBytes(8).toString('hex') })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setIssuer(c.client_id)
        .setSubject(c.client_id)
        .setAudience('https://as.example')
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(privateKey);
      const asOf = (t: TestServer): oauth.AuthorizationServer => ({ issuer: 'https://as.example', token_endpoint: `${t.url}/token` });
      await accepted(c.client_id, rawAssertion(jwt), asOf(one));
      const { res } = await grant(c.client_id, rawAssertion(jwt), asOf(two));
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_client');
    } finally {
      await one.close();
      await two.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A client's key server on 127.0.0.1:0 that counts the TCP connections it accepted. */
async function keyServer(handler: Parameters<typeof createServer>[1]) {
  let connections = 0;
  const server: Server = createServer(handler);
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/** A private_key_jwt client of `on` whose jwks_uri is `url` (stored directly: registration requires https). */
async function jwksUriClient(on: TestServer, url: string) {
  const c = await createTestClient(on.gh, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://keys.example/jwks' });
  await on.gh.services.storage.clients.update(on.gh.ctx.tenantId, c.client_id, { jwksUri: url });
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...c, privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'remote-1', alg: 'ES256', use: 'sig' } };
}

describe('S19 RFC 7523 §2.2 a client jwks_uri is fetched only through the guarded fetcher', () => {
  test('S19 a jwks_uri on 127.0.0.1 without the allow-list: invalid_client, and the key server receives no connection', async () => {
    const strict = await startTestServer({ outbound: { allowHosts: [] } });
    const keys = await keyServer((_req, res) => res.end('{"keys":[]}'));
    const seen: EventMap['client_auth.failed'][] = [];
    strict.gh.ctx.events.on('client_auth.failed', (e) => seen.push(e));
    try {
      const c = await jwksUriClient(strict, keys.url);
      const { res } = await grant(c.client_id, oauth.PrivateKeyJwt({ key: c.privateKey, kid: 'remote-1' }), await discover(strict.url));
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: 'invalid_client', error_description: 'client authentication failed' });
      assert.equal(keys.connections(), 0, 'no connection to the internal address');
      assert.match(seen.at(-1)!.reason, /refused_address/);
    } finally {
      await keys.close();
      await strict.close();
    }
  });

  test('CWE-400 a 10 MB jwks_uri document: invalid_client at once; the server cannot push the whole body', async () => {
    let written = 0;
    let finished = false;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const keys = await keyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
      const pump = () => {
        while (!res.destroyed && written < 10 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed)
          res.end(']}', () => {
            finished = true;
          });
      };
      pump();
    });
    try {
      const c = await jwksUriClient(s, keys.url);
      const started = Date.now();
      await refused(c.client_id, oauth.PrivateKeyJwt({ key: c.privateKey, kid: 'remote-1' }), /too_large/);
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      assert.equal(finished, false, 'the 10 MB body was never read to the end');
      assert.ok(written < 10 * 1024 * 1024, `server wrote ${written} bytes`);
    } finally {
      await keys.close();
    }
  });

  test('RFC 7591 §2 a fetched key set meets the registered jwks limits (key count, public keys only)', async () => {
    let doc: unknown = null;
    const keys = await keyServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(doc));
    });
    try {
      const c = await jwksUriClient(s, keys.url);
      const auth = oauth.PrivateKeyJwt({ key: c.privateKey, kid: 'remote-1' });
      doc = { keys: [c.jwk, ...Array.from({ length: 20 }, (_, i) => ({ ...c.jwk, kid: `extra-${i}` }))] };
      await refused(c.client_id, auth, /jwks has too many keys/);
      const other = await jwksUriClient(s, keys.url);
      const { privateKey: _p, ...priv } = { privateKey: 0, ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)) };
      doc = { keys: [{ ...priv, kid: 'remote-1' }] };
      await refused(other.client_id, oauth.PrivateKeyJwt({ key: other.privateKey, kid: 'remote-1' }), /public keys only/);
    } finally {
      await keys.close();
    }
  });
});
