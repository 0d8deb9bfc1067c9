// Per-destination circuit breakers of the guarded outbound fetcher (issue #9 part 2, S19): a
// client's jwks_uri that hangs costs at most `outbound.timeoutMs`, then its breaker opens and
// its client authentication fails at once; clients whose keys live elsewhere are not affected.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import type { EventMap } from '../../src/core/events.ts';
import { discover, INSECURE } from '../support/oauth-client.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

async function keyServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/** A private_key_jwt client whose jwks_uri is `url` (stored directly: registration requires https). */
async function jwksUriClient(on: TestServer) {
  const c = await createTestClient(on.gh, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://keys.example/jwks' });
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'remote-1', alg: 'ES256', use: 'sig' };
  return { ...c, privateKey, jwk, pointAt: (url: string) => on.gh.services.storage.clients.update(on.gh.ctx.tenantId, c.client_id, { jwksUri: url }) };
}

test('resilience S19: a hanging jwks_uri fails private_key_jwt with invalid_client within outbound.timeoutMs, opens only that host’s breaker, and other hosts’ clients still authenticate', async (t) => {
  const s = await startTestServer({
    outbound: { timeoutMs: 300 },
    resilience: { outbound: { breaker: { kind: 'consecutive', consecutiveFailures: 2, halfOpenAfterMs: 60_000 } } },
  });
  const hanging = await keyServer(() => {});
  let healthyDoc = '{"keys":[]}';
  const healthy = await keyServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(healthyDoc);
  });
  t.after(async () => {
    await hanging.close();
    await healthy.close();
    await s.close();
  });
  const opened: EventMap['breaker.opened'][] = [];
  s.gh.services.events.on('breaker.opened', (e) => opened.push(e));
  const as = await discover(s.url);
  const grant = async (c: Awaited<ReturnType<typeof jwksUriClient>>) => {
    const started = performance.now();
    const res = await oauth.clientCredentialsGrantRequest(
      as,
      { client_id: c.client_id },
      oauth.PrivateKeyJwt({ key: c.privateKey, kid: 'remote-1' }),
      {},
      INSECURE,
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: performance.now() - started };
  };

  const a = await jwksUriClient(s);
  await a.pointAt(hanging.url);
  const b = await jwksUriClient(s);
  await b.pointAt(healthy.url);
  healthyDoc = JSON.stringify({ keys: [b.jwk] });

  for (let i = 0; i < 2; i++) {
    const r = await grant(a);
    assert.equal(r.status, 401);
    assert.equal(r.body['error'], 'invalid_client');
    assert.ok(r.ms < 1500, `refused after ${r.ms.toFixed(0)} ms`);
  }
  assert.deepEqual(opened, [{ dependency: `outbound:${hanging.origin}`, reason: 'timeout' }]);

  // Open for that host: refused at once, and nothing more is sent to it.
  const before = hanging.requests();
  const fast = await grant(a);
  assert.equal(fast.status, 401);
  assert.equal(fast.body['error'], 'invalid_client');
  assert.ok(fast.ms < 250, `refused in ${fast.ms.toFixed(0)} ms`);
  assert.equal(hanging.requests(), before, 'no request reaches a host whose breaker is open');

  // Another host: unaffected.
  const ok = await grant(b);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(typeof ok.body['access_token'], 'string');

  // Readiness: one destination open is reported, not fatal.
  const ready = await fetch(`${s.url}/ready`);
  assert.equal(ready.status, 200);
  const body = (await ready.json()) as Record<string, unknown>;
  assert.equal((body['checks'] as Record<string, string>)['breakers'], 'degraded');
  assert.deepEqual(body['breakers'], { outbound: 'open' });
  assert.equal(body['outbound_hosts_open'], 1);
});
