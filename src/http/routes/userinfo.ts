import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import { challenge } from '../../core/www-authenticate.ts';
import { endpointUrl, type AppContext } from '../context.ts';
import { FORM_CONTENT_TYPE, isFormBody, readOAuthForm } from '../form.ts';
import { documentationOnly, noStore } from './token.ts';

const REALM = 'gatehouse';
/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^(\S+)/;

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
function presentedToken(request: FastifyRequest): string {
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
  const isBearer = header !== undefined && SCHEME.exec(header)?.[1]?.toLowerCase() === 'bearer';
  // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token in each request."
  if (isBearer && fromBody !== undefined) throw invalidRequest('the access token was sent more than once');
  if (fromBody !== undefined) return fromBody;
  if (isBearer) {
    const m = BEARER.exec(header!);
    if (!m) throw invalidRequest('malformed Bearer authorization header');
    return m[1]!;
  }
  // RFC 6750 §3.1: "If the request lacks any authentication information (e.g., the client was
  // unaware that authentication is necessary or attempted using an unsupported authentication
  // method), the resource server SHOULD NOT include an error code or other error information."
  throw new OAuthError('invalid_token', 'a Bearer access token is required', { headers: { 'www-authenticate': challenge('Bearer', { realm: REALM }) } });
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
      ? 'Claims about the signed-in user for an access token carrying `openid`, sent as `Authorization: Bearer <token>`.'
      : 'As GET; the access token may instead be sent as `access_token` in a form body (RFC 6750 §2.2), never both.',
  tags: ['openid'],
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
export function registerUserInfoRoute(app: FastifyInstance, ctx: Pick<AppContext, 'userinfo'>): void {
  const { userinfo } = ctx;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const claims = await userinfo.claims(presentedToken(request));
    return noStore(reply).type('application/json; charset=utf-8').send(claims);
  };
  app.get('/userinfo', { schema: userInfoSchema('GET') }, handler);
  app.post('/userinfo', { schema: userInfoSchema('POST'), validatorCompiler: documentationOnly }, handler);
}
