import { AUTHORIZATION_PARAMS } from '../../core/authorize/authorization-params.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import { asFailure, proceed, readSession, sendFailure, type FlowContext } from '../authorization-flow.ts';
import { FORM_CONTENT_TYPE, isFormBody } from '../form.ts';
import { NO_PROGRESS } from '../interaction.ts';
import { pageErrorHandler } from '../pages/error-page.ts';

/**
 * The authorization request parameters this server reads (OIDC Core §3.1.2.1, RFC 7636, RFC 9101,
 * RFC 9126, RFC 9449 `dpop_jkt`). RFC 6749 §3.1: "Request and response parameters MUST NOT be
 * included more than once" — for these; "The authorization server MUST ignore unrecognized
 * request parameters", so a repeated unknown one is not an error.
 */
const KNOWN = new Set([
  ...AUTHORIZATION_PARAMS,
  // Read before resolution (request sources) or accepted and ignored, but still single-valued.
  'claims_locales',
  'registration',
  'request',
  'request_uri',
  'authorization_details',
]);
/** RFC 8707 §2: `resource` may repeat; the values travel space-separated (URIs hold no spaces). */
const MULTI = new Set(['resource']);

/**
 * Query or form parameters as one map. RFC 6749 §3.1: "Parameters sent without a value MUST be
 * treated as if they were omitted from the request."
 */
export function authorizationParams(entries: Iterable<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const multi: Record<string, string[]> = Object.create(null);
  for (const [k, v] of entries) {
    if (v === '') continue;
    if (MULTI.has(k)) {
      (multi[k] ??= []).push(v);
      continue;
    }
    if (k in out) {
      if (KNOWN.has(k)) throw OAuthError.invalidRequest(`parameter '${k}' is included more than once`);
      continue;
    }
    out[k] = v;
  }
  for (const [k, vs] of Object.entries(multi)) out[k] = vs.join(' ');
  return out;
}

function queryEntries(request: FastifyRequest): URLSearchParams {
  const q = request.url.indexOf('?');
  return new URLSearchParams(q >= 0 ? request.url.slice(q + 1) : '');
}

function formEntries(body: unknown): [string, string][] {
  // OIDC Core §3.1.2.1: POST "MUST use the Form Serialization" (application/x-www-form-urlencoded).
  if (!isFormBody(body)) throw OAuthError.invalidRequest(`content type must be ${FORM_CONTENT_TYPE}`);
  return Object.entries(body).flatMap(([k, vs]) => vs.map((v): [string, string] => [k, v]));
}

/**
 * GET and POST /authorize (OIDC Core §3.1.2.1: "Authorization Servers MUST support the use of
 * the HTTP GET and POST methods"): parse → resolve → read the session → decide → a page, or
 * complete → the response (query / fragment / form_post).
 */
export function registerAuthorizeRoutes(app: FastifyInstance, ctx: FlowContext): void {
  const fc = ctx;
  const handle = async (request: FastifyRequest, reply: FastifyReply, entries: () => Iterable<readonly [string, string]>) => {
    let raw: Record<string, string>;
    try {
      raw = authorizationParams(entries());
    } catch (e) {
      // Client and redirect URI are not validated yet: an error page, nothing is sent anywhere.
      return sendFailure(reply, fc, asFailure(e) ?? { error: OAuthError.invalidRequest('malformed request'), redirect: null });
    }
    let req;
    try {
      req = await ctx.authorization.resolve(raw);
    } catch (e) {
      const failure = asFailure(e);
      if (!failure) throw e;
      return sendFailure(reply, fc, failure);
    }
    const session = await readSession(fc, request, reply);
    return proceed(fc, request, reply, { req, session, progress: NO_PROGRESS });
  };
  const options = { schema: { hide: true }, errorHandler: pageErrorHandler(ctx.pages) };
  app.get('/authorize', options, (request, reply) => handle(request, reply, () => queryEntries(request)));
  app.post('/authorize', options, (request, reply) => handle(request, reply, () => formEntries(request.body)));
}
