import { OAuthError } from '../errors.ts';
import type { AuthorizationFailure, AuthorizationRequest, AuthorizationResponse, ResponseMode } from './types.ts';

export type RedirectTarget = NonNullable<AuthorizationFailure['redirect']>;

/**
 * An authorization endpoint failure (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). `redirect` is null
 * while the client or the redirect URI is not yet trusted: the HTTP layer then renders an error
 * page and sends the browser nowhere. Otherwise the error goes back to the client.
 */
export class AuthorizationError extends Error implements AuthorizationFailure {
  readonly error: OAuthError;
  readonly redirect: RedirectTarget | null;

  constructor(error: OAuthError, redirect: RedirectTarget | null) {
    super(error.message);
    this.name = 'AuthorizationError';
    this.error = error;
    this.redirect = redirect;
  }

  /**
   * RFC 6749 §4.1.2.1: "If the request fails due to a missing, invalid, or mismatching
   * redirection URI, or if the client identifier is missing or invalid, the authorization server
   * SHOULD inform the resource owner of the error and MUST NOT automatically redirect the
   * user-agent to the invalid redirection URI." An error page, never a redirect.
   */
  static page(error: OAuthError): AuthorizationError {
    return new AuthorizationError(error, null);
  }

  /** An error sent back to the validated redirect URI of `req` (e.g. access_denied on the consent page). */
  static toClient(req: Pick<AuthorizationRequest, 'redirectUri' | 'responseMode' | 'state'>, error: OAuthError): AuthorizationError {
    return new AuthorizationError(error, { redirectUri: req.redirectUri, responseMode: req.responseMode, state: req.state });
  }
}

/** Wraps an OAuthError thrown by a check into a failure aimed at `target` (or a page when null). */
export function asAuthorizationError(e: unknown, target: RedirectTarget | null): unknown {
  if (e instanceof AuthorizationError) return e;
  if (e instanceof OAuthError) return new AuthorizationError(e, target);
  return e;
}

/**
 * The error response parameters for a redirectable failure (RFC 6749 §4.1.2.1): `error`,
 * `error_description`, `state` when the request had one, and RFC 9207 §2 `iss`: "Authorization
 * servers supporting this specification MUST provide their issuer identifier to clients in
 * authorization responses" — error responses included. Null for a failure that must be a page.
 */
export function authorizationErrorResponse(failure: AuthorizationFailure, issuer: string): AuthorizationResponse | null {
  if (!failure.redirect) return null;
  const params: Record<string, string> = { error: failure.error.code };
  if (failure.error.description) params.error_description = failure.error.description;
  if (failure.redirect.state !== null) params.state = failure.redirect.state;
  params.iss = issuer;
  const responseMode: ResponseMode = failure.redirect.responseMode;
  return { redirectUri: failure.redirect.redirectUri, responseMode, params };
}
