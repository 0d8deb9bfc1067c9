import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEVICE_VERIFICATION_PATH } from '../../core/device-authorization/device-authorization.ts';
import type { PendingDevice } from '../../core/device-authorization/device-verification.ts';
import type { SignedInView } from '../../core/session/account-views.ts';
import type { AppContext } from '../context.ts';
import { readOAuthForm } from '../form.ts';
import { DEVICE_CODE_INVALID, DEVICE_CODE_THROTTLED, deviceCodePage } from '../pages/device-code-page.ts';
import { deviceConfirmPage, deviceDonePage } from '../pages/device-confirm-page.ts';
import { csrfErrorPage, errorPage, pageErrorHandler } from '../pages/error-page.ts';
import type { MessageKey } from '../pages/messages/catalogue.ts';
import { CSRF_FIELD, sendPage } from '../pages/layout.ts';
import { readCookie, sessionCookieName } from '../session-cookie.ts';

/**
 * The user side of RFC 8628 §3.3 at `verification_uri` (/device): enter the code (prefilled from
 * `verification_uri_complete`), sign in through the standalone /login when needed, confirm the
 * application and its scopes, then Allow or Deny. Every form carries a CSRF token; every code
 * lookup counts against a per-address limit (RFC 8628 §5.1: user codes are short, so guessing
 * must be rate limited); a wrong, expired or used code always reads the same.
 */
export function registerDeviceRoutes(
  app: FastifyInstance,
  ctx: Pick<AppContext, 'config' | 'pages' | 'csrf' | 'sessions' | 'accountViews' | 'deviceVerification'>,
): void {
  const kit = ctx.pages;
  const verification = ctx.deviceVerification;
  const options = { schema: { hide: true }, errorHandler: pageErrorHandler(kit) };

  async function signedIn(request: FastifyRequest): Promise<SignedInView | null> {
    return ctx.accountViews.signedIn(await ctx.sessions.read(readCookie(request, sessionCookieName(ctx.config))));
  }

  function codeForm(request: FastifyRequest, reply: FastifyReply, d: { userCode: string; username: string | null; error?: MessageKey; status?: number }) {
    const { token } = ctx.csrf.issue(request, reply);
    return sendPage(
      reply,
      deviceCodePage(kit.forRequest(request), {
        csrfToken: token,
        userCode: d.userCode,
        username: d.username,
        error: d.error ?? null,
        ...(d.status ? { status: d.status } : {}),
      }),
    );
  }

  const toLogin = (reply: FastifyReply, device: PendingDevice) => {
    const back = `${DEVICE_VERIFICATION_PATH}?${new URLSearchParams({ user_code: device.userCode })}`;
    return reply
      .code(303)
      .header('location', `/login?${new URLSearchParams({ return_to: back })}`)
      .header('cache-control', 'no-store')
      .send();
  };

  app.get<{ Querystring: Record<string, unknown> }>(DEVICE_VERIFICATION_PATH, options, async (request, reply) => {
    const prefill = typeof request.query.user_code === 'string' ? request.query.user_code.slice(0, 32) : '';
    const who = await signedIn(request);
    // No lookup on GET: the code is only checked (and counted) when the form is submitted.
    return codeForm(request, reply, { userCode: prefill, username: who?.username ?? null });
  });

  app.post(DEVICE_VERIFICATION_PATH, options, async (request, reply) => {
    const { single: form } = readOAuthForm(request.body);
    if (!ctx.csrf.verify(request, form[CSRF_FIELD])) return sendPage(reply, csrfErrorPage(kit.forRequest(request)));
    const typed = (form['user_code'] ?? '').slice(0, 64);
    const who = await signedIn(request);
    const found = await verification.lookup(typed, request.ip);
    if (found.kind === 'throttled') {
      reply.header('retry-after', String(found.retryAfter));
      return codeForm(request, reply, { userCode: typed, username: who?.username ?? null, error: DEVICE_CODE_THROTTLED, status: 429 });
    }
    // The form again with the neutral text (200, as the sign-in page answers a wrong password).
    if (found.kind === 'unknown') return codeForm(request, reply, { userCode: typed, username: who?.username ?? null, error: DEVICE_CODE_INVALID });
    const { device } = found;
    if (!who) return toLogin(reply, device);
    const decision = form['decision'];
    if (decision === undefined) {
      const { token } = ctx.csrf.issue(request, reply);
      return sendPage(
        reply,
        deviceConfirmPage(kit.forRequest(request), {
          csrfToken: token,
          userCode: device.userCode,
          // RFC 8628 §5.4: the user must be able to tell which application asks; without a
          // registered name, its client_id names it (as on the authorization pages).
          clientName: device.client.clientName || device.client.clientId,
          username: who.username,
          scope: device.scope,
        }),
      );
    }
    if (decision !== 'allow' && decision !== 'deny') {
      return sendPage(reply, errorPage(kit.forRequest(request), { code: 'invalid_request', message: 'consent.chooseAllowOrDeny', status: 400 }));
    }
    const { account } = who;
    const done =
      decision === 'allow'
        ? await verification.approve(device, { userId: account.userId, sid: account.sid, authTime: account.authTime, amr: account.amr, acr: account.acr })
        : await verification.deny(device);
    // Decided in another tab or expired meanwhile: the same neutral answer as a wrong code.
    if (!done) return codeForm(request, reply, { userCode: '', username: who.username, error: DEVICE_CODE_INVALID });
    return sendPage(
      reply,
      deviceDonePage(kit.forRequest(request), { approved: decision === 'allow', clientName: device.client.clientName || device.client.clientId }),
    );
  });
}
