import type { IdTokenHintVerifier } from '../id-token/types.ts';
import type { TenantId } from '../model/tenant.ts';
import type { ClientStore } from '../ports/client-store.ts';
import type { ResourceRegistry } from '../tokens/resource-indicators.ts';
import { asAuthorizationError, type RedirectTarget } from './authorization-error.ts';
import { checkAcrValues, checkClaims } from './checks/check-claims.ts';
import { checkClient, checkClientRecord } from './checks/check-client.ts';
import { checkDisplay, checkLoginHint, checkUiLocales } from './checks/check-display.ts';
import { checkIdTokenHint } from './checks/check-id-token-hint.ts';
import { checkPkce } from './checks/check-pkce.ts';
import { checkDpopJkt } from './checks/check-dpop-jkt.ts';
import { checkMaxAge, checkPrompt } from './checks/check-prompt.ts';
import { checkRedirectUri } from './checks/check-redirect-uri.ts';
import { checkParRequired, resolveRequestSource, type RequestSources } from './checks/check-request-source.ts';
import { checkResources } from './checks/check-resource.ts';
import { checkResponseMode, errorResponseMode } from './checks/check-response-mode.ts';
import { checkResponseType } from './checks/check-response-type.ts';
import { checkScope } from './checks/check-scope.ts';
import { checkNonce, checkState } from './checks/check-state.ts';
import type { AuthorizeConfig, Params } from './checks/params.ts';
import type { AuthorizationRequest, ResolveOptions } from './types.ts';

export interface ResolveDeps extends RequestSources {
  readonly clients: Pick<ClientStore, 'get'>;
  readonly idTokenHints: IdTokenHintVerifier;
  readonly resources: ResourceRegistry;
  readonly tenantId: TenantId;
}

/** Where an error may go once the client and redirect URI are trusted, or null (an error page). */
function target(client: Parameters<typeof checkRedirectUri>[0], params: Params): RedirectTarget | null {
  try {
    const redirectUri = checkRedirectUri(client, params);
    let state: string | null = null;
    try {
      state = checkState(params);
    } catch {
      /* an unusable state is not echoed */
    }
    return { redirectUri, responseMode: errorResponseMode(params), state };
  } catch {
    return null;
  }
}

/**
 * The authorization endpoint's checks, in order (OIDC Core §3.1.2.2 "Authentication Request
 * Validation"). Until the client and the redirect URI are validated every failure is an error
 * page; after that, failures go back to the client (RFC 6749 §4.1.2.1).
 */
export async function resolveRequest(deps: ResolveDeps, config: AuthorizeConfig, raw: Params, opts: ResolveOptions = {}): Promise<AuthorizationRequest> {
  // RFC 9126 §2.1: a pushed request is the authenticated client's; it was read once, by client authentication.
  const client = opts.via === 'par' ? checkClientRecord(opts.client, opts.client.clientId) : await checkClient(deps.clients, deps.tenantId, raw);
  let source;
  try {
    source = await resolveRequestSource(client, raw, opts.via ?? 'authorize', deps);
  } catch (e) {
    // The request object or pushed request is unusable: the outer redirect URI, when it is a
    // registered one, still tells where the client wants errors.
    throw asAuthorizationError(e, target(client, raw));
  }
  const params = source.params;
  const redirectUri = checkRedirectUri(client, params);
  let redirect: RedirectTarget = { redirectUri, responseMode: errorResponseMode(params), state: null };
  try {
    const state = checkState(params);
    redirect = { ...redirect, state };
    const responseType = checkResponseType(client, params, config);
    const responseMode = checkResponseMode(params, responseType);
    redirect = { ...redirect, responseMode };
    checkParRequired(client, source.pushed, config);
    const prompt = checkPrompt(params);
    const { scope, openid } = checkScope(client, params, { responseType, prompt });
    const nonce = checkNonce(params, responseType, openid);
    const pkce = checkPkce(client, params, responseType, config);
    const maxAge = checkMaxAge(client, params);
    const idTokenHintSub = checkIdTokenHint(client, params, deps.idTokenHints);
    const claims = checkClaims(params);
    const resources = checkResources(params, deps.resources);
    return {
      client,
      redirectUri,
      responseType,
      responseMode,
      scope,
      openid,
      state,
      nonce,
      codeChallenge: pkce.codeChallenge,
      codeChallengeMethod: pkce.codeChallengeMethod,
      prompt,
      maxAge,
      idTokenHintSub,
      loginHint: checkLoginHint(params),
      acrValues: checkAcrValues(params),
      claims,
      uiLocales: checkUiLocales(params),
      display: checkDisplay(params),
      resources,
      dpopJkt: checkDpopJkt(params, responseType),
      params: stripSources(params),
    };
  } catch (e) {
    throw asAuthorizationError(e, redirect);
  }
}

/** The parameters to carry through the pages: everything but `request`/`request_uri` (already resolved). */
function stripSources(params: Params): Params {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (k !== 'request' && k !== 'request_uri') out[k] = v;
  return out;
}
