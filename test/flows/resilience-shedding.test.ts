// Load shedding (issue #9 part 2): over `resilience.shed.*` thresholds requests are answered 503
// temporarily_unavailable with Retry-After before anything else runs (RFC 6749 §4.1.2.1: "the
// authorization server is currently unable to handle the request due to a temporary overloading");
// health, readiness and metrics are never shed, and /ready says that load is being shed.
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { test } from 'node:test';
import type { EventMap } from '../../src/core/events.ts';
import { createTestClient, startTestServer, type TestServer } from '../support/server.ts';

async function client(s: TestServer) {
  const { client_id, client_secret } = await createTestClient(s.gh);
  const basic = `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`;
  return () =>
    fetch(`${s.url}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
}

async function poll(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`${what}: not within ${ms} ms`);
}

/** Blocks this process's event loop (the server runs in it) for `ms`: a CPU-bound overload. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('resilience: while the event loop is delayed past maxEventLoopDelayMs, OAuth endpoints answer 503 temporarily_unavailable with Retry-After, pages get the error page, /health stays 200 and /ready names the shedding', async (t) => {
  const s = await startTestServer({ resilience: { shed: { maxEventLoopDelayMs: 20, sampleIntervalMs: 50, retryAfter: 7 } } });
  const token = await client(s);
  const shed: EventMap['request.shed'][] = [];
  let issued = 0;
  s.gh.services.events.on('request.shed', (e) => shed.push(e));
  s.gh.services.events.on('token.issued', () => issued++);
  let blocker: NodeJS.Timeout | undefined;
  t.after(async () => {
    clearInterval(blocker);
    await s.close();
  });
  // (Start-up work, such as loading modules on first use, may itself delay the loop for a moment.)
  await poll('the idle server answers', async () => (await token()).status === 200);
  const before = issued;

  blocker = setInterval(() => busy(40), 1);
  let refused: Response | undefined;
  let granted = before;
  await poll('a token request is shed', async () => {
    const res = await token();
    if (res.status === 200) granted++;
    if (res.status !== 503) return false;
    refused = res;
    return true;
  });
  assert.equal(refused!.headers.get('retry-after'), '7');
  assert.match(refused!.headers.get('content-type') ?? '', /application\/json/);
  const body = (await refused!.json()) as Record<string, unknown>;
  assert.equal(body['error'], 'temporarily_unavailable');
  assert.equal(typeof body['error_description'], 'string');
  assert.equal(issued, granted, 'the token endpoint never ran for a shed request');
  assert.ok(
    shed.some((e) => e.route === '/token' && e.reason === 'event_loop_delay'),
    JSON.stringify(shed),
  );

  const page = await fetch(`${s.url}/authorize?client_id=x`, { headers: { accept: 'text/html,application/xhtml+xml' } });
  if (page.status === 503) {
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(page.headers.get('retry-after'), '7');
    assert.match(await page.text(), /temporarily_unavailable/);
  } else assert.fail(`the page request was not shed (${page.status})`);

  const health = await fetch(`${s.url}/health`);
  assert.equal(health.status, 200, 'liveness is never shed');
  const ready = await fetch(`${s.url}/ready`);
  assert.equal(ready.status, 503);
  const rb = (await ready.json()) as Record<string, unknown>;
  assert.equal((rb['checks'] as Record<string, string>)['load'], 'shedding');
  assert.deepEqual(rb['shedding'], ['event_loop_delay']);

  clearInterval(blocker);
  await poll('token requests pass again', async () => (await token()).status === 200);
});

/** A request whose headers arrived but whose body never comes: in flight until the client gives up. */
function hold(url: string): ClientRequest {
  const req = httpRequest(`${url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '100' } });
  req.on('error', () => {});
  req.flushHeaders();
  return req;
}

test('resilience: past maxInFlight concurrent requests the next one is shed at once (503 + Retry-After); requests abandoned by their clients give their place back', async (t) => {
  const s = await startTestServer({ resilience: { shed: { maxInFlight: 2, retryAfter: 3 } } });
  const token = await client(s);
  const shed: EventMap['request.shed'][] = [];
  s.gh.services.events.on('request.shed', (e) => shed.push(e));
  const held = [hold(s.url), hold(s.url)];
  t.after(async () => {
    for (const h of held) h.destroy();
    await s.close();
  });
  let refused: Response | undefined;
  await poll('a third request is shed', async () => {
    const res = await token();
    if (res.status !== 503) return false;
    refused = res;
    return true;
  });
  assert.equal(refused!.headers.get('retry-after'), '3');
  assert.equal(((await refused!.json()) as Record<string, unknown>)['error'], 'temporarily_unavailable');
  assert.ok(shed.some((e) => e.reason === 'in_flight'));
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
  const ready = await fetch(`${s.url}/ready`);
  assert.equal(ready.status, 503);
  assert.deepEqual(((await ready.json()) as Record<string, unknown>)['shedding'], ['in_flight']);

  for (const h of held) h.destroy();
  await poll('requests pass once the held ones were abandoned', async () => (await token()).status === 200);
});
