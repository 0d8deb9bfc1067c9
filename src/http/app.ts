import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from './context.ts';
import { registerErrorHandling, sendOAuthError, toOAuthError } from './errors.ts';
import { registerFormParser } from './form.ts';
import { registerCanonicalHost } from './plugins/canonical-host.ts';
import { registerCors } from './plugins/cors.ts';
import { registerLoadShedding } from './plugins/load-shedding.ts';
import { LOG_REDACT_PATHS, serializeRequest } from './plugins/logging.ts';
import { registerMetrics } from './plugins/metrics.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerRateLimits } from './plugins/rate-limits.ts';
import { OneLineRequestLog, prettyDestination, resolveLogFormat } from './plugins/pretty-log.ts';
import { registerTracing, tracingLogOptions } from './plugins/tracing.ts';
import { registerResponseHeaders, securityHeaders } from './plugins/security-headers.ts';
import { registerHealthRoutes, type HealthOptions } from './routes/health.ts';
import { routeModules } from './routes/index.ts';
import { registerMetricsRoute } from './routes/metrics.ts';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface AppOptions extends HealthOptions {
  /** pino options, or false for silence (tests). */
  readonly logger?: boolean | Record<string, unknown>;
  /**
   * Set in a `serve --workers N` worker (node:cluster id, 1…): every response carries
   * `gatehouse-worker: <id>`, so an operator (and the cluster test) sees which worker answered.
   */
  readonly workerId?: number;
  /** Set in a `--workers N` worker: `/metrics` answers with the primary's scrape of every worker (docs/scaling.md). */
  readonly scrapeMetrics?: () => Promise<string>;
}

/**
 * `http.trustProxy` as Fastify takes it: false/true, proxy addresses and CIDR ranges, or a hop
 * count (as the function proxy-addr runs for a number: the first `n` hops from the socket are proxies).
 */
export function trustProxyOption(v: boolean | number | readonly string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof v === 'number') return (_address, hop) => hop < v;
  return typeof v === 'boolean' ? v : [...v];
}

/** The destination a caller passed in `logger.stream` (tests), if any. */
function logStream(logger: AppOptions['logger']): { write(s: string): unknown } | undefined {
  const stream = typeof logger === 'object' ? logger['stream'] : undefined;
  return stream && typeof (stream as { write?: unknown }).write === 'function' ? (stream as { write(s: string): unknown }) : undefined;
}

/** Builds the Fastify app: parse → core → render. No listening here. */
export async function buildApp(ctx: AppContext, opts: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const headers = opts.workerId === undefined ? securityHeaders(config) : { ...securityHeaders(config), 'gatehouse-worker': String(opts.workerId) };
  // Development logs are readable one-liners (#14); production stays JSON. Tracing adds trace ids.
  const pretty = opts.logger !== false && resolveLogFormat(config.log.format, config.env, process.stdout.isTTY === true) === 'pretty';
  const traceLog = ctx.tracing && opts.logger !== false ? tracingLogOptions(ctx.tracing) : null;
  const app = Fastify({
    logger:
      opts.logger === false
        ? false
        : {
            level: config.log.level,
            // Never log credentials: authorization headers, cookies and secret query parameters are redacted.
            redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' },
            serializers: { req: serializeRequest },
            ...(traceLog ? { mixin: traceLog.mixin } : {}),
            ...(typeof opts.logger === 'object' ? opts.logger : {}),
            ...(pretty
              ? { stream: prettyDestination(logStream(opts.logger) ?? process.stdout, logStream(opts.logger) ? false : process.stdout.isTTY === true) }
              : {}),
          },
    ...(traceLog ? { childLoggerFactory: traceLog.childLoggerFactory } : {}),
    ...(pretty ? { logController: new OneLineRequestLog() } : {}),
    bodyLimit: config.http.bodyLimit,
    trustProxy: trustProxyOption(config.http.trustProxy),
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // A malformed URL fails before routing and hooks: answer it like any other bad request.
    frameworkErrors: (error, request, reply) => {
      sendOAuthError(reply.headers(headers).header('x-request-id', request.id), toOAuthError(error));
    },
  });
  // Hooks before routes: the tracing span first (every later hook runs inside it), request id +
  // security headers and CORS in onRequest, timing in onResponse.
  if (ctx.tracing) registerTracing(app, ctx.tracing);
  registerResponseHeaders(app, headers);
  registerCanonicalHost(app, config.issuer);
  const metrics = registerMetrics(app, ctx);
  await registerCors(app, config);
  // Load shedding (resilience.shed.*): after the security headers and CORS, before any parsing.
  const load = await registerLoadShedding(app, ctx);
  // OpenAPI before every route, so its onRoute hook collects their schemas.
  await registerOpenApi(app, config);
  registerFormParser(app);
  registerErrorHandling(app, ctx.events);
  registerHealthRoutes(app, ctx, opts, { breakers: () => ctx.resilience.breakers(), load });
  // Before the limited routes: its onRoute hook attaches the per-address budgets to them.
  registerRateLimits(app, ctx);
  if (metrics) registerMetricsRoute(app, metrics, opts.scrapeMetrics);
  // Workers: routes (the console dashboard) may read the aggregate /metrics answers with.
  const routeCtx: AppContext = opts.scrapeMetrics ? { ...ctx, clusterMetrics: opts.scrapeMetrics } : ctx;
  for (const mod of routeModules) await mod(app, routeCtx);
  return app;
}
