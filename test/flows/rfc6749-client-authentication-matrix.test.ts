/**
 * Every client authentication method × a bad credential, at every endpoint that authenticates
 * clients (RFC 6749 §2.3.1 and §5.2; RFC 7523 §3 and OIDC Core §9 for the JWT methods; RFC 9126
 * §2, RFC 7662 §2.1, RFC 7009 §2.1 and RFC 8628 §3.1 apply the token endpoint's rules to PAR,
 * introspection, revocation and device authorization). Driven over HTTP by oauth4webapi, which
 * builds each method's credential the way a real client does.
 *
 * Each refused request must get 401 invalid_client with WWW-Authenticate, be recorded with the
 * reason in `client_auth.failed`, and have no effect: no token issued, no request pushed, no
 * introspection answer, nothing revoked (the token still introspects active), no device code.
 * The same requests with the right credential are accepted first, so a refusal can only come
 * from the credential.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  ACCEPTED_STATUS,
  allEndpointsMetadata,
  assertInvalidClient,
  callEndpoint,
  ENDPOINTS,
  recordEvents,
  type Endpoint,
  type EventLog,
} from '../support/client-auth-endpoints.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { activeTokenCount, createTestClient, startTestServer, type TestServer } from '../support/server.ts';

type Kind = 'basic' | 'post' | 'jwt' | 'key' | 'public';

interface MatrixClient {
  readonly kind: Kind;
  readonly client_id: string;
  readonly client_secret: string;
  /** The credential this client registered for, made correctly. */
  readonly good: () => oauth.ClientAuth;
  readonly privateKey?: CryptoKey;
  readonly kid?: string;
}

let s: TestServer;
let as: oauth.AuthorizationServer;
let log: EventLog;
const clients = {} as Record<Kind, MatrixClient>;

