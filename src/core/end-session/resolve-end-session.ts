import { OAuthError } from '../errors.ts';
import type { IdTokenHintVerifier } from '../id-token/types.ts';
import type { Client } from '../model/client.ts';
import type { ClientStore } from '../ports/client-store.ts';
import { isRegisteredPostLogoutRedirectUri } from './post-logout-redirect.ts';
import type { EndSessionParams, EndSessionRequest, VerifiedHint } from './types.ts';

export interface ResolveEndSessionDeps {
  readonly clients: Pick<ClientStore, 'get'>;
  readonly idTokenHints: IdTokenHintVerifier;
  readonly tenantId: string;
}

/** Longest accepted `state` / `logout_hint` / `ui_locales` (the RP's own values, echoed or ignored). */
export const MAX_STATE_LENGTH = 2048;
const MAX_HINT_LENGTH = 1024;

/**
 * Validates a logout request (RP-Initiated Logout §2–§3). Every failure throws an OAuthError the
 * http layer renders as an error page: nothing is ended and nobody is redirected (§4: "any
 * operations requiring the information that failed to correctly validate MUST be aborted").
 */
export async function resolveEndSession(deps: ResolveEndSessionDeps, params: EndSessionParams): Promise<EndSessionRequest> {
  const state = params.state ?? null;
  if (state !== null && state.length > MAX_STATE_LENGTH) throw OAuthError.invalidRequest('state is too long');
  if ((params.logout_hint?.length ?? 0) > MAX_HINT_LENGTH || (params.ui_locales?.length ?? 0) > MAX_HINT_LENGTH) {
    throw OAuthError.invalidRequest('logout_hint or ui_locales is too long');
  }

  let hint: VerifiedHint | null = null;
  if (params.id_token_hint !== undefined) {
    // §2: "When an id_token_hint parameter is present, the OP MUST validate that it was the
    // issuer of the ID Token." (Expired hints are accepted: the verifier does not check exp.)
    hint = deps.idTokenHints.verify(params.id_token_hint);
    if (hint === null) throw OAuthError.invalidRequest('id_token_hint is not a valid ID token issued by this server', 'id_token_hint failed verification');
  }

  let client: Client | null = null;
  if (params.client_id !== undefined) {
    client = await findClient(deps, params.client_id);
    if (client === null) throw OAuthError.invalidRequest('unknown client_id', `client_id ${params.client_id} not found or disabled`);
    // §2: "When both client_id and id_token_hint are present, the OP MUST verify that the Client
    // Identifier matches the one used when issuing the ID Token."
    if (hint !== null && !hint.aud.includes(client.clientId)) {
      throw OAuthError.invalidRequest('client_id does not match the id_token_hint', 'client_id not in hint aud');
    }
  } else if (hint !== null && hint.aud.length === 1) {
    // The hint's audience identifies the RP. A deleted or disabled client stays unidentified: the
    // logout can still happen (after confirmation), but never a redirect to it.
    client = await findClient(deps, hint.aud[0]!);
  }

  let postLogoutRedirectUri: string | null = null;
  const requested = params.post_logout_redirect_uri;
  if (requested !== undefined) {
    // §3: "if it is not supplied with post_logout_redirect_uri, the OP MUST NOT perform
    // post-logout redirection unless the OP has other means of confirming the legitimacy of the
    // post-logout redirection target": the target must be registered by an identified client.
    if (client === null) {
      throw OAuthError.invalidRequest('post_logout_redirect_uri requires client_id or an id_token_hint identifying the client');
    }
    // §3: "The OP also MUST NOT perform post-logout redirection if the post_logout_redirect_uri
    // value supplied does not exactly match one of the previously registered
    // post_logout_redirect_uris values."
    if (!isRegisteredPostLogoutRedirectUri(client, requested)) {
      throw OAuthError.invalidRequest('post_logout_redirect_uri is not registered for this client', `client ${client.clientId}`);
    }
    postLogoutRedirectUri = requested;
  }

  return {
    hint,
    client,
    postLogoutRedirectUri,
    state,
    logoutHint: params.logout_hint ?? null,
    uiLocales: (params.ui_locales ?? '').split(' ').filter((l) => l !== ''),
    params,
  };
}

async function findClient(deps: ResolveEndSessionDeps, clientId: string): Promise<Client | null> {
  if (clientId.length > 255) return null;
  const client = await deps.clients.get(deps.tenantId, clientId);
  return client && !client.disabled ? client : null;
}
