/**
 * Fault: the store unreachable (issue #10, fault tests). A private PostgreSQL cluster
 * (test/support/private-postgres.ts) is killed with `pg_ctl stop -m immediate` under a running
 * Gatehouse, then started again:
 * - `/ready` turns 503 within 2 s (the store ping fails);
 * - every token request meanwhile answers 503 `temporarily_unavailable` in under 1 s: no hang, no 500;
 * - after `pg_ctl start` the same Gatehouse (no restart) issues tokens again and `/ready` is 200.
 * The shared PostgreSQL on 5432 is never touched.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { privatePostgres } from '../support/private-postgres.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

async function tokenRequest(base: string, basic: string): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=read',
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body, ms: performance.now() - started };
}

async function readyStatus(base: string): Promise<number> {
  const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

describe('fault: the store unreachable (private PostgreSQL stopped -m immediate)', async () => {
  const pg = await privatePostgres();
  if ('skip' in pg) {
    test('skipped', { skip: pg.skip }, () => {});
    return;
  }
  let server: TestServer | undefined;
  after(async () => {
    await server?.close();
    await pg.destroy();
  });

  test('/ready turns 503 within 2 s, token requests fail fast with 503 temporarily_unavailable, and the same instance recovers once PostgreSQL is back', async () => {
    server = await startTestServer({ database: { url: pg.url, poolSize: 4 }, tokens: { accessTokenFormat: 'opaque' } });
    const s = server;
    const { client_id, client_secret } = await createTestClient(s.gh);
    const basic = `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`;
    assert.equal((await tokenRequest(s.url, basic)).status, 200);
    assert.equal(await readyStatus(s.url), 200);

    await pg.stop();
    const stoppedAt = Date.now();
    let ready = 200;
    while (ready !== 503 && Date.now() - stoppedAt < 2000) ready = await readyStatus(s.url);
    const readyMs = Date.now() - stoppedAt;
    assert.equal(ready, 503, `/ready still ${ready} ${readyMs} ms after the stop`);
    assert.ok(readyMs <= 2000, `/ready turned 503 after ${readyMs} ms`);

    const down: { status: number; error: unknown; ms: number }[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await tokenRequest(s.url, basic);
      down.push({ status: r.status, error: r.body['error'], ms: Math.round(r.ms) });
    }
    for (const r of down) {
      assert.equal(r.status, 503, JSON.stringify(down));
      assert.equal(r.error, 'temporarily_unavailable', JSON.stringify(down));
      assert.ok(r.ms < 1000, `a token request took ${r.ms} ms: ${JSON.stringify(down)}`);
    }

    await pg.start();
    const deadline = Date.now() + 20_000;
    let last = { status: 0, body: {} as Record<string, unknown> };
    while (Date.now() < deadline) {
      last = await tokenRequest(s.url, basic);
      if (last.status === 200) break;
      assert.equal(last.status, 503, `while recovering: ${JSON.stringify(last.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(last.status, 200, `no recovery without a restart: ${JSON.stringify(last.body)}`);
    assert.equal(typeof last.body['access_token'], 'string');
    while ((await readyStatus(s.url)) !== 200) {
      assert.ok(Date.now() < deadline, '/ready did not turn 200 again');
      await new Promise((r) => setTimeout(r, 100));
    }
    const introspected = await fetch(`${s.url}/introspect`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: String(last.body['access_token']) }),
    });
    assert.equal(((await introspected.json()) as { active: boolean }).active, true, 'the token issued after recovery is stored');
  });
});