/** The same length, one character different: the whole secret is compared. */
const wrong = (secret: string): string => `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;

before(async () => {
  // Every failure below comes from one address: the penalty bucket is tested in rate-limits-client-auth-penalty.test.ts.
  s = await startTestServer({ rateLimits: { clientAuthFailures: { limit: 1000 } } });
  as = await discover(s.url);
  log = recordEvents(s.gh);
  const make = async (kind: Kind, method: string, good: (c: { client_secret: string }) => oauth.ClientAuth, extra: Record<string, unknown> = {}) => {
    const c = await createTestClient(s.gh, { ...allEndpointsMetadata(method), ...extra });
    return { kind, client_id: c.client_id, client_secret: c.client_secret, good: () => good(c) };
  };
  clients.basic = await make('basic', 'client_secret_basic', (c) => oauth.ClientSecretBasic(c.client_secret));
  clients.post = await make('post', 'client_secret_post', (c) => oauth.ClientSecretPost(c.client_secret));
  clients.jwt = await make('jwt', 'client_secret_jwt', (c) => oauth.ClientSecretJwt(c.client_secret));
  clients.public = await make('public', 'none', () => oauth.None());
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'matrix-1', alg: 'ES256', use: 'sig' };
  const key = await make('key', 'private_key_jwt', () => oauth.PrivateKeyJwt({ key: privateKey, kid: 'matrix-1' }), { jwks: { keys: [jwk] } });
  clients.key = { ...key, privateKey, kid: 'matrix-1' };
});
after(async () => {
  log?.close();
  await s?.close();
});

/** A fresh access token of a confidential client (what it would introspect or revoke). */
async function ownToken(c: MatrixClient): Promise<string> {
  const res = await oauth.clientCredentialsGrantRequest(as, { client_id: c.client_id }, c.good(), { scope: 'read' }, INSECURE);
  return (await oauth.processClientCredentialsResponse(as, { client_id: c.client_id }, res)).access_token;
}

/** Whether `token` is still active, asked by its own client with its right credential. */
async function stillActive(c: MatrixClient, token: string): Promise<boolean> {
  const res = await oauth.introspectionRequest(as, { client_id: c.client_id }, c.good(), token, INSECURE);
  return (await oauth.processIntrospectionResponse(as, { client_id: c.client_id }, res)).active;
}

/** At /token a public client is tried on a grant that public clients may use. */
const grantFor = (c: MatrixClient, usingNone: boolean) => (c.kind === 'public' || usingNone ? 'device_code' : 'client_credentials');

/**
 * Sends `auth` as client `c` to `endpoint` and checks the refusal: RFC 6749 §5.2 on the wire,
 * `reason` in the event, and no effect of any kind.
 */
async function refusedAt(endpoint: Endpoint, c: MatrixClient, auth: oauth.ClientAuth, reason: RegExp, usingNone = false): Promise<void> {
  const token = c.kind !== 'public' && (endpoint === 'introspect' || endpoint === 'revoke') ? await ownToken(c) : undefined;
  const before = { effects: log.effects.length, failures: log.failures.length, active: await activeTokenCount(s.gh) };
  const res = await callEndpoint(as, endpoint, c.client_id, auth, { grant: grantFor(c, usingNone), ...(token ? { token } : {}) });
  const what = `${c.kind} client at /${endpoint}`;
  await assertInvalidClient(res, what);
  assert.equal(log.failures.length, before.failures + 1, `${what}: one client_auth.failed`);
  const failure = log.failures.at(-1)!;
  assert.equal(failure.clientId, c.client_id, `${what}: the failure names the client`);
  assert.match(failure.reason, reason, `${what}: refused for the right reason`);
  assert.deepEqual(log.effects.slice(before.effects), [], `${what}: nothing issued, stored, revoked or disclosed`);
  assert.equal(await activeTokenCount(s.gh), before.active, `${what}: no token stored`);
  if (token && endpoint === 'revoke') assert.equal(await stillActive(c, token), true, `${what}: the token was not revoked`);
}

describe('the right credential is accepted at every endpoint (control)', () => {
  for (const kind of ['basic', 'post', 'jwt', 'key'] as const) {
    test(`RFC 6749 §2.3.1 ${kind}: accepted at /${ENDPOINTS.join(', /')}`, async () => {
      const c = clients[kind];
      for (const endpoint of ENDPOINTS) {
        const token = endpoint === 'introspect' || endpoint === 'revoke' ? await ownToken(c) : undefined;
        const res = await callEndpoint(as, endpoint, c.client_id, c.good(), token ? { token } : {});
        assert.equal(res.status, ACCEPTED_STATUS[endpoint], `/${endpoint}: ${await res.text()}`);
      }
    });
  }

  test('OAuth 2.1 §2.1 none: a public client is accepted at /par, /revoke, /device_authorization and the device_code grant', async () => {
    const c = clients.public;
    for (const endpoint of ['par', 'revoke', 'device_authorization'] as const) {
      const res = await callEndpoint(as, endpoint, c.client_id, c.good());
      assert.equal(res.status, ACCEPTED_STATUS[endpoint], `/${endpoint}: ${await res.text()}`);
    }
    // Authenticated, then judged on the grant: a code never issued is invalid_grant, not invalid_client.
    const res = await callEndpoint(as, 'token', c.client_id, c.good(), { grant: 'device_code' });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  });
});

describe('RFC 6749 §5.2 a bad credential is invalid_client at every endpoint, and nothing happens', () => {
  test('RFC 6749 §2.3.1 client_secret_basic with a wrong secret', async () => {
    const c = clients.basic;
    for (const e of ENDPOINTS) await refusedAt(e, c, oauth.ClientSecretBasic(wrong(c.client_secret)), /secret mismatch/);
  });

  test('RFC 6749 §2.3.1 client_secret_post with a wrong secret in the body', async () => {
    const c = clients.post;
    for (const e of ENDPOINTS) await refusedAt(e, c, oauth.ClientSecretPost(wrong(c.client_secret)), /secret mismatch/);
  });

  test('RFC 7523 §3 / OIDC Core §9 client_secret_jwt with an assertion signed with a wrong secret', async () => {
    const c = clients.jwt;
    for (const e of ENDPOINTS) await refusedAt(e, c, oauth.ClientSecretJwt(wrong(c.client_secret)), /assertion rejected: JWSSignatureVerificationFailed/);
  });

  test("RFC 7523 §3 private_key_jwt with an assertion signed with a key not in the client's JWKS", async () => {
    const c = clients.key;
    const stranger = await generateKeyPair('ES256');
    // The registered kid, so the server picks the client's key and must check the signature.
    for (const e of ENDPOINTS)
      await refusedAt(e, c, oauth.PrivateKeyJwt({ key: stranger.privateKey, kid: c.kid! }), /assertion rejected: JWSSignatureVerificationFailed/);
    const unknownKid = oauth.PrivateKeyJwt({ key: stranger.privateKey, kid: 'not-registered' });
    for (const e of ENDPOINTS) await refusedAt(e, c, unknownKid, /assertion rejected: JWKSNoMatchingKey/);
  });

  test('RFC 6749 §2.1 none: a public client presenting a secret (body or Basic)', async () => {
    const c = clients.public;
    const secret = 'a-secret-this-public-client-never-had-0123456789';
    for (const e of ENDPOINTS) await refusedAt(e, c, oauth.ClientSecretPost(secret), /registered for none, used client_secret_post/);
    for (const e of ENDPOINTS) await refusedAt(e, c, oauth.ClientSecretBasic(secret), /registered for none, used client_secret_basic/);
  });

  test('RFC 7662 §2.1 / RFC 6749 §4.4.2 none: a public client is refused at /introspect and for client_credentials', async () => {
    const c = clients.public;
    await refusedAt('introspect', c, oauth.None(), /public client not allowed/);
    const before = log.effects.length;
    await assertInvalidClient(await callEndpoint(as, 'token', c.client_id, oauth.None(), { grant: 'client_credentials' }), 'public client_credentials');
    assert.deepEqual(log.effects.slice(before), []);
  });

  test('RFC 6749 §2.3.1 none: a confidential client presenting no credential, only its client_id', async () => {
    for (const kind of ['basic', 'post', 'jwt', 'key'] as const) {
      const c = clients[kind];
      // Introspection never takes public clients (RFC 7662 §2.1); elsewhere the method is wrong.
      for (const e of ENDPOINTS) await refusedAt(e, c, oauth.None(), e === 'introspect' ? /public client not allowed/ : /used none$/, true);
      // client_credentials is for confidential clients only (RFC 6749 §4.4.2).
      await refusedAt('token', c, oauth.None(), /public client not allowed/);
    }
  });
});
