import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import { INTROSPECTION_JWT_MEDIA_TYPE, signIntrospectionResponse } from '../../core/introspection/jwt-response.ts';
import { extractClientCredentials } from '../client-credentials.ts';
import { endpointUrl, type AppContext } from '../context.ts';
import { limitClient } from '../plugins/rate-limits.ts';
import { FORM_CONTENT_TYPE, readOAuthForm } from '../form.ts';
import { clientAuthBodyProperties, documentationOnly, noStore, oauthErrorSchema, postOnly } from './token.ts';

/** q-value of `type` in an Accept header (0 when absent); `*\/*` and `type/*` count. */
export function acceptQuality(accept: string | undefined, type: string): number {
  if (!accept) return 0;
  const major = type.slice(0, type.indexOf('/'));
  let best = 0;
  let bestSpecificity = -1;
  for (const range of accept.split(',')) {
    const [media = '', ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    const specificity = media === type ? 2 : media === `${major}/*` ? 1 : media === '*/*' ? 0 : -1;
    if (specificity < 0 || specificity < bestSpecificity) continue;
    const q = params.find((p) => p.startsWith('q='));
    const value = q ? Number(q.slice(2)) : 1;
    best = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
    bestSpecificity = specificity;
  }
  return best;
}

/**
 * RFC 9701 §4: a resource server asks for a JWT response with
 * `Accept: application/token-introspection+jwt`. It is chosen when named explicitly with q > 0
 * and not ranked below `application/json`.
 */
function wantsJwt(accept: string | undefined): boolean {
  if (!accept || !accept.toLowerCase().includes(INTROSPECTION_JWT_MEDIA_TYPE)) return false;
  const jwt = acceptQuality(accept, INTROSPECTION_JWT_MEDIA_TYPE);
  return jwt > 0 && jwt >= acceptQuality(accept, 'application/json');
}

const introspectionSchema = {
  summary: 'Token introspection (RFC 7662)',
  description:
    'For authenticated confidential clients (resource servers). Send `Accept: application/token-introspection+jwt` for a signed JWT response (RFC 9701).',
  tags: ['oauth'],
  consumes: [FORM_CONTENT_TYPE],
  body: {
    type: 'object',
    required: ['token'],
    properties: {
      token: { type: 'string' },
      token_type_hint: { type: 'string', enum: ['access_token', 'refresh_token'] },
      ...clientAuthBodyProperties,
    },
  },
  response: {
    200: {
      description: 'Introspection response (RFC 7662 §2.2), or a JWT (RFC 9701 §5)',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['active'],
            properties: {
              active: { type: 'boolean' },
              scope: { type: 'string' },
              client_id: { type: 'string' },
              username: { type: 'string' },
              token_type: { type: 'string' },
              exp: { type: 'integer' },
              iat: { type: 'integer' },
              nbf: { type: 'integer' },
              sub: { type: 'string' },
              aud: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
              iss: { type: 'string' },
              jti: { type: 'string' },
              cnf: { type: 'object', additionalProperties: true },
            },
            additionalProperties: true,
          },
        },
        [INTROSPECTION_JWT_MEDIA_TYPE]: { schema: { type: 'string' } },
      },
    },
    400: oauthErrorSchema,
    401: oauthErrorSchema,
  },
} as const;

/** `POST /introspect`: authenticated confidential clients only (RFC 7662 §2.1). */
export function registerIntrospectionRoute(
  app: FastifyInstance,
  ctx: Pick<AppContext, 'config' | 'limits' | 'clientAuth' | 'introspector' | 'keys' | 'clock'>,
): void {
  const { config, introspector } = ctx;
  const url = endpointUrl(config, '/introspect');
  app.post('/introspect', { schema: introspectionSchema, validatorCompiler: documentationOnly }, async (request, reply) => {
    const form = readOAuthForm(request.body);
    // RFC 7662 §2.1: "To prevent token scanning attacks, the endpoint MUST also require some form
    // of authorization to access this endpoint". Here: confidential client authentication.
    const creds = extractClientCredentials(request, form.single);
    const authenticated = await ctx.clientAuth.authenticate(creds, { endpoint: url, allowPublic: false, address: request.ip });
    await limitClient(ctx.limits, request, 'introspection', authenticated);
    const { client } = authenticated;
    const token = form.single['token'];
    // RFC 7662 §2.1: token is REQUIRED.
    if (token === undefined) throw OAuthError.invalidRequest('token is required');
    const response = await introspector.introspect(client, token);
    noStore(reply);
    if (wantsJwt(request.headers.accept)) {
      const jwt = signIntrospectionResponse(ctx.keys, client, response, ctx.clock.now(), config);
      return reply.type(INTROSPECTION_JWT_MEDIA_TYPE).send(jwt);
    }
    return reply.send(response);
  });
  postOnly(app, '/introspect');
}
