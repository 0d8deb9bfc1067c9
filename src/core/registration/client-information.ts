import { usesSecret } from '../clients/client-secrets.ts';
import type { Client } from '../model/client.ts';

/**
 * RFC 7591 §3.2.1 client information: the client_id, when it was issued, and every registered
 * metadata value under its RFC 7591 name. Secrets and tokens are added by the caller, only when
 * just issued (they are stored hashed and cannot be shown again).
 */
export function clientInformation(client: Client): Record<string, unknown> {
  const out: Record<string, unknown> = {
    client_id: client.clientId,
    client_id_issued_at: client.createdAt,
  };
  // RFC 7591 §3.2.1: client_secret_expires_at is "REQUIRED if "client_secret" is issued"; 0 = never.
  if (usesSecret(client.tokenEndpointAuthMethod)) out['client_secret_expires_at'] = client.secretExpiresAt ?? 0;
  if (client.clientName) out['client_name'] = client.clientName;
  out['redirect_uris'] = [...client.redirectUris];
  out['grant_types'] = [...client.grantTypes];
  out['response_types'] = [...client.responseTypes];
  out['token_endpoint_auth_method'] = client.tokenEndpointAuthMethod;
  if (client.tokenEndpointAuthSigningAlg) out['token_endpoint_auth_signing_alg'] = client.tokenEndpointAuthSigningAlg;
  if (client.scopes.length) out['scope'] = client.scopes.join(' ');
  if (client.jwks) out['jwks'] = client.jwks;
  if (client.jwksUri) out['jwks_uri'] = client.jwksUri;
  if (client.accessTokenFormat) out['access_token_format'] = client.accessTokenFormat;
  for (const [k, v] of Object.entries(client.metadata)) if (!(k in out)) out[k] = v;
  return out;
}
