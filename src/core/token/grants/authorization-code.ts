import { sha256 } from '../../crypto.ts';
import { invalidDpopProof } from '../../dpop/dpop-proof.ts';
import { OAuthError } from '../../errors.ts';
import type { AuthorizationCodeRecord } from '../../model/authorization-code.ts';
import type { Client } from '../../model/client.ts';
import { parseScope } from '../../model/scope.ts';
import type { Clock } from '../../ports/clock.ts';
import type { CodeStore } from '../../ports/code-store.ts';
import type { Random } from '../../ports/random.ts';
import type { UserStore } from '../../ports/user-store.ts';
import { revokeWholeGrant, type GrantRevocationDeps, type LifetimeConfig } from '../../tokens/grant-revocation.ts';
import { checkVerifierSyntax, verifyPkce } from '../pkce.ts';
import { createTimeOrderedIds } from '../../tokens/random-ids.ts';
import type { RefreshMintConfig } from '../../tokens/refresh-tokens.ts';
import type { TokenGrant } from '../types.ts';
import { issueUserGrantTokens, narrowResources, planUserGrant, type UserGrantDeps } from '../../tokens/user-grant-tokens.ts';

export interface AuthorizationCodeGrantDeps extends Omit<UserGrantDeps, 'id' | 'tokens'>, GrantRevocationDeps {
  readonly codes: Pick<CodeStore, 'find' | 'take'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly tokens: UserGrantDeps['tokens'] & GrantRevocationDeps['tokens'];
  readonly clock: Clock;
  readonly random: Random;
  readonly config: RefreshMintConfig & LifetimeConfig;
}

/** Longest `code` value looked up (ours are 43 characters). */
const MAX_CODE_LENGTH = 512;

/**
 * OIDC Core §11: refresh tokens for OpenID requests only with `offline_access`; for plain OAuth
 * whenever the client may use the refresh_token grant.
 */
export function mayRefresh(client: Pick<Client, 'grantTypes'>, scope: readonly string[]): boolean {
  if (!client.grantTypes.includes('refresh_token')) return false;
  return !scope.includes('openid') || scope.includes('offline_access');
}

/**
 * RFC 6749 §4.1.3 the authorization_code grant, with PKCE (RFC 7636 §4.5) and one atomic
 * `take` of the code (S4). Public clients may use it (OAuth 2.1 §4.1.3, PKCE protects them).
 *
 * Order (docs/tokens.md): the code is read (`find`, which spends nothing); a used code is reuse;
 * then the checks that reveal an attack (another client's code, an expired code, another
 * redirect_uri, a wrong PKCE verifier) spend it before refusing; then the request errors the
 * client can correct (a missing redirect_uri, `resource`, scope, its ID token alg) and the user
 * are judged without spending it; only then is it taken, in the one compare-and-set of S4.
 */
