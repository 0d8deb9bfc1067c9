import type { FastifyInstance } from 'fastify';
import { AuthorizationError } from '../../core/authorize/authorization-error.ts';
import { invalidDpopProof } from '../../core/dpop/dpop-proof.ts';
import type { PushValidator } from '../../core/par/pushed-requests.ts';
import { extractClientCredentials } from '../client-credentials.ts';
import { endpointUrl, type AppContext } from '../context.ts';
import { limitClient } from '../plugins/rate-limits.ts';
import { FORM_CONTENT_TYPE, readOAuthForm } from '../form.ts';
import { clientAuthBodyProperties, documentationOnly, noStore, oauthErrorSchema, postOnly } from './token.ts';

export const PAR_PATH = '/par';

const parSchema = {
  summary: 'Pushed authorization request endpoint (RFC 9126 §2)',
  description:
    'Accepts the parameters of an authorization request (or a signed `request` object, RFC 9101), validates them as the authorization endpoint would and returns a single-use request_uri to send to /authorize with client_id. Client authentication as at the token endpoint; public clients send client_id. Only the parameters the authorization endpoint reads are stored (unrecognized ones are ignored, RFC 6749 §3.1), at most `authorization.parMaxStoredBytes` of them (larger: 400 invalid_request).',
  tags: ['oauth'],
  consumes: [FORM_CONTENT_TYPE],
  body: {
    type: 'object',
    properties: {
      response_type: { type: 'string' },
      redirect_uri: { type: 'string' },
      scope: { type: 'string' },
      state: { type: 'string' },
      code_challenge: { type: 'string' },
      code_challenge_method: { type: 'string' },
      dpop_jkt: { type: 'string', description: 'RFC 9449 §10: JWK SHA-256 thumbprint the authorization code is bound to (a `DPoP` header here does the same)' },
      request: { type: 'string', description: 'RFC 9101 request object (signed JWT) carrying the parameters instead' },
      ...clientAuthBodyProperties,
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
