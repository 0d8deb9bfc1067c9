import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { checkSessionPage, sendCheckSessionPage } from '../pages/logout-check-session-page.ts';
import { BROWSER_STATE_COOKIE } from '../session-cookie.ts';

/**
 * GET /session/check: the `check_session_iframe` of OIDC Session Management 1.0 §3.3. Static
 * (the browser state is read by the page's script from the `gh_browser_state` cookie), built once.
 */
export function registerCheckSessionRoute(app: FastifyInstance, ctx: Pick<AppContext, 'pages'>): void {
  const body = checkSessionPage(ctx.pages, BROWSER_STATE_COOKIE);
  app.get('/session/check', { schema: { hide: true } }, async (_request, reply) => sendCheckSessionPage(reply, body));
}
