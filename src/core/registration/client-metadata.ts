import { mappableSources } from '../claims/claim-catalog.ts';
import { checkClaimMappings } from '../claims/claim-mappings.ts';
import type { AttributeDefinitions } from '../users/user-attributes.ts';
import { ASYMMETRIC_ALGS } from '../client-auth/assertion-algorithms.ts';
import { OAuthError } from '../errors.ts';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../json-depth.ts';
import { CLIENT_AUTH_METHODS, type AccessTokenFormat, type ClientAuthMethod } from '../model/client.ts';
import { SIGNING_ALGS } from '../model/key.ts';
import { isScopeToken } from '../model/scope.ts';
import { checkTokenExchangeMetadata } from '../token/grants/token-exchange.ts';
import { checkJwks, checkSigningAlg } from './client-keys.ts';
import { checkOidcMetadata } from './oidc-client-metadata.ts';
import { checkRedirectUri, type ApplicationType } from './redirect-uris.ts';
import { CODE_AND_HYBRID_RESPONSE_TYPES, grantAndResponseTypes, IMPLICIT_RESPONSE_TYPES } from './response-types.ts';

/**
 * Grant types of the token endpoint a client may be registered for: those it implements (password
 * is never offered). The RFC 7523 JWT bearer grant is registrable always; the token endpoint
 * serves it only when `trustedIssuers` has an entry for it (docs/jwt-bearer.md).
 */
export const SUPPORTED_GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
] as const;
/**
 * `implicit` is registrable only beside a response type that returns tokens from the
 * authorization endpoint (hybrid, or id_token when enabled), as OIDC Registration §2 requires;
 * it is never a token endpoint grant.
 */
export const REGISTRABLE_GRANT_TYPES = [...SUPPORTED_GRANT_TYPES, 'implicit'] as const;

/** What a caller may register: the operator (CLI, bootstrap) or an anonymous DCR client. */
export interface MetadataPolicy {
  readonly grantTypes: readonly string[];
  /** Scope tokens a client may be registered for; 'any' accepts every RFC 6749 §3.3 token. */
  readonly scopes: readonly string[] | 'any';
  /** Response types the server serves (canonical order): code and hybrid, plus implicit ones when enabled. */
  readonly responseTypes: readonly string[];
  /** Algorithms the server signs ID tokens with (`keys.algorithms`). */
  readonly idTokenAlgs: readonly string[];
  /** Algorithms accepted on JAR request objects; `none` only with `authorization.allowUnsignedRequestObjects`. */
  readonly requestObjectAlgs: readonly string[];
  /** `pairwise` only when `tokens.pairwiseSalt` is set. */
  readonly subjectTypes: readonly ('public' | 'pairwise')[];
  /** Development only: http logout URIs on loopback addresses (confidential clients). */
  readonly loopbackHttpLogoutUris: boolean;
  /** May mark a client `first_party` (consent skipped): the operator yes, DCR never. */
  readonly firstParty: boolean;
  /**
   * Sources a `claim_mappings` entry may name (roles, groups, configured attributes): the
   * operator only. Null for DCR, which may not set or change the mapping (it could release
   * claims under other names or into tokens the operator did not choose).
   */
  readonly claimSources: readonly string[] | null;
  /** RFC 7592 update: the operator's mapping stays when the client omits it or sends it back unchanged. */
  readonly keepClaimMappings?: unknown;
}

