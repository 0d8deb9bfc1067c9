import type { FastifyInstance } from 'fastify';
import { OAuthError } from '../../core/errors.ts';
import { extractClientCredentials } from '../client-credentials.ts';
import { endpointUrl, type AppContext } from '../context.ts';
import { limitClient } from '../plugins/rate-limits.ts';
import { FORM_CONTENT_TYPE, readOAuthForm } from '../form.ts';
import { clientAuthBodyProperties, documentationOnly, noStore, oauthErrorSchema, postOnly } from './token.ts';

const revocationSchema = {
  summary: 'Token revocation (RFC 7009)',
  description: 'Revokes an access token (JWT or opaque) or a refresh token (with its grant) issued to the calling client. Answers 200 for unknown tokens.',
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
    200: { description: 'Revoked, or nothing to revoke (RFC 7009 §2.2)', type: 'null' },
    400: oauthErrorSchema,
    401: oauthErrorSchema,
  },
} as const;

/**
 * `POST /revoke`. RFC 7009 §2.1: the client authenticates as at the token endpoint; a public
 * client identifies itself with its client_id (method `none`) and may revoke only its own tokens.
 * `token_type_hint` is accepted and never needed: one lookup finds every kind (§2.1: the server
 * "MUST extend its search across all of its supported token types"), so an unknown hint is
 * simply ignored rather than answered with unsupported_token_type.
 */
export function registerRevocationRoute(app: FastifyInstance, ctx: Pick<AppContext, 'config' | 'limits' | 'clientAuth' | 'revoker'>): void {
  const { revoker } = ctx;
  const url = endpointUrl(ctx.config, '/revoke');
  app.post('/revoke', { schema: revocationSchema, validatorCompiler: documentationOnly }, async (request, reply) => {
    const form = readOAuthForm(request.body);
    const creds = extractClientCredentials(request, form.single);
    const authenticated = await ctx.clientAuth.authenticate(creds, { endpoint: url, allowPublic: true, address: request.ip });
    await limitClient(ctx.limits, request, 'revocation', authenticated);
    const { client } = authenticated;
    const token = form.single['token'];
    // RFC 7009 §2.1: token is REQUIRED.
    if (token === undefined) throw OAuthError.invalidRequest('token is required');
    await revoker.revoke(client, token);
    // RFC 7009 §2.2: "The authorization server responds with HTTP status code 200 if the token
    // has been revoked successfully or if the client submitted an invalid token."
    return noStore(reply).code(200).send();
  });
  postOnly(app, '/revoke');
}
