import { OAuthError, type OAuthErrorCode } from '../errors.ts';
import type { IdTokenIssuer } from '../id-token/types.ts';
import { oidcMetadata } from '../model/client-oidc.ts';
import type { SessionRecord } from '../model/session.ts';
import type { TenantId } from '../model/tenant.ts';
import { epochSeconds, type Clock } from '../ports/clock.ts';
import type { ConsentStore } from '../ports/consent-store.ts';
import type { UserStore } from '../ports/user-store.ts';
import { currentAccount } from '../session/session-service.ts';
import { metadataDocumentHost } from '../clients/metadata-document-client.ts';
import { AuthorizationError } from './authorization-error.ts';
import { essentialAcr } from './checks/check-claims.ts';
import { clientIdentityAssured } from './client-identity.ts';
import { consentClaims, consentCovers } from './consent.ts';
import type { AuthorizationRequest, Decision, InteractionPage, InteractionProgress } from './types.ts';

export interface DecideDeps {
  readonly users: Pick<UserStore, 'get'>;
  readonly consents: Pick<ConsentStore, 'get'>;
  readonly idTokens: Pick<IdTokenIssuer, 'subjectFor'>;
  readonly clock: Clock;
  readonly tenantId: TenantId;
}

/**
 * What the request still needs from the person in this browser (OIDC Core §3.1.2.3 "The
 * Authorization Server MUST attempt to Authenticate the End-User or determine whether the
 * End-User is Authenticated", §3.1.2.4 consent). `session` is the live browser session (expiry
 * judged by the session service). With prompt=none every page becomes its OIDC Core §3.1.2.6
 * error, sent to the client.
 */
