import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { AppContext } from '../context.ts';
import { registerHealthRoutes, type ReadinessSources } from './health.ts';

type Deps = Pick<AppContext, 'storage' | 'keys' | 'lifecycle'>;

function fakeDeps(over: { ping?: () => Promise<void>; ready?: boolean; draining?: boolean } = {}): Deps {
  return {
    storage: { ping: over.ping ?? (async () => {}) } as unknown as Deps['storage'],
    keys: { ready: over.ready ?? true } as unknown as Deps['keys'],
    lifecycle: { draining: over.draining ?? false },
  };
}

async function probe(deps: Deps, url: string, timeoutMs = 50) {
  const app = Fastify({ logger: false });
  registerHealthRoutes(app, deps, { readinessTimeoutMs: timeoutMs });
  try {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() as { status: string; checks?: Record<string, string> }, headers: res.headers };
  } finally {
    await app.close();
  }
}

test('health: /health answers 200 even when nothing else is ready', async () => {
  const r = await probe(
    fakeDeps({
      ping: async () => {
        throw new Error('down');
      },
      ready: false,
      draining: true,
    }),
    '/health',
  );
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { status: 'ok' });
});

test('health: /ready is 200 when the store answers, keys are loaded and not draining', async () => {
  const r = await probe(fakeDeps(), '/ready');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { status: 'ready', checks: { store: 'ok', keys: 'ok', lifecycle: 'ok', breakers: 'ok', load: 'ok' } });
  assert.equal(r.headers['cache-control'], 'no-store');
});

test('health: /ready is 503 naming the store when ping fails, without the error text', async () => {
  const r = await probe(
    fakeDeps({
      ping: async () => {
        throw new Error('connect ECONNREFUSED db.internal:5432 user=gatehouse');
      },
    }),
    '/ready',
  );
  assert.equal(r.status, 503);
  assert.deepEqual(r.body, { status: 'unavailable', checks: { store: 'unreachable', keys: 'ok', lifecycle: 'ok', breakers: 'ok', load: 'ok' } });
  assert.doesNotMatch(JSON.stringify(r.body), /ECONNREFUSED|db\.internal|gatehouse/);
});

test('health: /ready is 503 with store=timeout when ping hangs past the deadline', async () => {
  const started = Date.now();
  const r = await probe(fakeDeps({ ping: () => new Promise<void>(() => {}) }), '/ready', 30);
  assert.equal(r.status, 503);
  assert.equal(r.body.checks?.store, 'timeout');
  assert.ok(Date.now() - started < 2000, 'the probe answers soon after the deadline');
});

test('health: /ready is 503 while signing keys are not loaded', async () => {
  const r = await probe(fakeDeps({ ready: false }), '/ready');
  assert.equal(r.status, 503);
  assert.deepEqual(r.body.checks, { store: 'ok', keys: 'not_loaded', lifecycle: 'ok', breakers: 'ok', load: 'ok' });
});

test('health: /ready is 503 while draining for shutdown', async () => {
  const r = await probe(fakeDeps({ draining: true }), '/ready');
  assert.equal(r.status, 503);
  assert.deepEqual(r.body.checks, { store: 'ok', keys: 'ok', lifecycle: 'draining', breakers: 'ok', load: 'ok' });
});

async function probeWith(sources: ReadinessSources) {
  const app = Fastify({ logger: false });
  registerHealthRoutes(app, fakeDeps(), { readinessTimeoutMs: 50 }, sources);
  try {
    const res = await app.inject({ method: 'GET', url: '/ready' });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  } finally {
    await app.close();
  }
}

test('health: /ready is 503 naming the store breaker while it is open', async () => {
  const r = await probeWith({ breakers: () => [{ dependency: 'store', state: 'open', critical: true }] });
  assert.equal(r.status, 503);
  assert.deepEqual(r.body, {
    status: 'unavailable',
    checks: { store: 'ok', keys: 'ok', lifecycle: 'ok', breakers: 'open', load: 'ok' },
    breakers: { store: 'open' },
  });
});

test('health: /ready stays 200 with breakers=degraded when only outbound destinations are open, counting them without names', async () => {
  const r = await probeWith({ breakers: () => [{ dependency: 'outbound', state: 'open', critical: false, hosts: 2 }] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    status: 'ready',
    checks: { store: 'ok', keys: 'ok', lifecycle: 'ok', breakers: 'degraded', load: 'ok' },
    breakers: { outbound: 'open' },
    outbound_hosts_open: 2,
  });
});

test('health: /ready is 503 with load=shedding and the reasons while load is shed', async () => {
  const r = await probeWith({ load: { reasons: () => ['event_loop_delay', 'in_flight'] } });
  assert.equal(r.status, 503);
  assert.deepEqual(r.body, {
    status: 'unavailable',
    checks: { store: 'ok', keys: 'ok', lifecycle: 'ok', breakers: 'ok', load: 'shedding' },
    shedding: ['event_loop_delay', 'in_flight'],
  });
});
