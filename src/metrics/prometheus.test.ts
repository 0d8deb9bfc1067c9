import assert from 'node:assert/strict';
import { test } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { EventBus } from '../core/events.ts';
import type { KeyStatus } from '../core/model/key.ts';
import { createMetrics, type MetricsDeps } from './prometheus.ts';

function setup(over: Partial<MetricsDeps> & { count?: () => Promise<number> } = {}) {
  const events = new EventBus();
  let now = 1_700_000_000_000;
  const calls: number[] = [];
  const key = (status: KeyStatus, alg = 'ES256', activatedAt: number | null = null) => ({ status, alg, createdAt: 1_699_999_000, activatedAt });
  const keys = [key('active', 'ES256', 1_699_999_900), key('next'), key('retired'), key('retired'), key('active', 'RS256')];
  const deps: MetricsDeps = {
    events,
    clock: { now: () => now },
    tokens: {
      countActive: async (at) => {
        calls.push(at);
        return over.count ? over.count() : 42;
      },
    },
    keys: { list: () => keys },
    ...over,
  };
  const metrics = createMetrics(deps, { processMetrics: false, activeTokensTimeoutMs: 50 });
  return {
    events,
    metrics,
    calls,
    advance: (ms: number) => {
      now += ms;
    },
    text: () => metrics.registry.metrics(),
  };
}

