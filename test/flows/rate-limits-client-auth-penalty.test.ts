/**
 * The client-authentication penalty bucket (docs/operations.md "Rate limits"): failed client
 * authentications are counted per (client_id, client address). After `limit` failures that address
 * gets 429 for that client, even with the right credential, while every other address still
 * authenticates the same client: nobody can lock a client out from elsewhere. A success elsewhere
 * clears nothing. Checked for every method (client_secret_basic, client_secret_post,
 * client_secret_jwt, private_key_jwt, none), over HTTP from two real source addresses
 * (127.0.0.1 and 127.0.0.2), driven by oauth4webapi.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { Agent, fetch as undiciFetch } from 'undici';
import type { EventMap } from '../../src/core/events.ts';
import { allEndpointsMetadata, callEndpoint } from '../support/client-auth-endpoints.ts';
import { discover } from '../support/oauth-client.ts';
import { fixedClock, createTestClient, startTestServer, type TestServer } from '../support/server.ts';

const LIMIT = 3;
let s: TestServer;
let as: oauth.AuthorizationServer;
/** oauth4webapi requests leaving from 127.0.0.2: another client address. */
const elsewhere = new Agent({ localAddress: '127.0.0.2' });
const fromElsewhere = { [oauth.customFetch]: ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: elsewhere })) as never };
const hits: EventMap['rate_limit.hit'][] = [];

before(async () => {
  s = await startTestServer({ rateLimits: { clientAuthFailures: { limit: LIMIT, window: 300 } } }, { clock: fixedClock() });
  as = await discover(s.url);
  s.gh.ctx.events.on('rate_limit.hit', (e) => hits.push(e));
});
after(async () => {
  await s?.close();
  await elsewhere.close();
});

interface Method {
  readonly name: string;
  readonly make: () => Promise<{ client_id: string; good: oauth.ClientAuth; bad: oauth.ClientAuth }>;
  /** Status of an accepted request at /token (a public client tries a device code never issued: 400 after authenticating). */
  readonly accepted: number;
}

const secretClient = (method: string, auth: (secret: string) => oauth.ClientAuth) => async () => {
  const c = await createTestClient(s.gh, allEndpointsMetadata(method));
  return { client_id: c.client_id, good: auth(c.client_secret), bad: auth(`${c.client_secret}x`) };
};

const METHODS: readonly Method[] = [
  { name: 'client_secret_basic', make: secretClient('client_secret_basic', oauth.ClientSecretBasic), accepted: 200 },
  { name: 'client_secret_post', make: secretClient('client_secret_post', oauth.ClientSecretPost), accepted: 200 },
  { name: 'client_secret_jwt', make: secretClient('client_secret_jwt', (k) => oauth.ClientSecretJwt(k)), accepted: 200 },
  {
    name: 'private_key_jwt',
    make: async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const other = await generateKeyPair('ES256');
      const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
      const c = await createTestClient(s.gh, { ...allEndpointsMetadata('private_key_jwt'), jwks: { keys: [jwk] } });
      return {
        client_id: c.client_id,
        good: oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' }),
        bad: oauth.PrivateKeyJwt({ key: other.privateKey, kid: 'k1' }),
      };
    },
    accepted: 200,
  },
  {
    name: 'none',
    // A public client fails by presenting a method it is not registered for (a secret).
    make: async () => {
      const c = await createTestClient(s.gh, allEndpointsMetadata('none'));
      return { client_id: c.client_id, good: oauth.None(), bad: oauth.ClientSecretPost('guess') };
    },
    accepted: 400,
  },
];

describe('penalty bucket per (client_id, address)', () => {
  for (const m of METHODS) {
    test(`${m.name}: ${LIMIT} failures from one address lock that address out for that client only; other addresses still authenticate it`, async () => {
      const c = await m.make();
      const grant = m.name === 'none' ? 'device_code' : 'client_credentials';
      const call = (auth: oauth.ClientAuth) =>
        callEndpoint(as, 'token', c.client_id, auth, { grant }).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.text() }));
      const callAway = async (auth: oauth.ClientAuth) => {
        const res = await oauth.clientCredentialsGrantRequest(
          as,
          { client_id: c.client_id },
          auth,
          { scope: 'read' },
          { [oauth.allowInsecureRequests]: true, ...fromElsewhere },
        );
        return res.status;
      };
      const callAwayDevice = async (auth: oauth.ClientAuth) => {
        const res = await oauth.deviceCodeGrantRequest(as, { client_id: c.client_id }, auth, 'never-issued', {
          [oauth.allowInsecureRequests]: true,
          ...fromElsewhere,
        });
        return res.status;
      };
      const away = (auth: oauth.ClientAuth) => (m.name === 'none' ? callAwayDevice(auth) : callAway(auth));

      assert.equal((await call(c.good)).status, m.accepted, 'control: the right credential is accepted');
      for (let i = 0; i < LIMIT; i++) assert.equal((await call(c.bad)).status, 401, `failure ${i + 1} is invalid_client`);
      const before = hits.length;
      const locked = await call(c.good);
      assert.equal(locked.status, 429, 'past the limit even the right credential is refused from this address');
      assert.equal(JSON.parse(locked.body).error, 'temporarily_unavailable');
      assert.ok(Number(locked.headers.get('retry-after')) > 0);
      assert.equal(locked.headers.get('ratelimit-policy'), `"client_auth.penalty";q=${LIMIT};w=300`);
      assert.deepEqual(hits.slice(before), [{ tenantId: s.gh.services.tenantId, policy: 'client_auth.penalty', route: '/token', clientId: c.client_id }]);

      assert.equal(await away(c.good), m.accepted, 'another address still authenticates the same client');
      assert.equal((await call(c.good)).status, 429, 'a success elsewhere does not reset this address');
      const other = await secretClient('client_secret_basic', oauth.ClientSecretBasic)();
      assert.equal((await callEndpoint(as, 'token', other.client_id, other.good)).status, 200, 'this address still authenticates other clients');
    });
  }

  test('a success from an address does not clear its own earlier failures below the limit (only the window does)', async () => {
    const c = await secretClient('client_secret_basic', oauth.ClientSecretBasic)();
    for (let i = 0; i < LIMIT - 1; i++) assert.equal((await callEndpoint(as, 'token', c.client_id, c.bad)).status, 401);
    assert.equal((await callEndpoint(as, 'token', c.client_id, c.good)).status, 200);
    assert.equal((await callEndpoint(as, 'token', c.client_id, c.bad)).status, 401);
    assert.equal((await callEndpoint(as, 'token', c.client_id, c.good)).status, 429);
  });
});
