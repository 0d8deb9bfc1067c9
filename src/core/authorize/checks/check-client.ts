import { OAuthError } from '../../errors.ts';
import type { Client } from '../../model/client.ts';
import type { TenantId } from '../../model/tenant.ts';
import type { ClientStore } from '../../ports/client-store.ts';
import { AuthorizationError } from '../authorization-error.ts';
import { param, type Params } from './params.ts';

/** Longest client_id looked up; ours are far shorter, anything longer is simply unknown. */
const MAX_CLIENT_ID_LENGTH = 255;

/** Grant types that use the authorization endpoint (OIDC Registration §2 grant_types ↔ response_types). */
const REDIRECT_GRANTS = ['authorization_code', 'implicit'];

/**
 * The client of an authorization request. Every failure here is an error page, never a redirect:
 * RFC 6749 §4.1.2.1: "If the request fails due to a missing, invalid, or mismatching redirection
 * URI, or if the client identifier is missing or invalid, the authorization server SHOULD inform
 * the resource owner of the error and MUST NOT automatically redirect the user-agent to the
 * invalid redirection URI." An unknown and a disabled client read the same.
 */
export async function checkClient(clients: Pick<ClientStore, 'get'>, tenantId: TenantId, params: Params): Promise<Client> {
  const clientId = param(params, 'client_id');
  // RFC 6749 §4.1.1: client_id is REQUIRED.
  if (clientId === undefined) throw AuthorizationError.page(OAuthError.invalidRequest('client_id is required'));
  const client = clientId.length <= MAX_CLIENT_ID_LENGTH ? await clients.get(tenantId, clientId) : undefined;
  return checkClientRecord(client, clientId);
}

/**
 * The same rules for a client record already in hand (the client the PAR endpoint
 * authenticated), so it is not read again.
 */
export function checkClientRecord(client: Client | undefined, clientId: string): Client {
  if (!client || client.disabled) {
    throw AuthorizationError.page(OAuthError.invalidRequest('unknown client', `client_id ${clientId.slice(0, 100)} ${client ? 'disabled' : 'not found'}`));
  }
  // RFC 6749 §4.1.2.1 unauthorized_client: "The client is not authorized to request an
  // authorization code using this method." A client registered for no redirect-based grant
  // cannot be trusted with a redirect at all, so this one is shown on the page too.
  if (!client.grantTypes.some((g) => REDIRECT_GRANTS.includes(g))) {
    throw AuthorizationError.page(OAuthError.unauthorizedClient('this client may not use the authorization endpoint', `client ${client.clientId}`));
  }
  return client;
}
