import { createClient } from './core/clients/client-service.ts';
import { OPERATOR_POLICY } from './core/registration/client-metadata.ts';
import type { AppContext } from './http/context.ts';
import { endpointUrl } from './http/context.ts';

/**
 * Development first start: when the store has no client yet, create a demo confidential client
 * (client_credentials) and print its secret once. Only its hash is stored, so it cannot be shown
 * again (`gatehouse clients rotate-secret` issues a new one). Never runs in production.
 */
export async function bootstrapDevelopment(ctx: AppContext, out: (text: string) => void): Promise<void> {
  if (ctx.config.env !== 'development') return;
  const { tenantId } = ctx;
  const existing = await ctx.storage.clients.list(tenantId, { limit: 1 });
  if (existing.length > 0) return;
  const { client, clientSecret } = await createClient(
    { ...ctx.ports, kek: ctx.kek, tenantId },
    {
      metadata: {
        client_name: 'Demo service (development)',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'demo:read demo:write',
      },
      policy: OPERATOR_POLICY,
      via: 'bootstrap',
    },
  );
  out([
    '',
    'Gatehouse created a demo client (shown once; only its hash is stored):',
    `  client_id:     ${client.clientId}`,
    `  client_secret: ${clientSecret}`,
    `  try: curl -s -u '${client.clientId}:${clientSecret}' -d grant_type=client_credentials ${endpointUrl(ctx.config, '/token')}`,
    '',
  ].join('\n'));
}