/** The server settings that bound what any client may register. */
export interface MetadataServerConfig {
  readonly env: 'development' | 'production';
  readonly keys: { readonly algorithms: readonly string[] };
  readonly tokens: { readonly pairwiseSalt?: string | undefined };
  readonly authorization: { readonly implicit: boolean; readonly allowUnsignedRequestObjects: boolean };
  /** Custom attributes (`users.attributes`): what `claim_mappings` may name besides roles and groups. */
  readonly users?: { readonly attributes?: AttributeDefinitions | undefined } | undefined;
  /**
   * Trusted external issuers (config `trustedIssuers`): the JWT bearer grant is registrable only
   * when an entry allows `jwt-bearer` or `id-jag` (S17: the token endpoint serves it only then).
   * Absent (tools without a config): registrable.
   */
  readonly trustedIssuers?: readonly { readonly uses: readonly string[] }[] | undefined;
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The grant types the token endpoint serves under this config (the JWT bearer grant needs a trusted issuer). */
export function servedGrantTypes(config: MetadataServerConfig): readonly string[] {
  if (config.trustedIssuers === undefined || config.trustedIssuers.some((e) => e.uses.includes('jwt-bearer') || e.uses.includes('id-jag'))) {
    return REGISTRABLE_GRANT_TYPES;
  }
  return REGISTRABLE_GRANT_TYPES.filter((g) => g !== JWT_BEARER);
}

/** The server-wide part of a policy, from config (S17: only what actually works). */
export function serverMetadataPolicy(config: MetadataServerConfig): Omit<MetadataPolicy, 'grantTypes' | 'scopes' | 'firstParty' | 'claimSources'> {
  return {
    responseTypes: [...CODE_AND_HYBRID_RESPONSE_TYPES, ...(config.authorization.implicit ? IMPLICIT_RESPONSE_TYPES : [])],
    idTokenAlgs: config.keys.algorithms,
    requestObjectAlgs: config.authorization.allowUnsignedRequestObjects ? [...ASYMMETRIC_ALGS, 'none'] : ASYMMETRIC_ALGS,
    subjectTypes: config.tokens.pairwiseSalt ? ['public', 'pairwise'] : ['public'],
    loopbackHttpLogoutUris: config.env === 'development',
  };
}

/** The operator (CLI, development bootstrap): every grant type, any scope, first-party allowed. */
export function operatorPolicy(config: MetadataServerConfig): MetadataPolicy {
  return {
    ...serverMetadataPolicy(config),
    grantTypes: servedGrantTypes(config),
    scopes: 'any',
    firstParty: true,
    claimSources: mappableSources(config.users?.attributes ?? {}),
  };
}

/**
 * The operator under development defaults with every signing algorithm and pairwise subjects,
 * for tests and tools that have no config at hand. The CLI, the bootstrap and DCR derive their
 * policy from the running config instead.
 */
export const OPERATOR_POLICY: MetadataPolicy = operatorPolicy({
  env: 'development',
  keys: { algorithms: SIGNING_ALGS },
  tokens: { pairwiseSalt: 'policy-only' },
  authorization: { implicit: false, allowUnsignedRequestObjects: false },
});

/** Validated, typed client metadata (RFC 7591 §2), ready to become a `Client`. */
export interface ClientMetadata {
  readonly clientName: string;
  readonly applicationType: ApplicationType;
  readonly redirectUris: readonly string[];
  readonly grantTypes: readonly string[];
  readonly responseTypes: readonly string[];
  readonly tokenEndpointAuthMethod: ClientAuthMethod;
  readonly tokenEndpointAuthSigningAlg: string | null;
  readonly scopes: readonly string[];
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] } | null;
  readonly jwksUri: string | null;
  readonly accessTokenFormat: AccessTokenFormat | null;
  /** Other understood members (client_uri, logo_uri, contacts, …), echoed back verbatim. */
  readonly extra: Readonly<Record<string, unknown>>;
}

const bad = (d: string) => OAuthError.invalidClientMetadata(d);

