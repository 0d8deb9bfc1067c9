import type { FastifyInstance } from 'fastify';
import { AuthorizationError } from '../../core/authorize/authorization-error.ts';
import type { AuthorizationParam } from '../../core/authorize/authorization-params.ts';
import { invalidDpopProof } from '../../core/dpop/dpop-proof.ts';
import type { PushValidator } from '../../core/par/pushed-requests.ts';
import { extractClientCredentials } from '../client-credentials.ts';
import { endpointUrl, type AppContext } from '../context.ts';
import { limitClient } from '../plugins/rate-limits.ts';
import { FORM_CONTENT_TYPE, readOAuthForm } from '../form.ts';
import { clientAuthBodyProperties, clientIdOrMetadataDocument, documentationOnly, noStore, oauthErrorSchema, postOnly } from './token.ts';

export const PAR_PATH = '/par';

/**
 * The body of a push: every parameter the authorization endpoint reads (AUTHORIZATION_PARAMS,
 * which authorization-params.test.ts holds to what the checks read; a new one fails to compile
 * here until it is described) and `request`. `request_uri` is refused in a push (§2.1).
 */
const PUSHED_PARAM_DOCS: Readonly<Record<Exclude<AuthorizationParam, 'client_id'>, string>> = {
  response_type:
    'RFC 6749 §3.1.1: `code`, `code id_token`, `code token` or `code id_token token`; `id_token` and `id_token token` with `authorization.implicit`',
  redirect_uri:
    "RFC 6749 §3.1.2: one of the client's registered redirect URIs (exact match; the RFC 8252 §7.3 loopback port exception for native and public clients)",
  scope: 'Space-separated scopes the client is registered for; `openid` makes it an OpenID Connect request',
  state: 'Opaque value returned with the authorization response (at most 2048 characters)',
  response_mode: '`query`, `fragment` or `form_post` (OAuth 2.0 Multiple Response Type Encoding Practices, Form Post Response Mode)',
  nonce: 'OIDC Core §3.1.2.1: copied into the ID token; required in OpenID requests whose response type is not `code` (at most 2048 characters)',
  display: 'OIDC Core §3.1.2.1: `page`, `popup`, `touch` or `wap`',
  prompt: 'OIDC Core §3.1.2.1: space-separated `none`, `login`, `consent`, `select_account` (`none` alone)',
  max_age: 'OIDC Core §3.1.2.1: maximum authentication age in seconds (non-negative integer)',
  ui_locales: 'OIDC Core §3.1.2.1: preferred languages of the pages (space-separated BCP 47 tags)',
  id_token_hint: 'OIDC Core §3.1.2.1: an ID token this server issued to this client, naming the expected end-user',
  login_hint: 'OIDC Core §3.1.2.1: prefills the sign-in form (at most 256 characters)',
  acr_values: 'OIDC Core §3.1.2.1: requested authentication context classes (voluntary)',
  claims: 'OIDC Core §5.5: JSON object requesting individual claims for the ID token and UserInfo',
  resource: 'RFC 8707 §2: resource indicator (absolute URI, no fragment); may repeat',
  code_challenge: 'RFC 7636 §4.2: PKCE challenge (required for public clients, and for all with `authorization.pkceRequired: all`)',
  code_challenge_method: 'RFC 7636 §4.3: `S256` (`plain` only with `authorization.allowPlainPkce`)',
  dpop_jkt: 'RFC 9449 §10: JWK SHA-256 thumbprint the authorization code is bound to (a `DPoP` header here does the same)',
};

