/** Private claim holding the sealed user id in tokens whose `sub` is pairwise (see user-subject.ts). */
export const SEALED_USER_CLAIM = 'sealed_uid';

/** Claim carrying the `userinfo` member of the `claims` request (OIDC Core §5.5) in access tokens. */
export const USERINFO_CLAIMS_CLAIM = 'userinfo_claims';

/**
 * Claims kept with user tokens for this server's own use (sealed user id, the UserInfo claims
 * request, refresh bookkeeping: see refresh-tokens.ts). Introspection leaves them out.
 */
export const SERVER_ONLY_CLAIMS: readonly string[] = [SEALED_USER_CLAIM, USERINFO_CLAIMS_CLAIM, 'family_iat', 'resources', 'claims_request'];
