/**
 * RFC 7523 §3 item 7 (assertion `jti` replay) with `redis.url` set, across a Redis outage
 * (docs/operations.md "Rate limits" → "Replay cache"): a private redis-server is stopped mid-test.
 * The cache fails closed: while Redis is down the store decides (never a per-instance memory), and
 * an assertion used once through either path is refused through the other: used through Redis
 * before the outage → refused during it; used during the outage → refused once Redis is back.
 * Over HTTP with real private_key_jwt assertions (jose), each replayed byte for byte.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { Redis } from 'ioredis';
import { privateRedis, testKeyPrefix } from '../support/redis.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

async function assertion(s: TestServer, clientId: string, key: CryptoKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(s.url)
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .sign(key);
}

async function token(s: TestServer, clientAssertion: string): Promise<number> {
  const res = await fetch(`${s.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'read',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    }).toString(),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('assertion replay cache on Redis, across an outage', async () => {
  const r = await privateRedis();
  if ('skip' in r) {
    test('skipped', { skip: r.skip }, () => {});
    return;
  }
  let s: TestServer | undefined;
  after(async () => {
    await s?.close();
    await r.stop();
  });

  test('RFC 7523 §3 item 7: a jti is usable once through Redis or the store, never once through each', async () => {
    const keyPrefix = testKeyPrefix();
    s = await startTestServer({ redis: { url: r.url, keyPrefix, commandTimeoutMs: 200 }, rateLimits: { clientAuthFailures: { limit: 0 } } });
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const c = await createTestClient(s.gh, { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });

    const beforeOutage = await assertion(s, c.client_id, privateKey);
    assert.equal(await token(s, beforeOutage), 200);
    assert.equal(await token(s, beforeOutage), 401, 'replay refused (Redis up)');
    const direct = new Redis(r.url);
    assert.equal((await direct.keys(`${keyPrefix}jti:*`)).length, 1, 'the jti is in Redis');
    direct.disconnect();

    await r.stop();
    assert.equal(await token(s, beforeOutage), 401, 'used through Redis before the outage: refused by the store during it');
    const duringOutage = await assertion(s, c.client_id, privateKey);
    assert.equal(await token(s, duringOutage), 200, 'a new assertion is accepted during the outage (the store decides)');
    assert.equal(await token(s, duringOutage), 401, 'and is single-use there too');

    await r.start();
    const deadline = Date.now() + 15_000;
    while (s.gh.services.rateLimitBackend() !== 'redis' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 25));
    assert.equal(s.gh.services.rateLimitBackend(), 'redis', 'reconnected');
    // The restarted redis-server is empty: only the store remembers these two.
    assert.equal(await token(s, duringOutage), 401, 'used during the outage: refused once Redis is back');
    assert.equal(await token(s, beforeOutage), 401);
    const afterOutage = await assertion(s, c.client_id, privateKey);
    assert.equal(await token(s, afterOutage), 200);
    assert.equal(await token(s, afterOutage), 401);
  });
});