const parSchema = {
  summary: 'Pushed authorization request endpoint (RFC 9126 §2)',
  description:
    'Accepts the parameters of an authorization request (or a signed `request` object, RFC 9101), validates them as the authorization endpoint would and returns a single-use request_uri to send to /authorize with client_id. Client authentication as at the token endpoint; public clients send client_id. Only the parameters the authorization endpoint reads are stored (unrecognized ones are ignored, RFC 6749 §3.1), at most `authorization.parMaxStoredBytes` of them (larger: 400 invalid_request). `request_uri` is refused (RFC 9126 §2.1).',
  tags: ['oauth'],
  consumes: [FORM_CONTENT_TYPE],
  body: {
    type: 'object',
    properties: {
      ...Object.fromEntries(Object.entries(PUSHED_PARAM_DOCS).map(([name, description]) => [name, { type: 'string', description }])),
      request: { type: 'string', description: 'RFC 9101 request object (a JWT) carrying the parameters instead' },
      ...clientAuthBodyProperties,
      client_id: clientIdOrMetadataDocument,
    },
  },
  response: {
    201: {
      description: 'Pushed authorization response (RFC 9126 §2.2)',
      type: 'object',
      required: ['request_uri', 'expires_in'],
      properties: { request_uri: { type: 'string' }, expires_in: { type: 'integer' } },
    },
    400: oauthErrorSchema,
    401: oauthErrorSchema,
  },
} as const;

/**
 * `POST /par` (RFC 9126 §2). Clients authenticate as at the token endpoint (§2: the token
 * endpoint's client authentication rules and methods apply to the PAR endpoint as well), and the
 * server validates the pushed request as it would an authorization request sent to the
 * authorization endpoint (§2.1). Errors are JSON (§2.3), never a redirect.
 */
export function registerParRoute(app: FastifyInstance, ctx: AppContext): void {
  const url = endpointUrl(ctx.config, PAR_PATH);
  const validate: PushValidator = async (client, params) => {
    try {
      // The same checks as /authorize, with `request` honoured and `request_uri` refused (and
      // refusals published as authorization.denied like any other), for the client
      // authenticated below: it is not read again.
      return (await ctx.authorization.resolve(params, { via: 'par', client })).params;
    } catch (e) {
      // RFC 9126 §2.3: the error codes of the authorization endpoint, answered as at the token endpoint.
      if (e instanceof AuthorizationError) throw e.error;
      throw e;
    }
  };
  app.post(PAR_PATH, { schema: parSchema, validatorCompiler: documentationOnly }, async (request, reply) => {
    // RFC 8707 §2: `resource` may repeat (carried space-separated, as at /authorize).
    const form = readOAuthForm(request.body, ['resource']);
    const creds = extractClientCredentials(request, form.single);
    const authenticated = await ctx.clientAuth.authenticate(creds, { endpoint: url, allowPublic: true, address: request.ip });
    await limitClient(ctx.limits, request, 'par', authenticated);
    const { client } = authenticated;
    const params: Record<string, string> = { ...form.single };
    const resources = form.multi['resource'];
    if (resources) params.resource = resources.join(' ');
    // RFC 9449 §10.1: a DPoP proof sent to the PAR endpoint binds the code like dpop_jkt; "if
    // both mechanisms are used at the same time, the authorization server MUST reject the request
    // if the JWK Thumbprint in dpop_jkt does not match the public key in the DPoP header."
    // The binding is applied to the resolved request, so it holds for a signed `request` object too.
    const proof = request.headers.dpop === undefined ? null : await ctx.dpop.verify({ proof: request.headers.dpop, method: 'POST', url });
    if (proof?.nextNonce) reply.header('dpop-nonce', proof.nextNonce);
    const bind: PushValidator = proof
      ? async (c, p) => {
          const resolved = await validate(c, p);
          if (resolved.dpop_jkt !== undefined && resolved.dpop_jkt !== proof.jkt) throw invalidDpopProof('dpop_jkt does not match the key of the DPoP proof');
          return { ...resolved, dpop_jkt: proof.jkt };
        }
      : validate;
    const body = await ctx.pushedRequests.push(client, params, bind);
    // RFC 9126 §2.2: "If the verification is successful, the server MUST generate a request URI
    // and provide it in the response with a 201 HTTP status code."
    return noStore(reply).code(201).send(body);
  });
  postOnly(app, PAR_PATH);
}
