import type { ClaimCatalog } from '../claims/claim-catalog.ts';
import { OAuthError } from '../errors.ts';
import type { IdTokenHintVerifier, IdTokenIssuer } from '../id-token/types.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Ports } from '../ports/index.ts';
import type { AccessTokenIssuer } from '../tokens/issue-access-token.ts';
import { withAdminResources } from '../tokens/admin-scopes.ts';
import { createResourceRegistry } from '../tokens/resource-indicators.ts';
import type { UserSubjects } from '../tokens/user-subject.ts';
import { asAuthorizationError, AuthorizationError } from './authorization-error.ts';
import type { AuthorizeConfig } from './checks/params.ts';
import { complete } from './complete.ts';
import { decide } from './decide.ts';
import type { PushedRequestTaker, RequestObjectResolver } from './request-sources.ts';
import { resolveRequest } from './resolve-request.ts';
import type { AuthorizationService } from './types.ts';

export type { AuthorizeConfig } from './checks/params.ts';

/** What the authorization endpoint uses (S6), plus the issuers it mints with. */
export type AuthorizationDeps = Pick<Ports, 'clients' | 'users' | 'consents' | 'sessions' | 'codes' | 'clock' | 'random' | 'events'> & {
  readonly tenantId: TenantId;
  readonly idTokens: Pick<IdTokenIssuer, 'issue' | 'subjectFor'>;
  readonly idTokenHints: IdTokenHintVerifier;
  readonly accessTokens: AccessTokenIssuer;
  /** `sub` (and sealed user id, when pairwise) of access tokens, as the token endpoint issues them. */
  readonly subjects: Pick<UserSubjects, 'forToken'>;
  /** Roles, groups and custom attributes by scope (access tokens issued at the authorization endpoint). */
  readonly claimCatalog?: ClaimCatalog;
  /** RFC 9101 request objects; without it `request` is answered with request_not_supported. */
  readonly requestObjects?: RequestObjectResolver | undefined;
  /** RFC 9126 pushed requests; without it `request_uri` is answered with request_uri_not_supported. */
  readonly pushedRequests?: PushedRequestTaker | undefined;
};

/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2): `resolve` runs the ordered checks
 * (./resolve-request.ts), `decide` weighs the browser session (./decide.ts), `complete` mints the
 * response (./complete.ts). Every failure is an `AuthorizationError` and is published as
 * `authorization.denied` (with the private detail, never sent to the browser).
 */
export function createAuthorizationService(deps: AuthorizationDeps, config: AuthorizeConfig): AuthorizationService {
  const resources = createResourceRegistry(withAdminResources(config));
  const resolveDeps = { ...deps, resources };

  async function reported<T>(clientId: string | null, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (e instanceof AuthorizationError) {
        deps.events.publish('authorization.denied', {
          tenantId: deps.tenantId,
          clientId,
          error: e.error.code,
          redirected: e.redirect !== null,
          detail: e.error.detail ?? e.error.description,
        });
      }
      throw e;
    }
  }

  return {
    resolve(raw, opts) {
      const clientId = typeof raw['client_id'] === 'string' && raw['client_id'].length <= 255 ? raw['client_id'] : null;
      return reported(clientId, () => resolveRequest(resolveDeps, config, raw, opts));
    },
    decide(req, session, progress) {
      return reported(req.client.clientId, () => decide(deps, config, req, session, progress));
    },
    complete(req, decision, opts) {
      // A token that cannot be minted goes back to the client. The issuers' invalid_grant (the user
      // was disabled meanwhile) is not an authorization endpoint code: it reads access_denied.
      const target = { redirectUri: req.redirectUri, responseMode: req.responseMode, state: req.state };
      return reported(req.client.clientId, () =>
        complete(deps, config, req, decision, opts).catch((e: unknown) => {
          const error =
            e instanceof OAuthError && e.code === 'invalid_grant' ? OAuthError.of('access_denied', 'the end-user is no longer available', e.detail) : e;
          throw asAuthorizationError(error, target);
        }),
      );
    },
  };
}
