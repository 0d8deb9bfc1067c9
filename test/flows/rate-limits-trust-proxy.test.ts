/**
 * Which address the limits count (docs/operations.md "Rate limits", `http.trustProxy`): the client
 * address as Fastify resolves it from the trusted-proxy setting. Without it `X-Forwarded-For` is
 * ignored, so a forged header cannot buy a fresh budget; with a hop count or a list of proxy
 * CIDRs the right hop is the client. Observed over HTTP through the per-address budget of /token
 * (2 requests), with requests that fail client authentication (no credentials: no penalty bucket).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { fixedClock, startTestServer, type TestServer } from '../support/server.ts';

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(trustProxy: boolean | number | string[]): Promise<TestServer> {
  const s = await startTestServer({ http: { trustProxy }, rateLimits: { token: { perAddress: 2, perClient: 0 } } }, { clock: fixedClock() });
  servers.push(s);
  return s;
}

/** The status of one unauthenticated token request sent with `X-Forwarded-For: xff` (if any). */
async function token(s: TestServer, xff?: string): Promise<number> {
  const res = await fetch(`${s.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(xff ? { 'x-forwarded-for': xff } : {}) },
    body: 'grant_type=client_credentials',
  });
  await res.arrayBuffer();
  return res.status;
}

describe('GATEHOUSE_TRUST_PROXY / http.trustProxy', () => {
  test('false (default): X-Forwarded-For is ignored, a forged header does not change the key', async () => {
    const s = await server(false);
    assert.equal(await token(s, '203.0.113.1'), 401);
    assert.equal(await token(s, '203.0.113.2'), 401);
    assert.equal(await token(s, '203.0.113.3'), 429, 'the TCP peer (127.0.0.1) is the client, whatever the header says');
    assert.equal(await token(s), 429);
  });

  test('a hop count of 1: the address the one proxy saw (the last X-Forwarded-For entry) is the client; earlier entries are not trusted', async () => {
    const s = await server(1);
    assert.equal(await token(s, '198.51.100.9, 203.0.113.1'), 401);
    assert.equal(await token(s, '198.51.100.8, 203.0.113.1'), 401);
    assert.equal(await token(s, '198.51.100.7, 203.0.113.1'), 429, 'a forged leftmost entry does not change the key');
    assert.equal(await token(s, '203.0.113.1, 203.0.113.2'), 401, 'another client behind the proxy has its own budget');
    assert.equal(await token(s), 401, 'without the header the proxy itself is the client');
  });

  test('a list of proxy CIDRs: trusted hops are skipped, the first untrusted one from the right is the client', async () => {
    const s = await server(['127.0.0.0/8', '10.0.0.0/8']);
    assert.equal(await token(s, '203.0.113.5, 10.1.2.3'), 401);
    assert.equal(await token(s, '203.0.113.5, 10.9.9.9'), 401, 'the same client through another trusted proxy');
    assert.equal(await token(s, '198.51.100.1, 203.0.113.5, 10.1.2.3'), 429, 'an entry left of the client is not trusted');
    assert.equal(await token(s, '203.0.113.6, 10.1.2.3'), 401);
    assert.equal(await token(s, '10.1.2.3, 203.0.113.7'), 401, 'an untrusted last hop is the client');
  });

  test('true (kept for compatibility) trusts every hop: the leftmost entry is the client', async () => {
    const s = await server(true);
    assert.equal(await token(s, '203.0.113.9, 10.0.0.1'), 401);
    assert.equal(await token(s, '203.0.113.9, 10.0.0.2'), 401);
    assert.equal(await token(s, '203.0.113.9'), 429);
  });
});