export function createAuthorizationCodeGrant(deps: AuthorizationCodeGrantDeps): TokenGrant {
  const id = createTimeOrderedIds(deps.random, deps.clock);
  const { config } = deps;
  const reuse = async (record: AuthorizationCodeRecord, now: number): Promise<never> => {
    // RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization
    // server MUST deny the request and SHOULD revoke (when possible) all tokens previously
    // issued based on that authorization code."
    await revokeWholeGrant(deps, config, { grantId: record.grantId, clientId: record.clientId, now, reason: 'code_reuse' });
    throw OAuthError.invalidGrant('the authorization code has already been used', `code reuse, grant revoked for client ${record.clientId}`);
  };
  /** Refuses with `error` after spending the code (a concurrent take that won makes this a reuse). */
  const spend = async (record: AuthorizationCodeRecord, now: number, error: OAuthError): Promise<never> => {
    const taken = await deps.codes.take(deps.tenantId, record.hash, now);
    if (taken.result === 'already-consumed') return reuse(taken.record, now);
    throw error;
  };

  return {
    type: 'authorization_code',
    params: ['code', 'redirect_uri', 'code_verifier'],
    allowsPublicClients: true,
    async handle({ client, params, resources, dpopJkt = null }) {
      const { code, code_verifier: verifier } = params;
      // RFC 6749 §4.1.3: code is REQUIRED.
      if (code === undefined) throw OAuthError.invalidRequest('code is required');
      checkVerifierSyntax(verifier);
      const now = Math.floor(deps.clock.now() / 1000);
      if (code.length > MAX_CODE_LENGTH) throw OAuthError.invalidGrant('the authorization code is invalid');
      const record = await deps.codes.find(deps.tenantId, sha256(code));
      if (!record) throw OAuthError.invalidGrant('the authorization code is invalid');
      if (record.consumedAt !== null) return reuse(record, now);

      // Spent on failure: these are what an attacker holding a stolen or injected code gets
      // wrong, not mistakes a client corrects, so the code must not survive a try.
      // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated
      // confidential client, or if the client is public, ensure that the code was issued to
      // "client_id" in the request".
      if (record.clientId !== client.clientId) {
        return spend(record, now, OAuthError.invalidGrant('the authorization code was not issued to this client', `code of ${record.clientId}`));
      }
      // RFC 6749 §4.1.2: "The authorization code MUST expire shortly after it is issued".
      if (record.expiresAt <= now) return spend(record, now, OAuthError.invalidGrant('the authorization code has expired'));
      // RFC 6749 §4.1.3: "if included ensure that their values are identical" (redirect_uri).
      if (params.redirect_uri !== undefined && params.redirect_uri !== record.redirectUri) {
        return spend(record, now, OAuthError.invalidGrant('redirect_uri does not match the authorization request'));
      }
      // RFC 7636 §4.6: "If the values are not equal, an error response indicating
      // "invalid_grant" as described in Section 4.1.3 of [RFC6749] MUST be returned." A wrong
      // verifier is someone without the client's secret trying the code: it is spent.
      try {
        verifyPkce(record, verifier);
      } catch (e) {
        return spend(record, now, e as OAuthError);
      }
      // RFC 9449 §10: with dpop_jkt, "the authorization server [...] MUST ensure that the key
      // [...] of the DPoP proof [in the token request] matches the dpop_jkt value". A proof with
      // another key is someone else's code: it is spent. A missing proof is a request the client
      // corrects (invalid_dpop_proof, code kept).
      const boundTo = record.cnf?.jkt;
      if (boundTo !== undefined) {
        if (dpopJkt === null) throw invalidDpopProof('the authorization code is bound to a DPoP key: send a DPoP proof');
        if (dpopJkt !== boundTo)
          return spend(record, now, OAuthError.invalidGrant('the DPoP proof key does not match the dpop_jkt of the authorization request'));
      }

      // Not spent on failure: the client can correct these and retry with the same code (RFC
      // 8707 §2: a `resource` the grant does not cover is invalid_target, an error about the
      // request, not the grant). A retry must not look like a reuse and revoke the grant.
      checkRedirectUriPresent(client, record, params.redirect_uri);
      const scope = parseScope(record.scope) ?? [];
      const plan = planUserGrant(deps, { client, grantedScope: scope, requestedScope: undefined, resources: narrowResources(resources, record.resources) });
      const user = await deps.users.get(deps.tenantId, record.auth.userId);
      if (!user || user.disabled) throw OAuthError.invalidGrant('the user is no longer available', `user ${record.auth.userId}`);

      // S4: the one compare-and-set; of concurrent redemptions exactly one wins, the others are reuse.
      const taken = await deps.codes.take(deps.tenantId, record.hash, now);
      if (taken.result === 'already-consumed') return reuse(taken.record, now);
      if (taken.result === 'not-found') throw OAuthError.invalidGrant('the authorization code is invalid', 'code vanished before the take');
      return issueUserGrantTokens({ ...deps, id }, config, {
        client,
        grantType: 'authorization_code',
        user,
        grantedScope: scope,
        plan,
        grantId: record.grantId,
        nonce: record.nonce,
        snapshot: { auth: record.auth, resources: record.resources, claims: record.claims, familyIat: now },
        refresh: mayRefresh(client, scope) ? { parentHash: null } : null,
        dpopJkt,
        now,
      });
    },
  };
}

/**
 * RFC 6749 §4.1.3: redirect_uri is "REQUIRED, if the "redirect_uri" parameter was included in the
 * authorization request". The stored code keeps the URI used, not whether it was sent, so it
 * counts as sent for OpenID requests (OIDC Core §3.1.2.1 makes it REQUIRED there) and whenever the
 * client has several registered URIs (the authorization endpoint cannot pick one without it).
 * A missing one is invalid_request (the client can add it); a different one is judged above.
 */
function checkRedirectUriPresent(client: Client, record: { readonly redirectUri: string; readonly scope: string }, sent: string | undefined): void {
  if (sent !== undefined) return;
  const wasRequired = record.scope.split(' ').includes('openid') || client.redirectUris.length !== 1 || client.redirectUris[0] !== record.redirectUri;
  if (wasRequired) throw OAuthError.invalidRequest('redirect_uri is required: it was part of the authorization request');
}