/** The value of one sample line, e.g. sample(text, 'x_total{a="b"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('metrics: token.issued events count by grant_type, token_type and format', async () => {
  const { events, text } = setup();
  const base = { tenantId: 't', clientId: 'c', jti: 'j', subject: 's' };
  events.publish('token.issued', { ...base, grantType: 'client_credentials', tokenType: 'access_token', format: 'jwt' });
  events.publish('token.issued', { ...base, grantType: 'client_credentials', tokenType: 'access_token', format: 'jwt' });
  events.publish('token.issued', { ...base, grantType: 'refresh_token', tokenType: 'refresh_token', format: 'opaque' });
  const t = await text();
  assert.equal(sample(t, 'oauth2_tokens_issued_total{grant_type="client_credentials",token_type="access_token",format="jwt"}'), 2);
  assert.equal(sample(t, 'oauth2_tokens_issued_total{grant_type="refresh_token",token_type="refresh_token",format="opaque"}'), 1);
});

test('metrics: token.revoked events count by token_type and reason', async () => {
  const { events, text } = setup();
  events.publish('token.revoked', { tenantId: 't', clientId: 'c', tokenType: 'refresh_token', jti: 'j', reason: 'reuse_detected' });
  assert.equal(sample(await text(), 'oauth2_tokens_revoked_total{token_type="refresh_token",reason="reuse_detected"}'), 1);
});

test('metrics: client_auth.failed maps free-text reasons to a bounded label', async () => {
  const { events, text } = setup();
  const fail = (method: string | null, reason: string) => events.publish('client_auth.failed', { tenantId: 't', clientId: 'c', method, reason });
  fail('client_secret_basic', 'secret mismatch c-123');
  fail('client_secret_basic', 'secret mismatch c-456');
  fail(null, 'unknown client xyz');
  fail('weird-method', 'something nobody anticipated');
  const t = await text();
  assert.equal(sample(t, 'oauth2_failed_auth_total{method="client_secret_basic",reason="invalid_secret"}'), 2);
  assert.equal(sample(t, 'oauth2_failed_auth_total{method="unknown",reason="unknown_client"}'), 1);
  assert.equal(sample(t, 'oauth2_failed_auth_total{method="other",reason="other"}'), 1);
  assert.doesNotMatch(t, /c-123|xyz|nobody/, 'free text never becomes a label value');
});

test('metrics: the request histogram labels the route pattern and names unmatched requests', async () => {
  const { metrics, text } = setup();
  metrics.observeRequest('POST', '/token', 200, 0.003);
  metrics.observeRequest('GET', undefined, 404, 0.0001);
  metrics.observeRequest('PROPFIND', undefined, 404, 0.0001);
  const t = await text();
  assert.equal(sample(t, 'http_server_requests_duration_seconds_count{method="POST",route="/token",status="200"}'), 1);
  assert.equal(sample(t, 'http_server_requests_duration_seconds_bucket{le="0.005",method="POST",route="/token",status="200"}'), 1);
  assert.equal(sample(t, 'http_server_requests_duration_seconds_bucket{le="0.0025",method="POST",route="/token",status="200"}'), 0);
  assert.equal(sample(t, 'http_server_requests_duration_seconds_count{method="GET",route="unmatched",status="404"}'), 1);
  assert.equal(sample(t, 'http_server_requests_duration_seconds_count{method="OTHER",route="unmatched",status="404"}'), 1);
});

test('metrics: oauth2_active_tokens counts at the clock time and caches between scrapes', async () => {
  const { calls, advance, text } = setup();
  assert.equal(sample(await text(), 'oauth2_active_tokens'), 42);
  assert.deepEqual(calls, [1_700_000_000]);
  advance(4_000);
  await text();
  assert.equal(calls.length, 1, 'a scrape within the cache window reuses the value');
  advance(1_000);
  await text();
  assert.deepEqual(calls, [1_700_000_000, 1_700_000_005]);
});

test('metrics: concurrent scrapes share one count query', async () => {
  const { calls, text } = setup();
  await Promise.all([text(), text(), text()]);
  assert.equal(calls.length, 1);
});

test('metrics: a store error keeps the last oauth2_active_tokens value and counts the failure', async () => {
  let fail = false;
  const { advance, text } = setup({
    count: async () => {
      if (fail) throw new Error('db down');
      return 7;
    },
  });
  assert.equal(sample(await text(), 'oauth2_active_tokens'), 7);
  fail = true;
  advance(10_000);
  const t = await text();
  assert.equal(sample(t, 'oauth2_active_tokens'), 7);
  assert.equal(sample(t, 'gatehouse_metric_collect_failures_total{metric="oauth2_active_tokens"}'), 1);
});

test('metrics: a hung count query times out instead of hanging the scrape', async () => {
  const { text } = setup({ count: () => new Promise<number>(() => {}) });
  const t = await text();
  assert.equal(sample(t, 'oauth2_active_tokens'), Number.NaN, 'no value was ever counted');
  assert.equal(sample(t, 'gatehouse_metric_collect_failures_total{metric="oauth2_active_tokens"}'), 1);
});

test('metrics: published keys are counted by status, build info carries the version', async () => {
  const { text } = setup();
  const t = await text();
  assert.equal(sample(t, 'gatehouse_keys_published{status="active"}'), 2);
  assert.equal(sample(t, 'gatehouse_keys_published{status="next"}'), 1);
  assert.equal(sample(t, 'gatehouse_keys_published{status="retired"}'), 2);
  assert.match(t, /gatehouse_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+[^"]*"\} 1/);
});

test('metrics: each app has its own registry and close() stops counting events', async () => {
  const a = setup();
  const b = setup();
  assert.notEqual(a.metrics.registry, b.metrics.registry);
  assert.equal(await globalRegistry.getSingleMetric('oauth2_tokens_issued_total'), undefined, 'the global registry stays empty');
  a.metrics.close();
  a.events.publish('token.revoked', { tenantId: 't', clientId: 'c', tokenType: 'access_token', jti: 'j', reason: 'admin' });
  assert.equal(sample(await a.text(), 'oauth2_tokens_revoked_total{token_type="access_token",reason="admin"}'), undefined);
});

test('metrics: process metrics are collected into the app registry when enabled', async () => {
  const metrics = createMetrics({
    events: new EventBus(),
    clock: { now: () => 0 },
    tokens: { countActive: async () => 0 },
    keys: { list: () => [] },
  });
  assert.match(await metrics.registry.metrics(), /^process_cpu_user_seconds_total /m);
  assert.match(await metrics.registry.metrics(), /^nodejs_eventloop_lag_seconds /m);
});

test('metrics: logout.completed and back-channel logout outcomes are counted with bounded reasons', async () => {
  const { events, text } = setup();
  events.publish('logout.completed', { tenantId: 't', clientId: null, accounts: 1, backchannel: 2, frontchannel: 0 });
  events.publish('backchannel_logout.delivered', { tenantId: 't', clientId: 'c', jti: 'j', attempts: 1, status: 200 });
  events.publish('backchannel_logout.failed', { tenantId: 't', clientId: 'c', jti: 'j', attempts: 4, reason: 'http_503' });
  events.publish('backchannel_logout.failed', { tenantId: 't', clientId: 'c', jti: 'j', attempts: 4, reason: 'timeout' });
  events.publish('backchannel_logout.failed', { tenantId: 't', clientId: 'c', jti: 'j', attempts: 1, reason: 'something odd' });
  events.publish('backchannel_logout.failed', { tenantId: 't', clientId: 'c', jti: 'j', attempts: 1, reason: 'refused_address' });
  const t = await text();
  assert.equal(sample(t, 'gatehouse_logouts_total'), 1);
  assert.equal(sample(t, 'gatehouse_backchannel_logouts_total{result="delivered",reason="ok"}'), 1);
  assert.equal(sample(t, 'gatehouse_backchannel_logouts_total{result="failed",reason="http_5xx"}'), 1);
  assert.equal(sample(t, 'gatehouse_backchannel_logouts_total{result="failed",reason="timeout"}'), 1);
  assert.equal(sample(t, 'gatehouse_backchannel_logouts_total{result="failed",reason="other"}'), 1);
  // S19: the guarded fetcher's refusals have their own label.
  assert.equal(sample(t, 'gatehouse_backchannel_logouts_total{result="failed",reason="refused_address"}'), 1);
});
