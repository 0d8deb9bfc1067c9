import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type * as oauth from 'oauth4webapi';
import { buildConfig } from '../../src/config/load.ts';
import { createGatehouse, type Gatehouse } from '../../src/compose.ts';
import { adminApi } from '../support/admin-api.ts';
import { clientCredentials, discover } from '../support/oauth-client.ts';
import { createTestClient, startTestServer, type TestClient, type TestServer } from '../support/server.ts';

/**
 * OIDC Core §10.1.1 / RFC 7517 §5 key rotation over real HTTP: a token issued before a rotation
 * keeps verifying through the grace period, the new kid was published before it signed anything,
 * a second instance sharing the store follows after its refresh, and the old key leaves the JWKS
 * when the grace period ends. Time moves through an injected clock.
 */
const TTL = 300;
const GRACE = 600;
let nowMs = Date.now();
const clock = {
  now: () => nowMs,
  advance: (s: number) => {
    nowMs += s * 1000;
  },
};

let s: TestServer;
let as: oauth.AuthorizationServer;
let client: TestClient;
let second: Gatehouse;

before(async () => {
  s = await startTestServer({ tokens: { accessTokenTtl: TTL }, keys: { gracePeriod: GRACE, refreshInterval: 30 } }, { clock });
  as = await discover(s.url);
  client = await createTestClient(s.gh);
  // A second instance behind the same issuer, sharing the first one's store and KEK.
  const config = buildConfig({ ...s.gh.ctx.config, kek: s.gh.services.kek.toString('base64'), database: { ...s.gh.ctx.config.database, autoMigrate: false } });
  second = await createGatehouse(config, { logger: false, notice: () => {}, storage: s.gh.services.storage, clock });
  await second.app.ready();
});
after(async () => {
  await second.close();
  await s.close();
});

const fetchJwks = async () => (await (await fetch(`${s.url}/jwks.json`)).json()) as JSONWebKeySet;
const kidOf = (token: string) => decodeProtectedHeader(token).kid!;
const at = () => new Date(nowMs);
const verifyWith = (token: string, keys: JWTVerifyGetKey, currentDate = at()) => jwtVerify(token, keys, { issuer: s.url, typ: 'at+jwt', currentDate });

/** Issued before the rotation (test 1), checked again when the grace period ends (test 3). */
let oldToken = '';
let oldIssuedAt = new Date(0);

async function tokenFromSecond(): Promise<string> {
  const res = await second.app.inject({
    method: 'POST',
    url: '/token',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
    },
    payload: 'grant_type=client_credentials',
  });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { access_token: string }).access_token;
}

test('OIDC Core §10.1.1 a rotation keeps earlier tokens verifying and signs with a key published in advance', async () => {
  const before = await fetchJwks();
  const beforeKids = before.keys.map((k) => k.kid);
  assert.equal(beforeKids.length, 2, 'active + next');
  // A resource server that cached the JWKS before the rotation and will not re-fetch for 10 min.
  const cached = createRemoteJWKSet(new URL(as.jwks_uri!), { cacheMaxAge: 600_000, cooldownDuration: 600_000 });
  const old = (await clientCredentials(as, client)).access_token;
  oldToken = old;
  oldIssuedAt = at();
  await verifyWith(old, cached);

  clock.advance(60);
  // An operator rotates through the admin API (an admin client's access token).
  const res = await (await adminApi(s)).call('POST', '/keys/rotate');
  assert.equal(res.status, 200);

  const fresh = (await clientCredentials(as, client)).access_token;
  assert.notEqual(kidOf(fresh), kidOf(old), 'a new kid after the rotation');
  assert.ok(beforeKids.includes(kidOf(fresh)), 'the new signing key was in the JWKS before it signed');
  // RFC 7517 §5: the cached set verifies both without a re-fetch.
  await verifyWith(fresh, cached);
  await verifyWith(old, cached);
  const during = (await fetchJwks()).keys.map((k) => k.kid);
  assert.equal(during.length, 3, 'active, next and the retired key within its grace period');
  for (const kid of beforeKids) assert.ok(during.includes(kid));
  await verifyWith(old, createLocalJWKSet(await fetchJwks()));
});

test('OIDC Core §10.1.1 a second instance sharing the store picks the rotation up on its refresh', async () => {
  const firstKid = s.gh.ctx.keys.signer('ES256').kid;
  const staleKid = kidOf(await tokenFromSecond());
  assert.notEqual(staleKid, firstKid, 'not before its refresh: it still signs with the retired (published) key');
  assert.ok(
    (await fetchJwks()).keys.some((k) => k.kid === staleKid),
    'and that key is still published, so its tokens verify',
  );
  await second.ctx.keys.refresh();
  assert.equal(kidOf(await tokenFromSecond()), firstKid);
});

test('RFC 7517 §5 the retired key leaves the JWKS when its grace period ends, and its tokens stop verifying', async () => {
  const retiredKid = kidOf(oldToken);
  assert.ok((await fetchJwks()).keys.some((k) => k.kid === retiredKid));
  clock.advance(GRACE - 1);
  assert.ok(
    (await fetchJwks()).keys.some((k) => k.kid === retiredKid),
    'still published one second before retiresAt',
  );
  clock.advance(1);
  const jwks = await fetchJwks();
  assert.equal(
    jwks.keys.some((k) => k.kid === retiredKid),
    false,
  );
  assert.equal(jwks.keys.length, 2);
  // Checked at its issue time so that expiry is not the reason: the key is gone.
  await assert.rejects(verifyWith(oldToken, createLocalJWKSet(jwks), oldIssuedAt), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  await verifyWith((await clientCredentials(as, client)).access_token, createLocalJWKSet(jwks));
  await s.gh.ctx.keys.refresh();
  assert.equal(
    (await s.gh.services.storage.keyStore.list(s.gh.ctx.tenantId)).some((k) => k.kid === retiredKid),
    false,
    'purged from the store',
  );
});
