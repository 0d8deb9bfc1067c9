import { OAuthError } from '../errors.ts';
import { CLIENT_AUTH_METHODS, type AccessTokenFormat, type ClientAuthMethod } from '../model/client.ts';
import { isScopeToken } from '../model/scope.ts';
import { checkJwks, checkSigningAlg } from './client-keys.ts';
import { checkRedirectUri, type ApplicationType } from './redirect-uris.ts';

/** Grant types a client may be registered for (implicit and password are never offered). */
export const SUPPORTED_GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
] as const;
export const SUPPORTED_RESPONSE_TYPES = ['code'] as const;

/** What a caller may register: the operator (CLI, bootstrap) or an anonymous DCR client. */
export interface MetadataPolicy {
  readonly grantTypes: readonly string[];
  /** Scope tokens a client may be registered for; 'any' accepts every RFC 6749 §3.3 token. */
  readonly scopes: readonly string[] | 'any';
}

export const OPERATOR_POLICY: MetadataPolicy = { grantTypes: SUPPORTED_GRANT_TYPES, scopes: 'any' };

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
  try { u = new URL(v); } catch { throw bad(`${name} must be an absolute URL`); }
  if (u.protocol !== 'https:' && (httpsOnly || u.protocol !== 'http:')) throw bad(`${name} must be an ${httpsOnly ? 'https' : 'http(s)'} URL`);
  if (u.hash || u.username || u.password) throw bad(`${name} must not contain a fragment or credentials`);
  return v;
}

/** RFC 7591 §2.1: grant_types and response_types must agree (authorization_code ⇔ code). */
function grantAndResponseTypes(raw: Record<string, unknown>, policy: MetadataPolicy): { grantTypes: string[]; responseTypes: string[] } {
  const givenGrants = optStringArray(raw, 'grant_types');
  const givenResponses = optStringArray(raw, 'response_types');
  for (const r of givenResponses ?? []) {
    if (!(SUPPORTED_RESPONSE_TYPES as readonly string[]).includes(r)) throw bad(`response type ${r} is not supported`);
  }
  // RFC 7591 §2: grant_types "If omitted, the default behavior is that the client will use only
  // the "authorization_code" Grant Type"; response_types "If omitted, the default is [code]".
  // A client that names only non-redirect grants gets no response type by default.
  const grantTypes = givenGrants ?? (givenResponses && !givenResponses.includes('code') ? [] : ['authorization_code']);
  const responseTypes = givenResponses ?? (grantTypes.includes('authorization_code') ? ['code'] : []);
  if (grantTypes.length === 0) throw bad('grant_types must name at least one grant type');
  for (const g of grantTypes) {
    if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(g)) throw bad(`grant type ${g} is not supported`);
    if (!policy.grantTypes.includes(g)) throw bad(`grant type ${g} is not allowed`);
  }
  // RFC 7591 §2.1: "the authorization server MAY allow them [inconsistent values] ... or MAY
  // return an error" — we return one: code needs authorization_code and vice versa.
  if (grantTypes.includes('authorization_code') !== responseTypes.includes('code')) {
    throw bad('grant_types authorization_code and response_types code must be registered together');
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
 * The one metadata validator (RFC 7591 §2), shared by the CLI, DCR and the bootstrap.
 * Unknown members are ignored (RFC 7591 §2: "The authorization server MUST ignore any client
 * metadata sent by the client that it does not understand"). Throws invalid_redirect_uri or
 * invalid_client_metadata (400) on the first problem; validates everything before any write.
 */
export function validateClientMetadata(raw: Readonly<Record<string, unknown>>, policy: MetadataPolicy): ClientMetadata {
  const r = raw as Record<string, unknown>;
  const applicationType = optString(r, 'application_type') ?? 'web';
  if (applicationType !== 'web' && applicationType !== 'native') throw bad('application_type must be web or native');
  const method = optString(r, 'token_endpoint_auth_method') ?? 'client_secret_basic';
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(method)) throw bad(`token_endpoint_auth_method ${method} is not supported`);
  const tokenEndpointAuthMethod = method as ClientAuthMethod;
  const { grantTypes, responseTypes } = grantAndResponseTypes(r, policy);

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
  const clientName = optString(r, 'client_name') ?? '';
  if (clientName.length > 200) throw bad('client_name is too long');

  return {
    clientName, applicationType, redirectUris, grantTypes, responseTypes, tokenEndpointAuthMethod,
    tokenEndpointAuthSigningAlg: signingAlg, scopes: scopes(r, policy), jwks, jwksUri,
    accessTokenFormat: format, extra,
  };
}
