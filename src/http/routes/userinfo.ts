import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import { challenge } from '../../core/www-authenticate.ts';
import { endpointUrl, type AppContext } from '../context.ts';
import { FORM_CONTENT_TYPE, isFormBody, readOAuthForm } from '../form.ts';
import { documentationOnly, noStore } from './token.ts';

const REALM = 'gatehouse';
/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** RFC 9449 §7.1: `Authorization: DPoP <token68>`. */
const DPOP = /^dpop +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^(\S+)/;

interface Presented {
  readonly scheme: 'Bearer' | 'DPoP';
  readonly token: string;
}

/** RFC 6750 §3.1 invalid_request: 400 with a Bearer challenge naming the error. */
function invalidRequest(description: string): OAuthError {
  return new OAuthError('invalid_request', description, {
    headers: { 'www-authenticate': challenge('Bearer', { realm: REALM, error: 'invalid_request', error_description: description }) },
  });
}

/**
 * The access token of a UserInfo request (OIDC Core §5.3.1): the Authorization header (RFC 6750
 * §2.1) or, on POST, the form body (§2.2). The query form (§2.3) is refused: OAuth 2.1 drops it
 * and it leaks tokens into logs and histories.
 */
function presentedToken(request: FastifyRequest): Presented {
  const query = request.query as Record<string, unknown> | undefined;
  if (query && 'access_token' in query) throw invalidRequest('send the access token in the Authorization header, not the query string');
  let fromBody: string | undefined;
  if (request.method === 'POST' && isFormBody(request.body)) {
    try {
      fromBody = readOAuthForm(request.body).single['access_token'];
    } catch (e) {
      throw e instanceof OAuthError ? invalidRequest(e.description ?? 'malformed form body') : e;
    }
  }
  const header = request.headers.authorization;
  const scheme = header === undefined ? undefined : SCHEME.exec(header)?.[1]?.toLowerCase();
  const isBearer = scheme === 'bearer';
  const isDpop = scheme === 'dpop';
  // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token in each request."
  if ((isBearer || isDpop) && fromBody !== undefined) throw invalidRequest('the access token was sent more than once');
  if (fromBody !== undefined) return { scheme: 'Bearer', token: fromBody };
  if (isBearer) {
    const m = BEARER.exec(header!);
    if (!m) throw invalidRequest('malformed Bearer authorization header');
    return { scheme: 'Bearer', token: m[1]! };
  }
  if (isDpop) {
    const m = DPOP.exec(header!);
    if (!m) throw invalidRequest('malformed DPoP authorization header');
    return { scheme: 'DPoP', token: m[1]! };
  }
  // RFC 6750 §3.1: "If the request lacks any authentication information (e.g., the client was
  // unaware that authentication is necessary or attempted using an unsupported authentication
  // method), the resource server SHOULD NOT include an error code or other error information."
  throw new OAuthError('invalid_token', 'a Bearer access token is required', { headers: { 'www-authenticate': challenge('Bearer', { realm: REALM }) } });
}

/**
 * RFC 9449 §7.2: this endpoint takes both schemes, so every challenge names both. An error of a
 * request made with the Bearer scheme (or none) keeps its Bearer challenge and gains a bare
 * `DPoP algs=…`; one made with DPoP gets a bare Bearer challenge and the error on the DPoP one
 * (status 401 for invalid_dpop_proof and use_dpop_nonce, RFC 9449 §7.1, §9).
 */
function withDpopChallenge(e: OAuthError, used: 'Bearer' | 'DPoP' | null, algs: string): OAuthError {
  const bearer = e.headers['www-authenticate'];
  const headers: Record<string, string> = { ...e.headers };
  if (used !== 'DPoP') {
    if (bearer === undefined) return e;
    headers['www-authenticate'] = `${bearer}, ${challenge('DPoP', { algs })}`;
    return new OAuthError(e.code, e.description, { status: e.status, detail: e.detail, headers });
  }
  const dpopError = challenge('DPoP', {
    algs,
    error: e.code,
    error_description: e.description,
    ...(e.code === 'insufficient_scope' ? { scope: 'openid' } : {}),
  });
  headers['www-authenticate'] = `${challenge('Bearer', { realm: REALM })}, ${dpopError}`;
  const status = e.code === 'invalid_dpop_proof' || e.code === 'use_dpop_nonce' ? 401 : e.status;
  return new OAuthError(e.code, e.description, { status, detail: e.detail, headers });
}

const bearerError = {
  description: 'RFC 6750 §3 error with a WWW-Authenticate: Bearer challenge',
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

const userInfoSchema = (method: 'GET' | 'POST') => ({
  summary: `UserInfo endpoint (OIDC Core §5.3), ${method}`,
  description:
    method === 'GET'
      ? 'Claims about the signed-in user for an access token carrying `openid`, sent as `Authorization: Bearer <token>`, or, for a DPoP-bound token, `Authorization: DPoP <token>` with a `DPoP` proof header (RFC 9449 §7.1).'
      : 'As GET; the access token may instead be sent as `access_token` in a form body (RFC 6750 §2.2), never both.',
  tags: ['openid'],
  headers: {
    type: 'object',
    properties: {
      dpop: { type: 'string', description: 'RFC 9449 DPoP proof (htm, htu of this endpoint, ath of the token) when the token is sent with the DPoP scheme' },
    },
  },
  ...(method === 'POST'
    ? {
        consumes: [FORM_CONTENT_TYPE],
        body: { type: 'object', properties: { access_token: { type: 'string', description: 'RFC 6750 §2.2 form-encoded body parameter' } } },
      }
    : {}),
  response: {
    200: {
      description: 'UserInfo response (OIDC Core §5.3.2): `sub` plus the claims released by scope and the `claims` request',
      type: 'object',
      required: ['sub'],
      properties: { sub: { type: 'string' } },
      additionalProperties: true,
    },
    400: bearerError,
    401: bearerError,
    403: bearerError,
  },
});

/** `GET` and `POST /userinfo` (OIDC Core §5.3.1: "The UserInfo Endpoint MUST support the use of the HTTP GET and HTTP POST methods"). */
export function registerUserInfoRoute(app: FastifyInstance, ctx: Pick<AppContext, 'userinfo' | 'dpop' | 'config'>): void {
  const { userinfo, dpop } = ctx;
  const url = endpointUrl(ctx.config, '/userinfo');
  const algs = dpop.algorithms.join(' ');
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    let presented: Presented | null = null;
    try {
      presented = presentedToken(request);
      const token = presented.token;
      let claims: Record<string, unknown>;
      if (presented.scheme === 'DPoP') {
        // RFC 9449 §7.1: the proof is for this request (htm, htu) and this token (ath); its jti
        // is spent only once the token has passed too.
        claims = await dpop.verifyThen({ proof: request.headers.dpop, method: request.method, url, accessToken: token }, async (proof) => {
          if (proof.nextNonce) reply.header('dpop-nonce', proof.nextNonce);
          return userinfo.claims(token, proof.jkt);
        });
      } else claims = await userinfo.claims(token, null);
      return noStore(reply).type('application/json; charset=utf-8').send(claims);
    } catch (e) {
      throw e instanceof OAuthError ? withDpopChallenge(e, presented?.scheme ?? null, algs) : e;
    }
  };
  app.get('/userinfo', { schema: userInfoSchema('GET'), validatorCompiler: documentationOnly }, handler);
  app.post('/userinfo', { schema: userInfoSchema('POST'), validatorCompiler: documentationOnly }, handler);
}
