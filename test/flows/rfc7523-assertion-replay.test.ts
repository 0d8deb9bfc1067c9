/**
 * RFC 7523 §3 assertion replay, for both JWT client authentication methods (client_secret_jwt,
 * OIDC Core §9, and private_key_jwt), over HTTP: "The authorization server MAY ensure that JWTs
 * are not replayed by maintaining the set of used "jti" values for the length of time for which
 * the JWT would be considered valid". Gatehouse does, in one replay cache for every endpoint that
 * authenticates clients: an assertion spent at one endpoint is refused at the same endpoint and
 * at every other (one captured at /par cannot be cashed in at /token).
 *
 * The assertion is made once (jose) and sent byte for byte twice; the first use is accepted, the
 * second gets invalid_client and has no effect.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
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
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface JwtClient {
  readonly method: 'client_secret_jwt' | 'private_key_jwt';
  readonly client_id: string;
  /** A new assertion (new jti) each call, signed as the method requires. */
  assertion(): Promise<string>;
  /** oauth4webapi's own credential for the method (a fresh jti per request). */
  good(): oauth.ClientAuth;
}

let s: TestServer;
let as: oauth.AuthorizationServer;
let log: EventLog;
const clients: JwtClient[] = [];

const sign = (jwt: SignJWT, clientId: string, key: CryptoKey | Uint8Array) =>
  jwt.setIssuer(clientId).setSubject(clientId).setAudience(s.url).setIssuedAt().setExpirationTime('2m').sign(key);

before(async () => {
  s = await startTestServer();
  as = await discover(s.url);
  log = recordEvents(s.gh);
  const hs = await createTestClient(s.gh, allEndpointsMetadata('client_secret_jwt'));
  const secret = new TextEncoder().encode(hs.client_secret);
  clients.push({
    method: 'client_secret_jwt',
    client_id: hs.client_id,
    assertion: () => sign(new SignJWT({ jti: randomBytes(16).toString('hex') }).setProtectedHeader({ alg: 'HS256' }), hs.client_id, secret),
    good: () => oauth.ClientSecretJwt(hs.client_secret),
  });
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const pk = await createTestClient(s.gh, {
    ...allEndpointsMetadata('private_key_jwt'),
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'replay-1', alg: 'ES256' }] },
  });
  clients.push({
    method: 'private_key_jwt',
    client_id: pk.client_id,
    assertion: () =>
      sign(new SignJWT({ jti: randomBytes(16).toString('hex') }).setProtectedHeader({ alg: 'ES256', kid: 'replay-1' }), pk.client_id, privateKey),
    good: () => oauth.PrivateKeyJwt({ key: privateKey, kid: 'replay-1' }),
  });
});
after(async () => {
  log?.close();
  await s?.close();
});

/** Sends a hand-made assertion, as a client (or someone who captured it) would. */
const presenting =
  (jwt: string): oauth.ClientAuth =>
  (_as, _client, body) => {
    body.set('client_assertion_type', ASSERTION_TYPE);
    body.set('client_assertion', jwt);
  };

/** What /introspect and /revoke need: a live access token of the client. */
async function ownToken(c: JwtClient): Promise<string> {
  const res = await oauth.clientCredentialsGrantRequest(as, { client_id: c.client_id }, c.good(), { scope: 'read' }, INSECURE);
  return (await oauth.processClientCredentialsResponse(as, { client_id: c.client_id }, res)).access_token;
}

async function send(endpoint: Endpoint, c: JwtClient, jwt: string): Promise<Response> {
  const token = endpoint === 'introspect' || endpoint === 'revoke' ? await ownToken(c) : undefined;
  return callEndpoint(as, endpoint, c.client_id, presenting(jwt), token ? { token } : {});
}

/** Uses `jwt` at `first` (accepted), then at `second`: refused as a replay, with no effect. */
async function replay(c: JwtClient, jwt: string, first: Endpoint, second: Endpoint): Promise<void> {
  const used = await send(first, c, jwt);
  assert.equal(used.status, ACCEPTED_STATUS[first], `first use at /${first}: ${await used.text()}`);
  const token = second === 'introspect' || second === 'revoke' ? await ownToken(c) : undefined;
  const before = { effects: log.effects.length, failures: log.failures.length };
  const res = await callEndpoint(as, second, c.client_id, presenting(jwt), token ? { token } : {});
  await assertInvalidClient(res, `${c.method} assertion from /${first} replayed at /${second}`);
  assert.equal(log.failures.length, before.failures + 1);
  assert.equal(log.failures.at(-1)!.reason, 'assertion jti replayed');
  assert.deepEqual(log.effects.slice(before.effects), [], 'nothing issued, stored, revoked or disclosed by the replay');
}

/** Each endpoint once as the first use and once as the replay. */
const CROSS: readonly (readonly [Endpoint, Endpoint])[] = [
  ['par', 'token'],
  ['token', 'par'],
  ['introspect', 'revoke'],
  ['revoke', 'device_authorization'],
  ['device_authorization', 'introspect'],
];

for (const method of ['client_secret_jwt', 'private_key_jwt'] as const) {
  const client = () => clients.find((c) => c.method === method)!;

  describe(`RFC 7523 §3 ${method} assertion replay`, () => {
    for (const endpoint of ENDPOINTS) {
      test(`RFC 7523 §3 ${method}: the same assertion (same jti) twice at /${endpoint}: the second is invalid_client`, async () => {
        const c = client();
        await replay(c, await c.assertion(), endpoint, endpoint);
      });
    }

    test(`RFC 7523 §3 ${method}: one replay cache for every endpoint (spent at /par, refused at /token, and round the five)`, async () => {
      const c = client();
      for (const [first, second] of CROSS) await replay(c, await c.assertion(), first, second);
    });
  });
}
