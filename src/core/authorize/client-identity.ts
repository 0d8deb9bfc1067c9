import { isConfidential, type Client } from '../model/client.ts';
import { isLoopbackHostname } from '../registration/redirect-uris.ts';

/**
 * RFC 8252 §8.6: "the authorization server SHOULD NOT process authorization requests
 * automatically without user consent or interaction, except when the identity of the client can
 * be assured." True when the authorization response of this request can reach only the client
 * registered under its `client_id`:
 *
 * - a confidential client (any `token_endpoint_auth_method` but `none`): it proves itself when it
 *   redeems the code;
 * - a public client only when `redirectUri` is an `https:` URI on a non-loopback host: a web
 *   origin, or a claimed "https" scheme redirect (RFC 8252 §7.2), which the operating system
 *   opens only in the app that proved it owns the domain. Loopback redirects (§7.3, any app on
 *   the device may listen on the port) and private-use URI schemes (§7.1, any app may register
 *   the scheme; §8.6 "app impersonation") cannot prove anything, nor can plain `http:`.
 *
 * Judged on the redirect URI of THIS request (already matched against the registered set by
 * `checkRedirectUri`), not on every registered one: the response goes only there, so a public
 * client registered with an https URI and a loopback one is assured for the first and not for the
 * second. An impersonating app must use a redirect it can receive, i.e. an unprovable one.
 */
export function clientIdentityAssured(client: Pick<Client, 'tokenEndpointAuthMethod'>, redirectUri: string): boolean {
  if (isConfidential(client)) return true;
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && !isLoopbackHostname(url.hostname);
}