function optString(raw: Record<string, unknown>, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${name} must be a string`);
  if (v.length > 2000) throw bad(`${name} is too long`);
  return v;
}

function optStringArray(raw: Record<string, unknown>, name: string, max = 100): string[] | undefined {
  const v = raw[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 2000)) {
    throw bad(`${name} must be an array of non-empty strings`);
  }
  if (v.length > max) throw bad(`${name} has more than ${max} entries`);
  return [...new Set(v as string[])];
}

function httpUrl(raw: Record<string, unknown>, name: string, httpsOnly: boolean): string | undefined {
  const v = optString(raw, name);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw bad(`${name} must be an absolute URL`);
  }
  if (u.protocol !== 'https:' && (httpsOnly || u.protocol !== 'http:')) throw bad(`${name} must be an ${httpsOnly ? 'https' : 'http(s)'} URL`);
  if (u.hash || u.username || u.password) throw bad(`${name} must not contain a fragment or credentials`);
  return v;
}

function grantTypesAndResponseTypes(raw: Record<string, unknown>, policy: MetadataPolicy): { grantTypes: string[]; responseTypes: string[] } {
  const { grantTypes, responseTypes } = grantAndResponseTypes(optStringArray(raw, 'grant_types'), optStringArray(raw, 'response_types'), policy.responseTypes);
  if (grantTypes.length === 0) throw bad('grant_types must name at least one grant type');
  for (const g of grantTypes) {
    if (!(REGISTRABLE_GRANT_TYPES as readonly string[]).includes(g)) throw bad(`grant type ${g} is not supported`);
    if (!policy.grantTypes.includes(g)) {
      throw bad(g === JWT_BEARER ? `grant type ${g} is not allowed: no trustedIssuers entry allows jwt-bearer or id-jag` : `grant type ${g} is not allowed`);
    }
  }
  return { grantTypes, responseTypes };
}

function scopes(raw: Record<string, unknown>, policy: MetadataPolicy): string[] {
  const s = optString(raw, 'scope');
  if (s === undefined || s === '') return [];
  // RFC 7591 §2: scope is "a string containing a space-separated list of scope values".
  const list = [...new Set(s.split(' '))];
  for (const t of list) {
    if (!isScopeToken(t)) throw bad('scope must be space-separated RFC 6749 §3.3 scope tokens');
    if (policy.scopes !== 'any' && !policy.scopes.includes(t)) throw bad(`scope ${t} is not allowed`);
  }
  return list;
}

/**
 * The one metadata validator (RFC 7591 §2 + OIDC Registration §2), shared by the CLI, DCR and the bootstrap.
 * Unknown members are ignored (RFC 7591 §2: "The authorization server MUST ignore any client
 * metadata sent by the client that it does not understand"). Throws invalid_redirect_uri or
 * invalid_client_metadata (400) on the first problem; validates everything before any write.
 */
export function validateClientMetadata(raw: Readonly<Record<string, unknown>>, policy: MetadataPolicy): ClientMetadata {
  const r = raw as Record<string, unknown>;
  // Before any member is read: a value nested thousands of levels deep parses, but overflows the
  // stack of whatever serialises or compares it later (src/core/json-depth.ts).
  if (jsonTooDeep(r)) throw bad(`client metadata must not nest deeper than ${MAX_JSON_DEPTH} levels`);
  const applicationType = optString(r, 'application_type') ?? 'web';
  if (applicationType !== 'web' && applicationType !== 'native') throw bad('application_type must be web or native');
  const method = optString(r, 'token_endpoint_auth_method') ?? 'client_secret_basic';
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(method)) throw bad(`token_endpoint_auth_method ${method} is not supported`);
  const tokenEndpointAuthMethod = method as ClientAuthMethod;
  const { grantTypes, responseTypes } = grantTypesAndResponseTypes(r, policy);

  const redirectUris = (optStringArray(r, 'redirect_uris') ?? []).map((u) => checkRedirectUri(u, applicationType));
  // RFC 7591 §2: "Clients using flows with redirection MUST register their redirection URI values."
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw OAuthError.invalidRedirectUri('redirect_uris is required for the authorization_code grant');
  }
  // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients."
  if (grantTypes.includes('client_credentials') && tokenEndpointAuthMethod === 'none') {
    throw bad('client_credentials requires a confidential token_endpoint_auth_method');
  }

  const jwksUri = httpUrl(r, 'jwks_uri', true) ?? null;
  const jwks = r['jwks'] === undefined || r['jwks'] === null ? null : checkJwks(r['jwks']);
  // RFC 7591 §2: "The "jwks_uri" and "jwks" parameters MUST NOT both be present".
  if (jwks && jwksUri) throw bad('jwks and jwks_uri must not both be present');
  if (tokenEndpointAuthMethod === 'private_key_jwt' && !jwks && !jwksUri) throw bad('private_key_jwt requires jwks or jwks_uri');
  const signingAlg = optString(r, 'token_endpoint_auth_signing_alg') ?? null;
  if (signingAlg !== null) checkSigningAlg(signingAlg, tokenEndpointAuthMethod);

  const format = optString(r, 'access_token_format') ?? null;
  if (format !== null && format !== 'jwt' && format !== 'opaque') throw bad('access_token_format must be jwt or opaque');

  const extra: Record<string, unknown> = { application_type: applicationType };
  for (const name of ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const) {
    const v = httpUrl(r, name, false);
    if (v !== undefined) extra[name] = v;
  }
  const contacts = optStringArray(r, 'contacts', 20);
  if (contacts) extra['contacts'] = contacts;
  for (const name of ['software_id', 'software_version'] as const) {
    const v = optString(r, name);
    if (v !== undefined) extra[name] = v;
  }
  // OIDC Registration §2 application_type: "Web Clients using the OAuth Implicit Grant Type MUST
  // only register URLs using the https scheme as redirect_uris; they MUST NOT use localhost".
  if (
    applicationType === 'web' &&
    grantTypes.includes('implicit') &&
    redirectUris.some((u) => !u.startsWith('https:') || new URL(u).hostname === 'localhost')
  ) {
    throw OAuthError.invalidRedirectUri('a web client using implicit or hybrid response types must register https redirect URIs, not localhost');
  }
  Object.assign(
    extra,
    checkOidcMetadata(r, {
      policy,
      applicationType,
      redirectUris,
      confidential: tokenEndpointAuthMethod !== 'none',
      hasKeys: jwks !== null || jwksUri !== null,
    }),
  );
  const mappings = claimMappingsMember(r, policy);
  if (mappings !== undefined) extra['claim_mappings'] = mappings;
  // RFC 8693 policy (docs/token-exchange.md): whose tokens the client may exchange and for which
  // audiences. It widens what a client can reach, so only the operator sets it.
  const exchange = r['token_exchange'];
  if (exchange !== undefined && exchange !== null) {
    if (!policy.firstParty) throw bad('token_exchange can be set only by the operator');
    const problem = checkTokenExchangeMetadata(exchange);
    if (problem) throw bad(problem);
    extra['token_exchange'] = exchange;
  }
  const clientName = optString(r, 'client_name') ?? '';
  if (clientName.length > 200) throw bad('client_name is too long');

  return {
    clientName,
    applicationType,
    redirectUris,
    grantTypes,
    responseTypes,
    tokenEndpointAuthMethod,
    tokenEndpointAuthSigningAlg: signingAlg,
    scopes: scopes(r, policy),
    jwks,
    jwksUri,
    accessTokenFormat: format,
    extra,
  };
}

/**
 * Gatehouse `claim_mappings` (src/core/claims/claim-mappings.ts): the operator sets it; dynamic
 * registration may not, but an RFC 7592 update that omits it or sends back the stored value
 * keeps the operator's mapping (the client echoes what it read).
 */
function claimMappingsMember(r: Record<string, unknown>, policy: MetadataPolicy): unknown {
  const raw = r['claim_mappings'];
  if (policy.claimSources === null) {
    const kept = policy.keepClaimMappings;
    if (raw === undefined || raw === null) return kept;
    if (kept !== undefined && JSON.stringify(raw) === JSON.stringify(kept)) return kept;
    throw bad('claim_mappings can be set only by the operator');
  }
  if (raw === undefined || raw === null) return undefined;
  return checkClaimMappings(raw, policy.claimSources, bad);
}
