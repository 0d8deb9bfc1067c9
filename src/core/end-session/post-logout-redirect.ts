import type { Client } from '../model/client.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import { appendQuery } from '../url-query.ts';

/**
 * RP-Initiated Logout §3: "The OP also MUST NOT perform post-logout redirection if the
 * post_logout_redirect_uri value supplied does not exactly match one of the previously registered
 * post_logout_redirect_uris values." Exact means byte-for-byte: no normalisation of case, port,
 * trailing slash, percent-encoding or query, and no prefix matching.
 */
export function isRegisteredPostLogoutRedirectUri(client: Pick<Client, 'metadata'>, uri: string): boolean {
  return oidcMetadata(client).postLogoutRedirectUris.some((registered) => registered === uri);
}

/**
 * The redirect target: the registered URI with `state` added to its query (RP-Initiated Logout
 * §2: "the OP passes this value back to the RP using the state parameter"). The registered query
 * is kept exactly as registered (OpenID conformance `oidcc-rp-initiated-logout-query-added-to-
 * post-logout-redirect-uri`); a fragment, which registration refuses anyway, stays last.
 */
export function postLogoutRedirectTarget(uri: string, state: string | null): string {
  if (state === null) return uri;
  return appendQuery(uri, `state=${encodeURIComponent(state)}`, { keepFragment: true });
}
