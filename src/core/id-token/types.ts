import type { AuthenticationContext, ClaimsRequest } from '../model/authorization-code.ts';
import type { Client } from '../model/client.ts';
import type { User } from '../model/user.ts';

/** Input for one ID token (OIDC Core §2, §3.1.3.6, §3.3.2.11). */
export interface IdTokenInput {
  readonly client: Client;
  readonly auth: AuthenticationContext;
  /** The user `auth` names, as the caller read it for this request (the issuer reads no store). */
  readonly user: User;
  /** The `sub` this client sees for the user (public or pairwise, OIDC Core §8), computed once by the caller. */
  readonly subject: string;
  /** Granted scopes: claims by scope go into the ID token only when no access token is issued. */
  readonly scope: readonly string[];
  readonly claims: ClaimsRequest | null;
  readonly nonce: string | null;
  /** Values to hash into at_hash / c_hash / s_hash (left half of the SHA-2 matching the alg). */
  readonly accessToken?: string;
  readonly code?: string;
  readonly state?: string;
  /** True when the response also carries an access token usable at UserInfo (response_type=code id_token token or the token endpoint). */
  readonly scopeClaimsAtUserInfo: boolean;
}

export interface IdTokenIssuer {
  /** Signs an ID token with the client's `id_token_signed_response_alg` or the default (RS256). */
  issue(input: IdTokenInput): Promise<string>;
  /** The `sub` this client sees for a user (public or pairwise, OIDC Core §8). */
  subjectFor(client: Client, userId: string): string;
}

/**
 * Verifies an `id_token_hint` / logout hint: signed by this server (any published key),
 * `iss` = issuer. Expiry is not checked (OIDC RP-Initiated Logout §2 allows expired hints).
 * Returns null when invalid.
 */
export interface IdTokenHintVerifier {
  verify(token: string): { readonly sub: string; readonly aud: readonly string[]; readonly sid: string | null } | null;
}
