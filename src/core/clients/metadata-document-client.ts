import { OAuthError } from '../errors.ts';
import type { Client } from '../model/client.ts';
import type { TenantId } from '../model/tenant.ts';
import { isAdminScope } from '../tokens/admin-scopes.ts';
import { serverMetadataPolicy, validateClientMetadata, type MetadataPolicy, type MetadataServerConfig } from '../registration/client-metadata.ts';
import { isLoopbackHttp } from '../registration/redirect-uris.ts';
import { MetadataDocumentError } from './client-id-url.ts';

/**
 * The member of `Client.metadata` that marks a client resolved from a metadata document, holding
 * the host its client_id URL names. Set only here: the metadata validator never lets a
 * registration (CLI or DCR) carry it, since it understands no such member.
 */
export const METADATA_DOCUMENT_MEMBER = 'client_id_metadata_document_host';

/** The host of a metadata-document client (shown on the consent page), or null for a registered one. */
export function metadataDocumentHost(client: Pick<Client, 'metadata'>): string | null {
  const v = client.metadata[METADATA_DOCUMENT_MEMBER];
  return typeof v === 'string' ? v : null;
}

export interface MetadataDocumentPolicy extends MetadataServerConfig {
  readonly clientIdMetadataDocuments: {
    readonly redirectUris: 'same-host-or-loopback' | 'any';
    readonly allowedScopes: readonly string[];
  };
}

// offline_access: the refresh_token grant is allowed, and an OpenID client asks for it by this scope.
const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
/** Grant types such a public client may use: it has no credential for anything else. */
const GRANT_TYPES = ['authorization_code', 'refresh_token'];

function allowedScopes(policy: MetadataDocumentPolicy): string[] {
  const configured = policy.clientIdMetadataDocuments.allowedScopes;
  return (configured.length ? configured : DEFAULT_SCOPES).filter((s) => !isAdminScope(s));
}

function documentPolicy(policy: MetadataDocumentPolicy): MetadataPolicy {
  return {
    ...serverMetadataPolicy(policy),
    // The code flow only: no implicit or hybrid answers to a client nobody registered.
    responseTypes: ['code'],
    grantTypes: GRANT_TYPES,
    scopes: allowedScopes(policy),
    firstParty: false,
    claimSources: null,
  };
}

/**
 * A fetched metadata document as a public client, or a MetadataDocumentError. The draft's rules
 * (§4.1): the document's `client_id` "MUST" equal the URL it was fetched from (simple string
 * comparison); shared-secret authentication is not possible (no secret was ever exchanged), so
 * `client_secret`/`client_secret_expires_at` are refused and the methods accepted are `none`
 * (absent means `none`) and `private_key_jwt` with the document's `jwks` or `jwks_uri`; everything else is the RFC 7591 metadata validator's, with the policy of
 * an unregistered client (code flow, refresh, the configured scopes, never first-party).
 */
export function clientFromDocument(tenantId: TenantId, url: URL, doc: unknown, policy: MetadataDocumentPolicy, now: number): Client {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new MetadataDocumentError('not_json', 'the document is not a JSON object');
  const raw = { ...(doc as Record<string, unknown>) };
  if (raw['client_id'] !== url.href) throw new MetadataDocumentError('client_id_mismatch', 'client_id in the document differs from its URL');
  if (raw['client_secret'] !== undefined || raw['client_secret_expires_at'] !== undefined) {
    throw new MetadataDocumentError('confidential', 'the document carries a client secret');
  }
  const method = raw['token_endpoint_auth_method'] ?? 'none';
  if (method !== 'none' && method !== 'private_key_jwt') {
    throw new MetadataDocumentError('confidential', `token_endpoint_auth_method ${String(method).slice(0, 40)} (none or private_key_jwt only)`);
  }
  delete raw['client_id'];
  raw['token_endpoint_auth_method'] = method;
  raw['grant_types'] ??= ['authorization_code'];
  let m: ReturnType<typeof validateClientMetadata>;
  try {
    m = validateClientMetadata(raw, documentPolicy(policy));
  } catch (e) {
    if (e instanceof OAuthError) throw new MetadataDocumentError('invalid_metadata', e.description ?? e.code);
    throw e;
  }
  if (policy.clientIdMetadataDocuments.redirectUris === 'same-host-or-loopback') {
    for (const uri of m.redirectUris) {
      const r = new URL(uri);
      const sameHost = r.protocol === 'https:' && r.hostname === url.hostname;
      if (!sameHost && !isLoopbackHttp(r)) throw new MetadataDocumentError('redirect_uri_not_allowed', `redirect URI on ${r.host.slice(0, 100)}`);
    }
  }
  return {
    tenantId,
    clientId: url.href,
    clientName: m.clientName || url.host,
    secretHash: null,
    secretEncrypted: null,
    secretExpiresAt: null,
    tokenEndpointAuthMethod: m.tokenEndpointAuthMethod,
    tokenEndpointAuthSigningAlg: m.tokenEndpointAuthSigningAlg,
    grantTypes: m.grantTypes,
    responseTypes: m.responseTypes,
    redirectUris: m.redirectUris,
    // Without a `scope` member the client may ask for what the policy allows.
    scopes: m.scopes.length ? m.scopes : allowedScopes(policy),
    jwks: m.jwks,
    jwksUri: m.jwksUri,
    accessTokenFormat: null,
    metadata: { ...m.extra, [METADATA_DOCUMENT_MEMBER]: url.host },
    registrationAccessTokenHash: null,
    disabled: false,
    createdAt: now,
    updatedAt: now,
  };
}
