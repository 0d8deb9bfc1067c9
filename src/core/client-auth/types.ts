import type { Client, ClientAuthMethod } from '../model/client.ts';

/**
 * What the HTTP layer extracted from a request (parse in http/, decide in core/). At most one
 * mechanism may be present (RFC 6749 §2.3: a client MUST NOT use more than one); the parser
 * rejects a request presenting two with invalid_request.
 */
export type ClientCredentials =
  | { readonly kind: 'basic'; readonly clientId: string; readonly clientSecret: string }
  | { readonly kind: 'post'; readonly clientId: string; readonly clientSecret: string }
  /** RFC 7523 §2.2 client assertion; `clientId` is the optional `client_id` form parameter. */
  | { readonly kind: 'assertion'; readonly assertionType: string; readonly assertion: string; readonly clientId: string | undefined }
  /** Only `client_id` was sent: a public client (`none`). */
  | { readonly kind: 'none'; readonly clientId: string }
  | { readonly kind: 'absent' };

export interface AuthenticatedClient {
  readonly client: Client;
  readonly method: ClientAuthMethod;
}

export interface ClientAuthenticator {
  /**
   * Authenticates a client at `endpoint` (its absolute URL: besides the issuer and the token
   * endpoint URL, an accepted assertion `aud` unless the audience rule is strict, see
   * assertion-audience.ts). Throws OAuthError invalid_client (401 + WWW-Authenticate) on any failure,
   * after publishing `client_auth.failed`. `allowPublic` permits method `none`. With `address` (the
   * client address as resolved from trusted proxies), failures count in the penalty bucket of
   * (client_id, address); once it is full that address gets OAuthError 429 for that client_id,
   * before any credential is checked, until the window ends (`rate_limit.hit`, policy
   * `client_auth.penalty`).
   */
  authenticate(creds: ClientCredentials, opts: { endpoint: string; allowPublic: boolean; address?: string }): Promise<AuthenticatedClient>;
}
