import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { AuthenticatedClient } from '../../core/client-auth/types.ts';
import type { EndpointLimits, LimitedEndpoint, LimitRefusal } from '../../core/rate-limits/endpoint-limits.ts';
import { rateLimited } from '../../core/rate-limits/rate-limited.ts';
import type { AppContext } from '../context.ts';
import { sendOAuthError } from '../errors.ts';
import { oauthErrorPage } from '../pages/error-page.ts';
import { sendPage } from '../pages/layout.ts';

/**
 * Route pattern → the endpoint whose budget it spends. Everything else is exempt: health,
 * readiness, metrics, JWKS, discovery, assets and the pages (the sign-in and /device pages have
 * their own throttles in core).
 */
const ENDPOINT_OF: Readonly<Record<string, LimitedEndpoint>> = {
  '/token': 'token',
  '/authorize': 'authorization',
  '/par': 'par',
  '/device_authorization': 'deviceAuthorization',
  '/introspect': 'introspection',
  '/revoke': 'revocation',
  '/register': 'registration',
  '/register/:clientId': 'registration',
  '/userinfo': 'userinfo',
};

/** Browser endpoints answer a rate limit with the error page; the others with a JSON OAuth error. */
const BROWSER: ReadonlySet<LimitedEndpoint> = new Set(['authorization']);

/**
 * Per-client budget, counted once a route has authenticated the client (throws the 429). A public
 * client (`none`) proves nothing by naming its client_id, so anyone could spend its budget and
 * lock its users out: public clients are bounded by the per-address budget alone.
 */
export async function limitClient(limits: EndpointLimits, request: FastifyRequest, endpoint: LimitedEndpoint, auth: AuthenticatedClient): Promise<void> {
  if (auth.method === 'none') return;
  const refused = await limits.byClient(endpoint, auth.client.clientId, request.routeOptions.url ?? endpoint);
  if (refused) throw rateLimited(refused);
}

function sendRefusal(ctx: Pick<AppContext, 'pages'>, endpoint: LimitedEndpoint, reply: FastifyReply, r: LimitRefusal): FastifyReply {
  const e = rateLimited(r);
  if (!BROWSER.has(endpoint)) return sendOAuthError(reply, e);
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  return sendPage(reply, oauthErrorPage(ctx.pages, e));
}

/**
 * S15: the per-address budgets run in `onRequest`, attached only to the limited routes (exempt
 * routes pay nothing), keyed on `request.ip`: the client address as the trusted-proxy setting
 * resolves it (`http.trustProxy`). Registered before the routes.
 */
export function registerRateLimits(app: FastifyInstance, ctx: Pick<AppContext, 'limits' | 'pages'>): void {
  const { limits } = ctx;
  app.addHook('onRoute', (route) => {
    const endpoint = ENDPOINT_OF[route.url];
    if (!endpoint || route.method === 'OPTIONS' || !limits.byAddressLimited(endpoint)) return;
    const url = route.url;
    const hook: onRequestHookHandler = async (request, reply) => {
      const refused = await limits.byAddress(endpoint, request.ip, url);
      if (refused) return sendRefusal(ctx, endpoint, reply, refused);
    };
    const prev = route.onRequest;
    route.onRequest = prev === undefined ? [hook] : Array.isArray(prev) ? [...prev, hook] : [prev, hook];
  });
}
