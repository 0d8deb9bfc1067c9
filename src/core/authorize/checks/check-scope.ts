import { OAuthError } from '../../errors.ts';
import type { Client } from '../../model/client.ts';
import { oidcMetadata } from '../../model/client-oidc.ts';
import { parseScope } from '../../model/scope.ts';
import { param, type Params } from './params.ts';

/** Longest scope parameter accepted (a few dozen scope values). */
const MAX_SCOPE_LENGTH = 2048;

export interface CheckedScope {
  readonly scope: readonly string[];
  readonly openid: boolean;
}

/**
 * The requested scope (RFC 6749 §3.3). Every value must be one the client is registered for;
 * anything else is invalid_scope ("The requested scope is invalid, unknown, or malformed"), the
 * same rule the token endpoint applies: a client learns at once what it will not get. Without a
 * scope parameter the pre-defined default (§3.3: "MUST either process the request using a
 * pre-defined default value or fail") is the empty scope: nothing is granted that was not asked.
 */
export function checkScope(client: Client, params: Params, ctx: { readonly responseType: string; readonly prompt: readonly string[] }): CheckedScope {
  const raw = param(params, 'scope');
  if (raw !== undefined && raw.length > MAX_SCOPE_LENGTH) throw OAuthError.invalidScope('scope is too long');
  const asked = parseScope(raw);
  if (asked === null) throw OAuthError.invalidScope('scope is malformed');
  for (const s of asked) {
    if (!client.scopes.includes(s)) throw OAuthError.invalidScope('a requested scope is not allowed for this client', `scope ${s.slice(0, 100)}`);
  }
  const openid = asked.includes('openid');
  // OIDC Core §3.1.2.1 / §3.2.2.1: an ID token is returned only to OpenID requests; "If the
  // openid scope value is not present, the behavior is entirely unspecified" — so refuse it.
  if (!openid && ctx.responseType.split(' ').includes('id_token')) {
    throw OAuthError.invalidRequest('response_type id_token requires the openid scope');
  }
  return { scope: openid ? offlineAccess(client, asked, ctx) : asked, openid };
}

/**
 * OIDC Core §11 offline_access. "The Authorization Server MUST ignore the offline_access request
 * unless the Client is using a response_type value that would result in an Authorization Code
 * being returned" and "When offline access is requested, a prompt parameter value of consent
 * MUST be used unless other conditions for processing the request permitting offline access to
 * the requested resources are in place." The one such condition here: a first-party client,
 * which the operator trusts without consent. Otherwise the value is dropped (ignored, not an error).
 */
function offlineAccess(
  client: Client,
  asked: readonly string[],
  ctx: { readonly responseType: string; readonly prompt: readonly string[] },
): readonly string[] {
  if (!asked.includes('offline_access')) return asked;
  const withCode = ctx.responseType.split(' ').includes('code');
  const permitted = ctx.prompt.includes('consent') || oidcMetadata(client).firstParty;
  return withCode && permitted ? asked : asked.filter((s) => s !== 'offline_access');
}
