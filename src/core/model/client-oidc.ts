import type { Client } from './client.ts';

/**
 * OpenID Connect client metadata (OIDC Registration §2, RP-Initiated / Back-Channel /
 * Front-Channel Logout, RFC 9126, RFC 9101) kept in `Client.metadata` under the wire names, so
 * new metadata needs no migration. Read it only through `oidcMetadata` (defaults applied here).
 */
export interface OidcClientMetadata {
  readonly applicationType: 'web' | 'native';
  /** Gatehouse extension `first_party`: trusted first-party app, consent is skipped. */
  readonly firstParty: boolean;
  readonly postLogoutRedirectUris: readonly string[];
  readonly backchannelLogoutUri: string | null;
  readonly backchannelLogoutSessionRequired: boolean;
  readonly frontchannelLogoutUri: string | null;
  readonly frontchannelLogoutSessionRequired: boolean;
  readonly idTokenSignedResponseAlg: string | null;
  readonly subjectType: 'public' | 'pairwise' | null;
  readonly sectorIdentifierUri: string | null;
  readonly requirePushedAuthorizationRequests: boolean;
  readonly requestObjectSigningAlg: string | null;
  readonly defaultMaxAge: number | null;
  readonly requireAuthTime: boolean;
  /**
   * Gatehouse extension `strict_assertion_audience`: this client's JWT assertions must name the
   * issuer identifier as their sole `aud` (draft-ietf-oauth-rfc7523bis), whatever endpoint they
   * are sent to. See src/core/client-auth/assertion-audience.ts.
   */
  readonly strictAssertionAudience: boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const strs = (v: unknown): readonly string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function oidcMetadata(client: Pick<Client, 'metadata'>): OidcClientMetadata {
  const m = client.metadata;
  const subjectType = m['subject_type'];
  const maxAge = m['default_max_age'];
  return {
    applicationType: m['application_type'] === 'native' ? 'native' : 'web',
    firstParty: m['first_party'] === true,
    postLogoutRedirectUris: strs(m['post_logout_redirect_uris']),
    backchannelLogoutUri: str(m['backchannel_logout_uri']),
    backchannelLogoutSessionRequired: m['backchannel_logout_session_required'] === true,
    frontchannelLogoutUri: str(m['frontchannel_logout_uri']),
    frontchannelLogoutSessionRequired: m['frontchannel_logout_session_required'] === true,
    idTokenSignedResponseAlg: str(m['id_token_signed_response_alg']),
    subjectType: subjectType === 'pairwise' || subjectType === 'public' ? subjectType : null,
    sectorIdentifierUri: str(m['sector_identifier_uri']),
    requirePushedAuthorizationRequests: m['require_pushed_authorization_requests'] === true,
    requestObjectSigningAlg: str(m['request_object_signing_alg']),
    defaultMaxAge: typeof maxAge === 'number' && Number.isInteger(maxAge) && maxAge >= 0 ? maxAge : null,
    requireAuthTime: m['require_auth_time'] === true,
    strictAssertionAudience: m['strict_assertion_audience'] === true,
  };
}
