import { catalogClaims, createClaimCatalog, DEFAULT_CLAIM_CATALOG, type ClaimCatalogConfig } from '../claims/claim-catalog.ts';
import type { SigningAlg } from '../model/key.ts';
import { SCOPE_CLAIMS } from '../claims/scope-claims.ts';

export interface OidcDiscoveryConfig {
  readonly issuer: string;
  readonly tokens: { readonly idTokenSigningAlg: SigningAlg; readonly pairwiseSalt?: string | undefined };
  readonly keys: { readonly algorithms: readonly SigningAlg[] };
  readonly authorization: {
    readonly implicit: boolean;
    readonly allowPlainPkce: boolean;
    readonly requirePar: boolean;
    readonly allowUnsignedRequestObjects: boolean;
  };
  readonly login: { readonly acrValues: readonly string[] };
  /** The pages' languages (each shipped or completed by the operator: config validation). */
  readonly pages: { readonly locales: readonly string[] };
  /** Custom attributes and the scopes releasing them (absent: only the built-in roles and groups scopes). */
  readonly users?: ClaimCatalogConfig['users'];
  readonly claims?: ClaimCatalogConfig['claims'];
}

/**
 * Which end-user endpoints are actually served. The HTTP layer fills this from the routes that
 * exist (S17: an endpoint is advertised only when a route answers it).
 */
export interface OidcCapabilities {
  readonly authorization: boolean;
  readonly userinfo: boolean;
  readonly deviceAuthorization: boolean;
  readonly par: boolean;
  readonly endSession: boolean;
  readonly checkSession: boolean;
  readonly backchannelLogout: boolean;
  readonly frontchannelLogout: boolean;
  /** JWS algorithms accepted for JAR request objects; empty when `request` is not supported. */
  readonly requestObjectAlgs: readonly string[];
}

/** The ID token's own claims (OIDC Core §2) and the session id (Front/Back-Channel Logout). */
const ID_TOKEN_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid'] as const;

/** OIDC Core §5.4 / §5.1 claims this server can release (from the one scope → claims table), plus the ID token's own claims. */
const CLAIMS_SUPPORTED: readonly string[] = [...ID_TOKEN_CLAIMS, ...new Set(Object.values(SCOPE_CLAIMS).flat())];

const HYBRID = ['code', 'code id_token', 'code token', 'code id_token token'] as const;

/**
 * OpenID Connect Discovery 1.0 §3 members, and the RFC 8414 members of the end-user endpoints
 * (RFC 7636, RFC 9126, RFC 9101, RFC 9207, RFC 8628, the logout specifications). Merged over the
 * machine-to-machine document by the caller. Nothing is claimed that `caps` does not confirm.
 */
export function buildOidcMetadata(config: OidcDiscoveryConfig, caps: OidcCapabilities): Record<string, unknown> {
  const base = config.issuer.replace(/\/$/, '');
  const m: Record<string, unknown> = {};
  if (caps.authorization) {
    const responseTypes: string[] = [...HYBRID];
    if (config.authorization.implicit) responseTypes.push('id_token', 'id_token token');
    m.authorization_endpoint = `${base}/authorize`;
    m.response_types_supported = responseTypes;
    m.response_modes_supported = ['query', 'fragment', 'form_post'];
    m.subject_types_supported = config.tokens.pairwiseSalt ? ['public', 'pairwise'] : ['public'];
    m.id_token_signing_alg_values_supported = [config.tokens.idTokenSigningAlg, ...config.keys.algorithms.filter((a) => a !== config.tokens.idTokenSigningAlg)];
    // S17: roles, groups and every configured scope are served (docs/users.md); their claims too.
    const catalog = config.users && config.claims ? createClaimCatalog({ users: config.users, claims: config.claims }) : DEFAULT_CLAIM_CATALOG;
    m.scopes_supported = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', ...catalog.scopes.keys()];
    m.claims_supported = [...CLAIMS_SUPPORTED, ...catalogClaims(catalog)];
    m.claim_types_supported = ['normal'];
    m.claims_parameter_supported = true;
    // OIDC Discovery §3: request_uri_parameter_supported defaults to true; only PAR's URNs are
    // accepted (no fetching of client-hosted request objects), so say false explicitly.
    m.request_parameter_supported = caps.requestObjectAlgs.length > 0;
    m.request_uri_parameter_supported = false;
    if (caps.requestObjectAlgs.length > 0) {
      m.request_object_signing_alg_values_supported = config.authorization.allowUnsignedRequestObjects
        ? [...caps.requestObjectAlgs, 'none']
        : caps.requestObjectAlgs;
    }
    m.code_challenge_methods_supported = config.authorization.allowPlainPkce ? ['S256', 'plain'] : ['S256'];
    m.authorization_response_iss_parameter_supported = true;
    m.prompt_values_supported = ['none', 'login', 'consent', 'select_account'];
    m.display_values_supported = ['page', 'popup', 'touch', 'wap'];
    // OIDC Discovery §3 ui_locales_supported: "Languages and scripts supported for the user
    // interface" — exactly the languages the pages are rendered in (S17).
    m.ui_locales_supported = [...config.pages.locales];
    if (config.login.acrValues.length > 0) m.acr_values_supported = config.login.acrValues;
  }
  if (caps.userinfo) m.userinfo_endpoint = `${base}/userinfo`;
  if (caps.deviceAuthorization) m.device_authorization_endpoint = `${base}/device_authorization`;
  if (caps.par) {
    m.pushed_authorization_request_endpoint = `${base}/par`;
    m.require_pushed_authorization_requests = config.authorization.requirePar;
  }
  if (caps.endSession) m.end_session_endpoint = `${base}/end_session`;
  if (caps.checkSession) m.check_session_iframe = `${base}/session/check`;
  if (caps.backchannelLogout) {
    m.backchannel_logout_supported = true;
    m.backchannel_logout_session_supported = true;
  }
  if (caps.frontchannelLogout) {
    m.frontchannel_logout_supported = true;
    m.frontchannel_logout_session_supported = true;
  }
  return m;
}
