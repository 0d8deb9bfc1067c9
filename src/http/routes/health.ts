import type { FastifyInstance } from 'fastify';
import { TimeoutError, withTimeout } from '../../metrics/with-timeout.ts';
import type { BreakerReport } from '../../resilience/index.ts';
import type { AppContext } from '../context.ts';
import type { LoadState } from '../plugins/load-shedding.ts';

export interface HealthOptions {
  /** Longest wait for `storage.ping()` before the store counts as down (default 1000 ms). */
  readonly readinessTimeoutMs?: number;
}

type CheckState = 'ok' | 'unreachable' | 'timeout' | 'not_loaded' | 'draining' | 'open' | 'degraded' | 'shedding';

const checkSchema = { type: 'string', enum: ['ok', 'unreachable', 'timeout', 'not_loaded', 'draining', 'open', 'degraded', 'shedding'] } as const;
const readySchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    checks: {
      type: 'object',
      required: ['store', 'keys', 'lifecycle', 'breakers', 'load'],
      properties: { store: checkSchema, keys: checkSchema, lifecycle: checkSchema, breakers: checkSchema, load: checkSchema },
    },
    breakers: {
      description:
        'Circuit breakers that are not closed, by dependency (`store`, `redis`, `outbound`: every destination summed up); absent when all are closed',
      type: 'object',
      additionalProperties: { type: 'string', enum: ['open', 'half_open'] },
    },
    outbound_hosts_open: { description: 'Outbound destinations whose breaker is not closed', type: 'integer' },
    shedding: {
      description: 'Why requests are being shed now; absent when not shedding',
      type: 'array',
      items: { type: 'string', enum: ['event_loop_delay', 'in_flight', 'heap', 'rss'] },
    },
  },
} as const;

/** What readiness reads besides the store and keys (absent in unit tests of the probe alone). */
export interface ReadinessSources {
  readonly breakers?: () => readonly BreakerReport[];
  readonly load?: LoadState;
}

/**
 * `GET /health`: liveness, 200 while the process serves requests.
 * `GET /ready`: readiness, 200 when the store answers a ping in time, signing keys are loaded,
 * the server is not draining for shutdown, no critical circuit breaker (the store's) is open and
 * no load is being shed; otherwise 503 naming the failed check (never an error message or stack:
 * those can carry hosts and users of the database). A breaker that is open but not critical
 * (Redis, an outbound destination) reports `breakers: degraded` and stays ready: taking every
 * instance out of the load balancer because one relying party is down would be an outage.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  ctx: Pick<AppContext, 'storage' | 'keys' | 'lifecycle'>,
  opts: HealthOptions = {},
  sources: ReadinessSources = {},
): void {
  const timeoutMs = opts.readinessTimeoutMs ?? 1000;

  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness probe',
        tags: ['operations'],
        response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } } },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness probe: store reachable, keys loaded, not draining',
        tags: ['operations'],
        response: { 200: { description: 'Ready', ...readySchema }, 503: { description: 'Not ready; `checks` names what failed', ...readySchema } },
      },
    },
    async (request, reply) => {
      let store: CheckState = 'ok';
      try {
        await withTimeout(ctx.storage.ping(), timeoutMs, 'storage.ping');
      } catch (e) {
        store = e instanceof TimeoutError ? 'timeout' : 'unreachable';
      }
      const open = sources.breakers?.() ?? [];
      const shedding = sources.load?.reasons() ?? [];
      const checks = {
        store,
        keys: ctx.keys.ready ? 'ok' : 'not_loaded',
        lifecycle: ctx.lifecycle.draining ? 'draining' : 'ok',
        breakers: open.some((b) => b.critical) ? 'open' : open.length > 0 ? 'degraded' : 'ok',
        load: shedding.length > 0 ? 'shedding' : 'ok',
      } as const satisfies Record<string, CheckState>;
      const ready = checks.store === 'ok' && checks.keys === 'ok' && checks.lifecycle === 'ok' && checks.breakers !== 'open' && checks.load === 'ok';
      const body: Record<string, unknown> = { status: ready ? 'ready' : 'unavailable', checks };
      if (open.length > 0) body['breakers'] = Object.fromEntries(open.map((b) => [b.dependency, b.state]));
      const hosts = open.find((b) => b.hosts !== undefined)?.hosts;
      if (hosts !== undefined) body['outbound_hosts_open'] = hosts;
      if (shedding.length > 0) body['shedding'] = shedding;
      if (!ready) request.log.warn({ checks }, 'not ready');
      return reply
        .code(ready ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}