export async function decide(
  deps: DecideDeps,
  config: { readonly login: { readonly acrValues: readonly string[] } },
  req: AuthorizationRequest,
  session: SessionRecord | undefined,
  progress: InteractionProgress,
): Promise<Decision> {
  const none = req.prompt.includes('none');
  const fail = (code: OAuthErrorCode, description: string) => AuthorizationError.toClient(req, OAuthError.of(code, description));
  const interact = (page: InteractionPage, reason: string, noneError: OAuthErrorCode, description: string): Decision => {
    // OIDC Core §3.1.2.1 prompt=none: "The Authorization Server MUST NOT display any
    // authentication or consent user interface pages. An error is returned if an End-User is not
    // already authenticated or the Client does not have pre-configured consent for the requested
    // Claims or does not fulfill other conditions for processing the request."
    if (none) throw fail(noneError, description);
    return { kind: 'interaction', page, reason };
  };
  const account = currentAccount(session);
  if (!session || !account) return interact('login', 'no_session', 'login_required', 'the end-user is not signed in');
  // A sign-in during this interaction counts only for the account it signed in: OIDC Core
  // §3.1.2.1 prompt=login / max_age ask to re-authenticate the End-User who is answered for, so
  // switching to another (older) account afterwards does not inherit the fresh sign-in.
  const fresh = progress.loginAt !== null && account.authTime >= progress.loginAt;
  const hintMatches = (userId: string) => req.idTokenHintSub === null || deps.idTokens.subjectFor(req.client, userId) === req.idTokenHintSub;

  // OIDC Core §3.1.2.6 account_selection_required: "The End-User is REQUIRED to select a session
  // at the Authorization Server." Several accounts and nothing naming the current one.
  if (none && session.accounts.length > 1 && (req.idTokenHintSub === null || !hintMatches(account.userId))) {
    throw fail('account_selection_required', 'several accounts are signed in; the end-user must choose one');
  }
  // OIDC Core §3.1.2.1 prompt=select_account: "The Authorization Server SHOULD prompt the End-User
  // to select a user account." A sign-in during this interaction is such a choice.
  if (req.prompt.includes('select_account') && !progress.accountChosen && !fresh) {
    return { kind: 'interaction', page: 'select_account', reason: 'prompt=select_account' };
  }
  const user = await deps.users.get(deps.tenantId, account.userId);
  if (!user || user.disabled) return interact('login', 'user_unavailable', 'login_required', 'the end-user must sign in again');
  // OIDC Core §3.1.2.1 prompt=login: "The Authorization Server SHOULD prompt the End-User for reauthentication."
  if (req.prompt.includes('login') && !fresh) return interact('login', 'prompt=login', 'login_required', 'reauthentication is required');
  // OIDC Core §3.1.2.1 max_age: "If the elapsed time is greater than this value, the OP MUST
  // attempt to actively re-authenticate the End-User." and (errata set 2) "max_age=0 is
  // equivalent to prompt=login": whole seconds would let a sign-in of this very second through.
  if (req.maxAge !== null && !fresh && (req.maxAge === 0 || epochSeconds(deps.clock) - account.authTime > req.maxAge)) {
    return interact('login', 'max_age', 'login_required', 'the authentication is older than max_age');
  }
  // OIDC Core §3.1.2.1 id_token_hint: "If the End-User identified by the ID Token is logged in or
  // is logged in by the request, then the Authorization Server returns a positive response;
  // otherwise, it SHOULD return an error, such as login_required."
  if (!hintMatches(account.userId)) return interact('login', 'id_token_hint', 'login_required', 'the end-user named by id_token_hint is not signed in');

  const wanted = essentialAcr(req.claims);
  if (wanted && !(account.acr !== null && wanted.includes(account.acr))) {
    // OIDC Core §5.5.1.1: "If this is an Essential Claim and the requirement cannot be met, then
    // the Authorization Server MUST treat that outcome as a failed authentication attempt."
    if (fresh || !wanted.some((v) => config.login.acrValues.includes(v)))
      throw fail('access_denied', 'the requested authentication context class cannot be satisfied');
    return interact('login', 'acr', 'login_required', 'a different authentication context class is required');
  }

  const firstParty = oidcMetadata(req.client).firstParty;
  // Like the sign-in above, consent given on the page counts only for the account that gave it:
  // switching accounts afterwards (chooser, another tab) does not carry it to the new account.
  const consented = progress.consentedSid !== null && progress.consentedSid === account.sid;
  const confirmed = progress.confirmedSid !== null && progress.confirmedSid === account.sid;
  // RFC 8252 §8.6: "the authorization server SHOULD NOT process authorization requests
  // automatically without user consent or interaction, except when the identity of the client can
  // be assured. This includes the case where the user has previously approved an authorization
  // request for a given client ID — unless the identity of the client can be proven, the request
  // SHOULD be processed as if no previous request had been approved."
  // A client known only by its metadata document was never registered here: its consent page
  // (with the document's host) is shown every time, remembered consent or not.
  const assured = metadataDocumentHost(req.client) === null && clientIdentityAssured(req.client, req.redirectUri);
  if (!consented) {
    // OIDC Core §3.1.2.1 prompt=consent: "The Authorization Server SHOULD prompt the End-User for
    // consent before returning information to the Client." Even a first-party client: it asked.
    if (req.prompt.includes('consent')) return { kind: 'interaction', page: 'consent', reason: 'prompt=consent' };
    if (!firstParty) {
      // Remembered consent is not even read for a client that cannot prove who it is.
      const remembered = assured ? await deps.consents.get(deps.tenantId, account.userId, req.client.clientId) : undefined;
      if (!consentCovers(remembered, req.scope, consentClaims(req.claims))) {
        const reason = !assured ? 'client_identity_unproven' : remembered ? 'consent_incomplete' : 'consent_missing';
        return interact('consent', reason, 'consent_required', 'the end-user has not consented to this request');
      }
    } else if (!assured && !fresh && !confirmed) {
      // A first-party client needs no consent text, but still an interaction in THIS request: a
      // sign-in during it (fresh), Continue pressed on the confirm page, or an Allow on the
      // consent page (prompt=consent; `consented` above).
      return interact('confirm', 'client_identity_unproven', 'interaction_required', 'the end-user must confirm this request in the browser');
    }
  }
  return {
    kind: 'complete',
    auth: { userId: account.userId, sid: account.sid, authTime: account.authTime, amr: account.amr, acr: account.acr },
    grantedScope: req.scope,
    rememberConsent: consented,
  };
}
