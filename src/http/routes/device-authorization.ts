import type { FastifyInstance } from 'fastify';
import { extractClientCredentials } from '../client-credentials.ts';
import { endpointUrl, type AppContext } from '../context.ts';
import { limitClient } from '../plugins/rate-limits.ts';
import { FORM_CONTENT_TYPE, readOAuthForm } from '../form.ts';
import { clientAuthBodyProperties, documentationOnly, noStore, oauthErrorSchema, postOnly } from './token.ts';

export const DEVICE_AUTHORIZATION_PATH = '/device_authorization';

const deviceAuthorizationSchema = {
  summary: 'Device authorization endpoint (RFC 8628 §3.1)',
  description:
    'Starts the device flow: returns a device code to poll the token endpoint with and a user code to enter at /device. Client authentication as at the token endpoint; public clients send client_id.',
  tags: ['oauth'],
  consumes: [FORM_CONTENT_TYPE],
  body: {
    type: 'object',
    properties: {
      scope: { type: 'string', description: 'Space-separated scopes (default: all the client may have)' },
      resource: { type: 'string', description: 'RFC 8707 resource indicator (absolute URI); may repeat' },
      ...clientAuthBodyProperties,
    },
  },
  response: {
    200: {
      description: 'Device authorization response (RFC 8628 §3.2)',
      type: 'object',
      required: ['device_code', 'user_code', 'verification_uri', 'expires_in'],
      properties: {
        device_code: { type: 'string' },
        user_code: { type: 'string' },
        verification_uri: { type: 'string' },
        verification_uri_complete: { type: 'string' },
        expires_in: { type: 'integer' },
        interval: { type: 'integer' },
      },
    },
    400: oauthErrorSchema,
    401: oauthErrorSchema,
  },
} as const;

/**
 * `POST /device_authorization`. RFC 8628 §3.1: "The client makes a device authorization request
 * [...] using the "application/x-www-form-urlencoded" format"; client authentication follows
 * RFC 6749 §3.2.1 (public clients identify themselves with client_id).
 */
export function registerDeviceAuthorizationRoute(
  app: FastifyInstance,
  ctx: Pick<AppContext, 'config' | 'limits' | 'clientAuth' | 'deviceAuthorization'>,
): void {
  const device = ctx.deviceAuthorization;
  const url = endpointUrl(ctx.config, DEVICE_AUTHORIZATION_PATH);
  app.post(DEVICE_AUTHORIZATION_PATH, { schema: deviceAuthorizationSchema, validatorCompiler: documentationOnly }, async (request, reply) => {
    // RFC 8707 §2: `resource` may be sent more than once; every other parameter only once.
    const form = readOAuthForm(request.body, ['resource']);
    const creds = extractClientCredentials(request, form.single);
    const authenticated = await ctx.clientAuth.authenticate(creds, { endpoint: url, allowPublic: true, address: request.ip });
    await limitClient(ctx.limits, request, 'deviceAuthorization', authenticated);
    const { client } = authenticated;
    const body = await device.authorize({ client, scope: form.single['scope'], resources: form.multi['resource'] ?? [] });
    // RFC 8628 §3.2: the response carries a device code (a credential): not cacheable.
    return noStore(reply).send(body);
  });
  postOnly(app, DEVICE_AUTHORIZATION_PATH);
}
