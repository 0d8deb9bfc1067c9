import { readFile } from 'node:fs/promises';
import { GatehouseError } from '../../core/errors.ts';

/**
 * Client metadata as command-line flags: `clients create` and `clients update` read the same
 * flags into RFC 7591 / OIDC Registration §2 members. Only the shape is built here; the
 * application layer validates (src/core/registration/client-metadata.ts).
 */
export const METADATA_OPTIONS = {
  name: { type: 'string' },
  'grant-types': { type: 'string' },
  'redirect-uris': { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  scopes: { type: 'string' },
  scope: { type: 'string' },
  'token-endpoint-auth-method': { type: 'string' },
  'jwks-uri': { type: 'string' },
  jwks: { type: 'string' },
  'application-type': { type: 'string' },
  'access-token-format': { type: 'string' },
  'response-types': { type: 'string' },
  'post-logout-redirect-uris': { type: 'string' },
  'first-party': { type: 'boolean' },
  'backchannel-logout-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean' },
  'frontchannel-logout-uri': { type: 'string' },
  'frontchannel-logout-session-required': { type: 'boolean' },
  'id-token-signed-response-alg': { type: 'string' },
  'subject-type': { type: 'string' },
  'sector-identifier-uri': { type: 'string' },
  'request-object-signing-alg': { type: 'string' },
  'require-par': { type: 'boolean' },
  'default-max-age': { type: 'string' },
  'require-auth-time': { type: 'boolean' },
  'strict-assertion-audience': { type: 'boolean' },
  /** RFC 9449 §5.2 `dpop_bound_access_tokens`: token requests without a DPoP proof are refused. */
  'dpop-bound-access-tokens': { type: 'boolean' },
  /** Gatehouse `claim_mappings`: inline JSON (starting with `{`) or a FILE holding it (docs/users.md). */
  'claim-mappings': { type: 'string' },
  /** Gatehouse `token_exchange` (RFC 8693 policy): inline JSON (docs/token-exchange.md). */
  'token-exchange': { type: 'string' },
  /** `clients update`: removes a member (its default applies again); repeatable. */
  unset: { type: 'string', multiple: true },
} as const;

/** OpenID Connect flags stored as-is under their wire names (OIDC Registration §2 and the logout specs). */
const OIDC_STRING_FLAGS = {
  'backchannel-logout-uri': 'backchannel_logout_uri',
  'frontchannel-logout-uri': 'frontchannel_logout_uri',
  'id-token-signed-response-alg': 'id_token_signed_response_alg',
  'subject-type': 'subject_type',
  'sector-identifier-uri': 'sector_identifier_uri',
  'request-object-signing-alg': 'request_object_signing_alg',
} as const;
const OIDC_BOOLEAN_FLAGS = {
  'first-party': 'first_party',
  'backchannel-logout-session-required': 'backchannel_logout_session_required',
  'frontchannel-logout-session-required': 'frontchannel_logout_session_required',
  'require-par': 'require_pushed_authorization_requests',
  'require-auth-time': 'require_auth_time',
  'strict-assertion-audience': 'strict_assertion_audience',
  'dpop-bound-access-tokens': 'dpop_bound_access_tokens',
} as const;

const list = (v: string | undefined) => (v === undefined ? undefined : v.split(/[,\s]+/).filter(Boolean));

/** The metadata members the flags set (`--name` is required for create only); `--unset m` gives `m: null`. */
export async function metadataFromFlags(values: Record<string, unknown>, opts: { readonly create: boolean }): Promise<Record<string, unknown>> {
  const v = values as Partial<Record<keyof typeof METADATA_OPTIONS, string>> & { 'redirect-uri'?: string[] };
  if (opts.create && !v.name) throw new GatehouseError('GH_CLI_USAGE', 'clients create needs --name');
  if (v.scope !== undefined && v.scopes !== undefined) throw new GatehouseError('GH_CLI_USAGE', 'use --scope or --scopes, not both');
  if (v.jwks !== undefined && v['jwks-uri'] !== undefined) throw new GatehouseError('GH_CLI_USAGE', 'use --jwks or --jwks-uri, not both');
  const m: Record<string, unknown> = v.name === undefined ? {} : { client_name: v.name };
  const grants = list(v['grant-types']);
  if (grants) m['grant_types'] = grants;
  const redirects = [...(list(v['redirect-uris']) ?? []), ...(v['redirect-uri'] ?? [])];
  if (redirects.length) m['redirect_uris'] = redirects;
  const scopes = v.scope !== undefined ? v.scope.split(' ').filter(Boolean) : list(v.scopes);
  if (scopes) m['scope'] = scopes.join(' ');
  if (v['token-endpoint-auth-method']) m['token_endpoint_auth_method'] = v['token-endpoint-auth-method'];
  if (v['jwks-uri']) m['jwks_uri'] = v['jwks-uri'];
  if (v['application-type']) m['application_type'] = v['application-type'];
  if (v['access-token-format']) m['access_token_format'] = v['access-token-format'];
  if (v['response-types'] !== undefined)
    m['response_types'] = v['response-types']
      .split(',')
      .map((t) => t.trim().split(/\s+/).join(' '))
      .filter(Boolean);
  const postLogout = list(v['post-logout-redirect-uris']);
  if (postLogout) m['post_logout_redirect_uris'] = postLogout;
  for (const [flag, name] of Object.entries(OIDC_STRING_FLAGS)) {
    const value = (values as Record<string, unknown>)[flag];
    if (typeof value === 'string') m[name] = value;
  }
  for (const [flag, name] of Object.entries(OIDC_BOOLEAN_FLAGS)) {
    if ((values as Record<string, unknown>)[flag] === true) m[name] = true;
  }
  if (v['default-max-age'] !== undefined) {
    if (!/^\d{1,9}$/.test(v['default-max-age'])) throw new GatehouseError('GH_CLI_USAGE', '--default-max-age takes a whole number of seconds');
    m['default_max_age'] = Number(v['default-max-age']);
  }
  if (v.jwks !== undefined) {
    try {
      m['jwks'] = JSON.parse(await readFile(v.jwks, 'utf8')) as unknown;
    } catch (e) {
      throw new GatehouseError('GH_CLI_USAGE', `--jwks ${v.jwks}: cannot read a JSON Web Key Set (${(e as Error).message})`);
    }
  }
  const mappings = v['claim-mappings'];
  if (mappings !== undefined) {
    const inline = mappings.trimStart().startsWith('{');
    try {
      m['claim_mappings'] = JSON.parse(inline ? mappings : await readFile(mappings, 'utf8')) as unknown;
    } catch (e) {
      throw new GatehouseError('GH_CLI_USAGE', `--claim-mappings ${inline ? '' : `${mappings}: `}cannot read a JSON object (${(e as Error).message})`);
    }
  }
  const exchange = v['token-exchange'];
  if (exchange !== undefined) {
    try {
      m['token_exchange'] = JSON.parse(exchange) as unknown;
    } catch (e) {
      throw new GatehouseError('GH_CLI_USAGE', `--token-exchange cannot read a JSON object (${(e as Error).message})`);
    }
  }
  for (const member of (values['unset'] as string[] | undefined) ?? []) {
    if (opts.create) throw new GatehouseError('GH_CLI_USAGE', '--unset applies to `clients update` only');
    if (member in m) throw new GatehouseError('GH_CLI_USAGE', `--unset ${member} contradicts a flag that sets it`);
    m[member] = null;
  }
  return m;
}
