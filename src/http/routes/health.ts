import type { FastifyInstance } from 'fastify';
import { TimeoutError, withTimeout } from '../../metrics/with-timeout.ts';
import type { AppContext } from '../context.ts';

export interface HealthOptions {
  /** Longest wait for `storage.ping()` before the store counts as down (default 1000 ms). */
  readonly readinessTimeoutMs?: number;
}

type CheckState = 'ok' | 'unreachable' | 'timeout' | 'not_loaded' | 'draining';

const checkSchema = { type: 'string', enum: ['ok', 'unreachable', 'timeout', 'not_loaded', 'draining'] } as const;
const readySchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    checks: {
      type: 'object',
      required: ['store', 'keys', 'lifecycle'],
      properties: { store: checkSchema, keys: checkSchema, lifecycle: checkSchema },
    },
  },
} as const;

/**
 * `GET /health`: liveness, 200 while the process serves requests.
 * `GET /ready`: readiness, 200 when the store answers a ping in time, signing keys are loaded
 * and the server is not draining for shutdown; otherwise 503 naming the failed check (never an
 * error message or stack: those can carry hosts and users of the database).
 */
export function registerHealthRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'storage' | 'keys' | 'lifecycle'>, opts: HealthOptions = {}): void {
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
      const checks = {
        store,
        keys: ctx.keys.ready ? 'ok' : 'not_loaded',
        lifecycle: ctx.lifecycle.draining ? 'draining' : 'ok',
      } as const satisfies Record<string, CheckState>;
      const ready = checks.store === 'ok' && checks.keys === 'ok' && checks.lifecycle === 'ok';
      if (!ready) request.log.warn({ checks }, 'not ready');
      return reply
        .code(ready ? 200 : 503)
        .header('cache-control', 'no-store')
        .send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );
}
