import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from './context.ts';
import { registerErrorHandling } from './errors.ts';
import { registerFormParser } from './form.ts';
import { routeModules } from './routes/index.ts';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface AppOptions {
  /** pino options, or false for silence (tests). */
  readonly logger?: boolean | Record<string, unknown>;
}

/** Builds the Fastify app: parse → core → render. No listening here. */
export async function buildApp(ctx: AppContext, opts: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = Fastify({
    logger: opts.logger === false ? false : {
      level: config.log.level,
      // Never log credentials: authorization headers and cookies are redacted.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
      ...(typeof opts.logger === 'object' ? opts.logger : {}),
    },
    bodyLimit: config.http.bodyLimit,
    trustProxy: config.http.trustProxy,
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
  });
  app.addHook('onSend', async (req, reply) => { reply.header('x-request-id', req.id); });
  registerFormParser(app);
  registerErrorHandling(app, ctx.events);
  for (const mod of routeModules) await mod(app, ctx);
  return app;
}
