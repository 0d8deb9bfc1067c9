import type { ClientAuthMethod } from '../model/client.ts';
import type { SigningAlg } from '../model/key.ts';

export interface DiscoveryConfig {
  readonly issuer: string;
  readonly tokens: { readonly accessTokenSigningAlg: SigningAlg };
  readonly keys: { readonly algorithms: readonly SigningAlg[] };
  readonly registration: { readonly enabled: boolean };
  readonly clientIdMetadataDocuments?: { readonly enabled: boolean };
}

/** What the running server can actually do, gathered by the caller from the live registries. */
export interface DiscoveryCapabilities {
  /** The token endpoint's grants (the grant registry). */
  readonly grants: readonly { readonly type: string; readonly allowsPublicClients: boolean }[];
  /** Client authentication methods the ClientAuthenticator implements (`none` included if so). */
  readonly clientAuthMethods: readonly ClientAuthMethod[];
  /** Algorithms accepted for JWT client assertions (private_key_jwt, client_secret_jwt). */
  readonly clientAuthSigningAlgs: readonly string[];
  /** RFC 9449 §5.1: JWS algorithms accepted for DPoP proofs (absent: DPoP not offered). */
  readonly dpopSigningAlgs?: readonly string[];
}

export type AuthorizationServerMetadata = Readonly<Record<string, unknown>>;

const JWT_METHODS: ReadonlySet<ClientAuthMethod> = new Set(['private_key_jwt', 'client_secret_jwt']);

/**
 * RFC 8414 §2 authorization server metadata of the machine-to-machine surface, built from config
 * and the live registries. S17: it advertises exactly what works. `response_types_supported`
 * (REQUIRED by RFC 8414 §2) is empty here; `buildOidcMetadata` (oidc-metadata.ts) replaces it
 * and adds the end-user members when the authorization endpoint is served.
 */
export function buildMetadata(config: DiscoveryConfig, caps: DiscoveryCapabilities): AuthorizationServerMetadata {
  const base = config.issuer.replace(/\/$/, '');
  const confidential = caps.clientAuthMethods.filter((m) => m !== 'none');
  const tokenMethods = caps.grants.some((g) => g.allowsPublicClients) ? caps.clientAuthMethods : confidential;
  const usesJwtAuth = (methods: readonly ClientAuthMethod[]) => methods.some((m) => JWT_METHODS.has(m)) && caps.clientAuthSigningAlgs.length > 0;
  const introspectionAlgs = [config.tokens.accessTokenSigningAlg, ...config.keys.algorithms.filter((a) => a !== config.tokens.accessTokenSigningAlg)];

  const m: Record<string, unknown> = {
    // RFC 8414 §3.3: "The "issuer" value returned MUST be identical to the authorization server's
    // issuer identifier value into which the well-known URI string was inserted".
    issuer: config.issuer,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks.json`,
    response_types_supported: [],
    grant_types_supported: caps.grants.map((g) => g.type),
    token_endpoint_auth_methods_supported: tokenMethods,
  };
  if (usesJwtAuth(tokenMethods)) m.token_endpoint_auth_signing_alg_values_supported = caps.clientAuthSigningAlgs;
  // RFC 7009 §2.1 lets a public client revoke its own tokens with its client_id.
  m.revocation_endpoint = `${base}/revoke`;
  m.revocation_endpoint_auth_methods_supported = caps.clientAuthMethods;
  if (usesJwtAuth(caps.clientAuthMethods)) m.revocation_endpoint_auth_signing_alg_values_supported = caps.clientAuthSigningAlgs;
  // Introspection is for confidential callers only (resource servers).
  m.introspection_endpoint = `${base}/introspect`;
  m.introspection_endpoint_auth_methods_supported = confidential;
  if (usesJwtAuth(confidential)) m.introspection_endpoint_auth_signing_alg_values_supported = caps.clientAuthSigningAlgs;
  // RFC 9701 (AS metadata): the JWS algorithms for JWT introspection responses.
  m.introspection_signing_alg_values_supported = introspectionAlgs;
  if (config.registration.enabled) m.registration_endpoint = `${base}/register`;
  // draft-ietf-oauth-client-id-metadata-document §5: "client_id_metadata_document_supported" —
  // only when a URL client_id is actually resolved (S17).
  if (config.clientIdMetadataDocuments?.enabled) m.client_id_metadata_document_supported = true;
  // RFC 9449 §5.1: "dpop_signing_alg_values_supported: A JSON array containing a list of the JWS
  // alg values [...] supported by the authorization server for DPoP proof JWTs."
  if (caps.dpopSigningAlgs?.length) m.dpop_signing_alg_values_supported = caps.dpopSigningAlgs;
  return m;
}
