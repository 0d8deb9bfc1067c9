import type { TenantId } from './tenant.ts';

/** Client authentication methods (RFC 8414 `token_endpoint_auth_methods_supported`). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

export type AccessTokenFormat = 'jwt' | 'opaque';

/** A registered OAuth client. Secrets are never stored: only their SHA-256 (S5). */
export interface Client {
  readonly tenantId: TenantId;
  readonly clientId: string;
  readonly clientName: string;
  /** SHA-256 (base64url) of the server-generated secret, for client_secret_basic/post. */
  readonly secretHash: string | null;
  /**
   * For client_secret_jwt only: the secret itself, encrypted with the key-encryption key
   * (AES-256-GCM), since an HMAC cannot be checked against a hash. Null otherwise.
   */
  readonly secretEncrypted: string | null;
  readonly secretExpiresAt: number | null; // epoch seconds, 0/null = never
  readonly tokenEndpointAuthMethod: ClientAuthMethod;
  /** Algorithm pinned for JWT client assertions (RFC 7591 token_endpoint_auth_signing_alg). */
  readonly tokenEndpointAuthSigningAlg: string | null;
  readonly grantTypes: readonly string[];
  readonly responseTypes: readonly string[];
  readonly redirectUris: readonly string[];
  /** Scopes the client may request (RFC 6749 §3.3 tokens). */
  readonly scopes: readonly string[];
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] } | null;
  readonly jwksUri: string | null;
  /** Per-client access token format; null = the global default. */
  readonly accessTokenFormat: AccessTokenFormat | null;
  /** Remaining RFC 7591 metadata (client_uri, logo_uri, contacts, …), echoed back verbatim. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** SHA-256 of the RFC 7592 registration access token, when registered dynamically. */
  readonly registrationAccessTokenHash: string | null;
  readonly disabled: boolean;
  readonly createdAt: number; // epoch seconds
  readonly updatedAt: number; // epoch seconds
}

export function isConfidential(client: Pick<Client, 'tokenEndpointAuthMethod'>): boolean {
  return client.tokenEndpointAuthMethod !== 'none';
}
