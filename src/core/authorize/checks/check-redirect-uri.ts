import { OAuthError } from '../../errors.ts';
import type { Client } from '../../model/client.ts';
import { oidcMetadata } from '../../model/client-oidc.ts';
import { AuthorizationError } from '../authorization-error.ts';
import { isOpenIdRequest, param, type Params } from './params.ts';

/**
 * RFC 8252 §7.3 loopback IP literals (not `localhost`, which §8.3 calls "NOT RECOMMENDED"): the
 * scheme, host and optional port as they appear at the start of the URI string.
 */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?(?=[/?#]|$)/;

/** The URI with its loopback port removed, or null when it is not a loopback IP URI with a valid port. */
function withoutLoopbackPort(uri: string): string | null {
  const m = LOOPBACK.exec(uri);
  if (!m) return null;
  if (m[2] !== undefined) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535 || String(port) !== m[2]) return null;
  }
  return `http://${m[1]}${uri.slice(m[0].length)}`;
}

/**
 * RFC 8252 §7.3: "The authorization server MUST allow any port to be specified at the time of the
 * request for loopback IP redirect URIs, to accommodate clients that obtain an available
 * ephemeral port from the operating system at the time of the request." Granted to
 * `application_type` native and to every public client (a native app cannot keep a secret, and a
 * loopback address only reaches the user's own machine); confidential web clients never get it.
 * Everything but the port must still match exactly, character for character.
 */
function loopbackMatch(client: Client, registered: string, requested: string): boolean {
  if (oidcMetadata(client).applicationType !== 'native' && client.tokenEndpointAuthMethod !== 'none') return false;
  const a = withoutLoopbackPort(registered);
  return a !== null && a === withoutLoopbackPort(requested);
}

/**
 * The redirect URI of an authorization request (RFC 6749 §3.1.2). Failures are error pages:
 * RFC 6749 §3.1.2.4: "the authorization server SHOULD inform the resource owner of the error and
 * MUST NOT automatically redirect the user-agent to the invalid redirection URI."
 */
export function checkRedirectUri(client: Client, params: Params): string {
  const requested = param(params, 'redirect_uri');
  const registered = client.redirectUris;
  if (registered.length === 0) throw AuthorizationError.page(OAuthError.invalidRequest('the client has no registered redirect URI'));
  if (requested === undefined) {
    // OIDC Core §3.1.2.1: redirect_uri is REQUIRED. RFC 6749 §3.1.2.3: "If multiple redirection
    // URIs have been registered [...] the client MUST include a redirection URI with the
    // authorization request using the "redirect_uri" request parameter."
    if (registered.length > 1 || isOpenIdRequest(params)) throw AuthorizationError.page(OAuthError.invalidRequest('redirect_uri is required'));
    return registered[0]!;
  }
  // RFC 9700 §4.1.3: "authorization servers MUST utilize exact string matching" (no prefix,
  // no normalisation, no case folding, no decoding of percent-encoded characters).
  if (registered.includes(requested)) return requested;
  if (registered.some((r) => loopbackMatch(client, r, requested))) return requested;
  throw AuthorizationError.page(
    OAuthError.invalidRequest('redirect_uri is not registered for this client', `client ${client.clientId} redirect_uri ${requested.slice(0, 200)}`),
  );
}
