import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseError } from '../core/errors.ts';
import { EventBus } from '../core/events.ts';
import { createPolicy } from '../resilience/policy.ts';
import { describeStoreFailure, isStoreFailure, storeRefusal } from '../resilience/store-guard.ts';
import { BREAKER_STATE } from './operations-metrics.ts';
import { createMemoryStorage } from '../storage/memory/memory-storage.ts';
import { createMetrics } from './prometheus.ts';
import { createStoreTiming, decorateStorage } from './store-timing.ts';

const NOW = 1_700_000_000_000;

function setup(opts: { clientIdLabels?: number } = {}) {
  const events = new EventBus();
  const storeTiming = createStoreTiming();
  const keys = [
    { status: 'active' as const, alg: 'ES256', createdAt: NOW / 1000 - 5000, activatedAt: NOW / 1000 - 3600 },
    { status: 'next' as const, alg: 'ES256', createdAt: NOW / 1000 - 100, activatedAt: null },
    { status: 'active' as const, alg: 'RS256', createdAt: NOW / 1000 - 7200, activatedAt: null },
  ];
  const metrics = createMetrics(
    { events, clock: { now: () => NOW }, tokens: { countActive: async () => 0 }, keys: { list: () => keys } },
    { processMetrics: false, storeTiming, ...opts },
  );
  return { events, metrics, storeTiming, text: () => metrics.registry.metrics() };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const issued = (clientId: string) =>
  ({ tenantId: 't', clientId, grantType: 'client_credentials', tokenType: 'access_token', format: 'jwt', jti: 'j', subject: 's' }) as const;

test('metrics: tokens by client_id are bounded by metrics.clientIdLabels (the rest count as other)', async () => {
  const { events, text } = setup({ clientIdLabels: 2 });
  for (const id of ['a', 'b', 'a', 'c', 'd']) events.publish('token.issued', issued(id));
  const t = await text();
  assert.equal(sample(t, 'oauth2_tokens_issued_by_client_total{client_id="a",grant_type="client_credentials"}'), 2);
  assert.equal(sample(t, 'oauth2_tokens_issued_by_client_total{client_id="b",grant_type="client_credentials"}'), 1);
  assert.equal(sample(t, 'oauth2_tokens_issued_by_client_total{client_id="other",grant_type="client_credentials"}'), 2);
  assert.doesNotMatch(t, /client_id="c"/);
});

test('metrics: sign-ins count by result and reason (#14 item 6)', async () => {
  const { events, text } = setup();
  events.publish('user.authenticated', { tenantId: 't', userId: 'u' });
  events.publish('user.authentication_failed', { tenantId: 't', userId: null, reason: 'unknown_user' });
  events.publish('user.authentication_failed', { tenantId: 't', userId: 'u', reason: 'wrong_password' });
  events.publish('user.authentication_failed', { tenantId: 't', userId: 'u', reason: 'wrong_password' });
  const t = await text();
  assert.equal(sample(t, 'gatehouse_signins_total{result="succeeded",reason="ok"}'), 1);
  assert.equal(sample(t, 'gatehouse_signins_total{result="failed",reason="unknown_user"}'), 1);
  assert.equal(sample(t, 'gatehouse_signins_total{result="failed",reason="wrong_password"}'), 2);
});

test('metrics: rate-limit hits, limiter degradation, breakers, shedding, audit head and dead letters follow their events', async () => {
  const { events, text } = setup();
  events.publish('rate_limit.hit', { tenantId: 't', policy: 'token.ip', route: '/token', clientId: null });
  events.publish('rate_limit.hit', { tenantId: 't', policy: 'Evil "policy"\n', route: '/token', clientId: null });
  events.publish('rate_limit.backend_changed', { backend: 'redis', state: 'degraded', reason: 'ECONNREFUSED' });
  events.publish('breaker.opened', { dependency: 'store', reason: 'timeouts' });
  events.publish('breaker.opened', { dependency: 'outbound', reason: 'errors' });
  events.publish('breaker.closed', { dependency: 'outbound' });
  events.publish('request.shed', { route: '/token', reason: 'event_loop_delay' });
  events.publish('audit.head_published', { tenantId: 't', seq: 42, hash: 'h' });
  let t = await text();
  assert.equal(sample(t, 'gatehouse_rate_limit_hits_total{policy="token.ip"}'), 1);
  assert.equal(sample(t, 'gatehouse_rate_limit_hits_total{policy="other"}'), 1, 'free text never becomes a label');
  assert.equal(sample(t, 'gatehouse_rate_limit_backend_degraded{backend="redis"}'), 1);
  assert.equal(sample(t, 'gatehouse_breaker_state{dependency="store"}'), 1);
  assert.equal(sample(t, 'gatehouse_breaker_state{dependency="outbound"}'), 0);
  assert.equal(sample(t, 'gatehouse_breaker_opened_total{dependency="outbound"}'), 1);
  assert.equal(sample(t, 'gatehouse_requests_shed_total{reason="event_loop_delay"}'), 1);
  assert.equal(sample(t, 'gatehouse_audit_head_seq'), 42);
  assert.equal(sample(t, 'gatehouse_audit_head_published_timestamp_seconds'), NOW / 1000);
  events.publish('rate_limit.backend_changed', { backend: 'redis', state: 'restored', reason: null });
  t = await text();
  assert.equal(sample(t, 'gatehouse_rate_limit_backend_degraded{backend="redis"}'), 0);
});

test('metrics: signing key age per algorithm is computed at scrape time from the active keys', async () => {
  const t = await setup().text();
  assert.equal(sample(t, 'gatehouse_signing_key_age_seconds{alg="ES256"}'), 3600, 'from activation');
  assert.equal(sample(t, 'gatehouse_signing_key_age_seconds{alg="RS256"}'), 7200, 'from creation when never activated');
});

test('metrics: the store decorator times every port call by operation and counts failures, leaving the store untouched', async () => {
  const { storeTiming, text } = setup();
  const raw = createMemoryStorage();
  const store = decorateStorage(raw, storeTiming.wrap);
  assert.equal(await store.clients.get('default', 'nope'), undefined);
  const failing = decorateStorage(
    { ...raw, users: { ...raw.users, get: async (_t: string, _id: string) => Promise.reject(new Error('down')) } },
    storeTiming.wrap,
  );
  await assert.rejects(failing.users.get('default', 'u'), /down/);
  assert.equal(store.dialect, 'memory');
  assert.equal(store.unitOfWork, raw.unitOfWork, 'the unit of work passes through whole (its `atomic` flag included)');
  await store.ping();
  const t = await text();
  assert.equal(sample(t, 'gatehouse_store_call_duration_seconds_count{operation="clients.get"}'), 1);
  assert.equal(sample(t, 'gatehouse_store_call_duration_seconds_bucket{le="+Inf",operation="clients.get"}'), 1);
  assert.equal(sample(t, 'gatehouse_store_call_duration_seconds_bucket{le="2.5",operation="clients.get"}'), 1, 'buckets are cumulative');
  assert.ok((sample(t, 'gatehouse_store_call_duration_seconds_sum{operation="clients.get"}') ?? -1) >= 0);
  assert.match(t, /^# TYPE gatehouse_store_call_duration_seconds histogram$/m);
  assert.equal(sample(t, 'gatehouse_store_call_duration_seconds_count{operation="users.get"}'), 1);
  assert.equal(sample(t, 'gatehouse_store_call_errors_total{operation="users.get"}'), 1);
  assert.equal(sample(t, 'gatehouse_store_call_errors_total{operation="clients.get"}'), undefined);
  assert.notEqual(store.clients, raw.clients);
  await raw.close();
});

test('metrics: gatehouse_breaker_state follows a real breaker through closed 0 → open 1 → half-open 2 (probe in flight) → closed 0', async () => {
  const { events, text } = setup();
  const policy = createPolicy(
    'store',
    {
      timeoutMs: 0,
      maxConcurrent: 4,
      maxQueue: 4,
      breaker: { kind: 'consecutive', failureRatio: 0.5, windowMs: 10_000, minimumRps: 5, consecutiveFailures: 1, halfOpenAfterMs: 50 },
    },
    { events, log: () => {}, isFailure: isStoreFailure, describe: describeStoreFailure, refuse: storeRefusal },
  );
  const state = async () => sample(await text(), 'gatehouse_breaker_state{dependency="store"}');
  await assert.rejects(policy.execute(() => Promise.reject(new GatehouseError('GH_STORE_UNAVAILABLE', 'down'))));
  assert.equal(await state(), BREAKER_STATE.open);
  await new Promise((r) => setTimeout(r, 70));
  let answer!: (v: string) => void;
  const probe = policy.execute(() => new Promise<string>((r) => (answer = r)));
  assert.equal(policy.state, 'half_open');
  assert.equal(await state(), BREAKER_STATE.half_open, 'half-open while the probe runs');
  answer('ok');
  assert.equal(await probe, 'ok');
  assert.equal(await state(), BREAKER_STATE.closed);
});
