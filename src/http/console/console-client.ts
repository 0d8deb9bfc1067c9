import type { Config } from '../../config/schema.ts';
import type { ClientService } from '../../core/clients/client-service.ts';
import { GatehouseError, OAuthError } from '../../core/errors.ts';
import type { ClientStore } from '../../core/ports/client-store.ts';
import { operatorPolicy } from '../../core/registration/client-metadata.ts';
import { CONSOLE_CALLBACK_PATH, CONSOLE_CLIENT_ID } from './console-session.ts';

/**
 * The console's client, as this server registers it for itself: a first-party public client
 * (the server is the relying party, so no secret would reach the browser either way; PKCE S256
 * is required for public clients), authorization code only, `openid` only, one redirect URI
 * under the issuer. No registration access token: RFC 7592 management cannot read, change or
 * delete it.
 */
export function consoleClientMetadata(config: Pick<Config, 'issuer'>): Record<string, unknown> {
  return {
    client_name: 'Gatehouse admin console',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${config.issuer.replace(/\/+$/, '')}${CONSOLE_CALLBACK_PATH}`],
    scope: 'openid',
    first_party: true,
  };
}

/**
 * At start: creates the console client when it is missing (first start, or an operator deleted
 * it), and puts its redirect URI right when the issuer changed. A client an operator disabled
 * stays disabled (then nobody can sign in to the console until `gatehouse clients enable
 * gatehouse-console`). Instances starting together may both try to create it: the loser's
 * duplicate-key failure is ignored when the client is there afterwards. Resolves to a warning
 * when the client cannot be registered (the server starts without a usable console).
 */
export async function provisionConsoleClient(deps: {
  readonly config: Config;
  readonly tenantId: string;
  readonly clients: Pick<ClientStore, 'get'>;
  readonly clientService: ClientService;
}): Promise<string | null> {
  const { config, tenantId } = deps;
  const metadata = consoleClientMetadata(config);
  const policy = operatorPolicy(config);
  const existing = await deps.clients.get(tenantId, CONSOLE_CLIENT_ID);
  try {
    if (!existing) {
      try {
        await deps.clientService.create({ metadata, policy, via: 'bootstrap', clientId: CONSOLE_CLIENT_ID });
      } catch (e) {
        if (!(await deps.clients.get(tenantId, CONSOLE_CLIENT_ID))) throw e;
      }
      return null;
    }
    const want = (metadata['redirect_uris'] as string[])[0];
    if (existing.redirectUris.length !== 1 || existing.redirectUris[0] !== want || existing.tokenEndpointAuthMethod !== 'none') {
      await deps.clientService.replaceMetadata(existing, { metadata, policy, via: 'cli' });
    }
    return null;
  } catch (e) {
    // An issuer the redirect URI rules refuse (plain http on a host that is not loopback, which
    // development allows for the issuer) must not stop the server: the console is unavailable.
    if (e instanceof OAuthError || (e instanceof GatehouseError && e.code === 'GH_INVALID_INPUT')) {
      return `the admin console is unavailable: its client cannot be registered (${e instanceof OAuthError ? (e.description ?? e.code) : e.message})`;
    }
    throw e;
  }
}
