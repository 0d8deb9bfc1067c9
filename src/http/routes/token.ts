import type { FastifyInstance, FastifyReply } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import type { TokenGrant } from '../../core/token/types.ts';
import { extractClientCredentials } from '../client-credentials.ts';
import { endpointUrl, type AppContext } from '../context.ts';
import { limitClient } from '../plugins/rate-limits.ts';
import { FORM_CONTENT_TYPE, readOAuthForm } from '../form.ts';

/**
 * RFC 6749 §5.1: "The authorization server MUST include the HTTP "Cache-Control" response header
 * field [RFC2616] with a value of "no-store" in any response containing tokens, credentials, or
 * other sensitive information, as well as the "Pragma" response header field [RFC2616] with a
 * value of "no-cache"."
 */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/** Route bodies are parsed and judged in code (readOAuthForm + core), never by the schema. */
export const documentationOnly = () => () => true;

/**
 * Client authentication parameters of every endpoint that authenticates clients like the token
 * endpoint (RFC 6749 §2.3.1, RFC 7523 §2.2), for the OpenAPI body schemas.
 */
export const clientAuthBodyProperties = {
  client_id: { type: 'string', description: 'The client identifier (RFC 6749 §2.2); with client_secret_basic it travels in the Authorization header instead.' },
  client_secret: { type: 'string' },
  client_assertion_type: { type: 'string' },
  client_assertion: { type: 'string' },
} as const;

/** `client_id` at the endpoints a Client ID Metadata Document client uses (token, PAR). */
export const clientIdOrMetadataDocument = {
  type: 'string',
  description:
    "A registered client id, or (when Client ID Metadata Documents are enabled) the https URL of the client's metadata document (draft-ietf-oauth-client-id-metadata-document; docs/authorization.md).",
} as const;

export const oauthErrorSchema = {
  description: 'OAuth error (RFC 6749 §5.2)',
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

/**
 * The OAuth endpoints take POST only (RFC 6749 §3.2: "The client MUST use the HTTP "POST" method
 * when making access token requests"); other methods get 405 with `Allow: POST` as a JSON error.
 */
export function postOnly(app: FastifyInstance, url: string): void {
  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url,
    schema: { hide: true },
    handler: async () => {
      throw new OAuthError('invalid_request', 'use POST', { status: 405, headers: { allow: 'POST' } });
    },
  });
}

type BodyProperty = { readonly type: 'string'; readonly description: string };

/**
 * What each grant parameter means (S1: grants declare `params`; this is only their documentation).
 * The body schema lists those of the grants the server serves, nothing else (S17).
 */
const GRANT_PARAM_DOCS: Readonly<Record<string, BodyProperty>> = {
  scope: {
    type: 'string',
    description: 'Space-separated scopes (client_credentials: default all the client may have; refresh_token: may only narrow the grant)',
  },
  code: { type: 'string', description: 'authorization_code: the code from the authorization response' },
  redirect_uri: { type: 'string', description: 'authorization_code: the redirect_uri of the authorization request' },
  code_verifier: { type: 'string', description: 'authorization_code: the PKCE verifier (RFC 7636)' },
  refresh_token: { type: 'string', description: 'refresh_token: the current refresh token (rotated on every use)' },
  device_code: {
    type: 'string',
    description: 'urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4): the device_code from the device authorization response',
  },
  subject_token: { type: 'string', description: 'token exchange (RFC 8693 §2.1): the token to exchange' },
  subject_token_type: {
    type: 'string',
    description:
      'token exchange: urn:ietf:params:oauth:token-type:access_token, …:jwt, …:refresh_token or …:id_token; …:txn_token to replace a transaction token (requested_token_type …:txn_token)',
  },
  actor_token: { type: 'string', description: 'token exchange: the acting party (delegation: the issued token carries `act`)' },
  actor_token_type: { type: 'string', description: 'token exchange: required with actor_token (access_token, jwt, or id_token issued to this client)' },
  requested_token_type: {
    type: 'string',
    description: 'token exchange: …:access_token (default) or …:jwt; …:id-jag (ID-JAG) and …:txn_token (transaction token) when configured',
  },
  request_context: { type: 'string', description: 'transaction tokens: a JSON object copied into `rctx` (size-limited)' },
  request_details: { type: 'string', description: 'transaction tokens: a JSON object copied into `tctx` (size-limited)' },
  audience: {
    type: 'string',
    description:
      'token exchange: target audience, may repeat; must be on the client token_exchange allow-list (ID-JAG: exactly one configured authorization server; transaction tokens: the trust domain)',
  },
  assertion: {
    type: 'string',
    description:
      'urn:ietf:params:oauth:grant-type:jwt-bearer (RFC 7523 §2.1): one JWT of a trusted issuer (config trustedIssuers), or an ID-JAG typed oauth-id-jag+jwt (docs/jwt-bearer.md)',
  },
};

/**
 * The token endpoint's OpenAPI schema for the grants this server serves (the registry compose
 * built from config): `grant_type` lists exactly them, and the body their parameters.
 */
export function tokenSchema(grants: ReadonlyMap<string, Pick<TokenGrant, 'params' | 'repeatable' | 'allowsPublicClients'>>) {
  const types = [...grants.keys()];
  const publicGrants = [...grants].filter(([, g]) => g.allowsPublicClients).map(([t]) => t);
  const grantParams: Record<string, { type: 'string'; description?: string }> = {};
  for (const g of grants.values()) for (const p of [...g.params, ...(g.repeatable ?? [])]) grantParams[p] = GRANT_PARAM_DOCS[p] ?? { type: 'string' };
  return {
    summary: 'Token endpoint (RFC 6749 §3.2)',
    description: `Issues access tokens. Grants served: ${types.join(', ')}. Client authentication: Basic, client_secret_post, a JWT assertion${publicGrants.length ? `, or none for public clients (${publicGrants.join(', ')})` : ''}.`,
    tags: ['oauth'],
    consumes: [FORM_CONTENT_TYPE],
    headers: {
      type: 'object',
      properties: {
        dpop: {
          type: 'string',
          description:
            "RFC 9449 DPoP proof (a `dpop+jwt` for POST and this URL). With it the access token is DPoP-bound (`token_type: DPoP`, `cnf.jkt`), and so is a public client's refresh token. Refused with `invalid_dpop_proof`; `use_dpop_nonce` (with a `DPoP-Nonce` response header) when `dpop.requireNonce` is on.",
        },
      },
    },
    body: {
      type: 'object',
      required: ['grant_type'],
      properties: {
        grant_type: {
          type: 'string',
          description:
            'One of the grants this server serves (listed here and in discovery `grant_types_supported`); a client may use those among its registered `grant_types`. Anything else: `unsupported_grant_type`.',
          examples: types,
        },
        ...grantParams,
        resource: { type: 'string', description: 'RFC 8707 resource indicator (absolute URI); may repeat' },
        ...clientAuthBodyProperties,
        client_id: clientIdOrMetadataDocument,
      },
    },
    response: {
      200: {
        description: 'Access token response (RFC 6749 §5.1)',
        type: 'object',
        required: ['access_token', 'token_type', 'expires_in'],
        properties: {
          access_token: { type: 'string' },
          token_type: { type: 'string' },
          expires_in: { type: 'integer' },
          scope: { type: 'string' },
          refresh_token: { type: 'string' },
          id_token: { type: 'string' },
          issued_token_type: { type: 'string' },
        },
      },
      400: oauthErrorSchema,
      401: oauthErrorSchema,
    },
  };
}

/** `POST /token`: parse the form, pick the grant, authenticate the client, dispatch. */
export function registerTokenRoute(app: FastifyInstance, ctx: Pick<AppContext, 'config' | 'limits' | 'tokenEndpoint' | 'clientAuth' | 'dpop'>): void {
  const endpoint = ctx.tokenEndpoint;
  const url = endpointUrl(ctx.config, '/token');
  app.post('/token', { schema: tokenSchema(endpoint.grants), validatorCompiler: documentationOnly }, async (request, reply) => {
    // RFC 8707 §2: `resource` may be sent more than once, and so may what a grant declares
    // repeatable (RFC 8693 §2.1 `audience`); the endpoint refuses repeats the grant did not declare.
    const form = readOAuthForm(request.body, endpoint.repeatable);
    const grant = endpoint.grantFor(form.single['grant_type']);
    const creds = extractClientCredentials(request, form.single);
    const authenticated = await ctx.clientAuth.authenticate(creds, { endpoint: url, allowPublic: grant.allowsPublicClients, address: request.ip });
    await limitClient(ctx.limits, request, 'token', authenticated);
    // RFC 9449 §5: a DPoP header binds what is issued; without one nothing DPoP runs at all.
    const proof = request.headers.dpop === undefined ? null : await ctx.dpop.verify({ proof: request.headers.dpop, method: 'POST', url });
    const body = await endpoint.handle(grant, authenticated, form, proof?.jkt ?? null, request.ip);
    if (proof?.nextNonce) reply.header('dpop-nonce', proof.nextNonce);
    return noStore(reply).send(body);
  });
  postOnly(app, '/token');
}
