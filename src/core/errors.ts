import { challenge, type ChallengeScheme } from './www-authenticate.ts';

/**
 * The one protocol error (S7). `detail` is private: it reaches logs and events, never the wire.
 */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'invalid_token',
  'insufficient_scope',
  'invalid_redirect_uri',
  'invalid_client_metadata',
  'unsupported_token_type',
  'access_denied',
  'server_error',
  'temporarily_unavailable',
  // OAuth 2.0 §4.1.2.1 / OIDC Core §3.1.2.6 authorization errors
  'unsupported_response_type',
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
  'invalid_request_uri',
  'invalid_request_object',
  'request_not_supported',
  'request_uri_not_supported',
  // RFC 8628 §3.5 device flow polling
  'authorization_pending',
  'slow_down',
  'expired_token',
  // RFC 9449 §5, §7.1, §8 DPoP
  'invalid_dpop_proof',
  'use_dpop_nonce',
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_redirect_uri: 400,
  invalid_client_metadata: 400,
  unsupported_token_type: 400,
  access_denied: 403,
  server_error: 500,
  temporarily_unavailable: 503,
  unsupported_response_type: 400,
  login_required: 400,
  consent_required: 400,
  interaction_required: 400,
  account_selection_required: 400,
  invalid_request_uri: 400,
  invalid_request_object: 400,
  request_not_supported: 400,
  request_uri_not_supported: 400,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
};

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;
  /** Safe, human-readable text for the wire (`error_description`). */
  readonly description: string | undefined;
  /** Private detail for logs/events; never rendered. */
  readonly detail: string | undefined;
  /** Extra response headers (e.g. WWW-Authenticate). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: OAuthErrorCode, description?: string, opts: { detail?: string; status?: number; headers?: Record<string, string> } = {}) {
    super(description ? `${code}: ${description}` : code);
    this.name = 'OAuthError';
    this.code = code;
    this.status = opts.status ?? STATUS[code];
    this.description = description;
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
  }

  static invalidRequest(d?: string, detail?: string) {
    return new OAuthError('invalid_request', d, { detail });
  }
  /**
   * RFC 6749 §5.2: 401 with WWW-Authenticate. `scheme` is the scheme the client tried (Basic when
   * it used the Authorization header); without one, Basic is still advertised.
   */
  static invalidClient(d = 'client authentication failed', detail?: string, scheme: ChallengeScheme = 'Basic') {
    return new OAuthError('invalid_client', d, {
      detail,
      headers: { 'www-authenticate': challenge(scheme, { realm: 'gatehouse', error: 'invalid_client' }) },
    });
  }
  static invalidGrant(d?: string, detail?: string) {
    return new OAuthError('invalid_grant', d, { detail });
  }
  static unauthorizedClient(d?: string, detail?: string) {
    return new OAuthError('unauthorized_client', d, { detail });
  }
  static unsupportedGrantType(d?: string) {
    return new OAuthError('unsupported_grant_type', d);
  }
  static invalidScope(d?: string, detail?: string) {
    return new OAuthError('invalid_scope', d, { detail });
  }
  static invalidTarget(d?: string, detail?: string) {
    return new OAuthError('invalid_target', d, { detail });
  }
  /** RFC 6750 §3.1: 401 with a Bearer challenge (values cleaned to the §3 grammar by `challenge`). */
  static invalidToken(d?: string, detail?: string) {
    return new OAuthError('invalid_token', d, {
      detail,
      headers: { 'www-authenticate': challenge('Bearer', { error: 'invalid_token', error_description: d || undefined }) },
    });
  }
  /** RFC 6750 §3.1: 403 with a Bearer challenge naming the scope needed. */
  static insufficientScope(d: string, scope: string) {
    return new OAuthError('insufficient_scope', d, {
      headers: { 'www-authenticate': challenge('Bearer', { error: 'insufficient_scope', error_description: d, scope }) },
    });
  }
  static invalidRedirectUri(d?: string) {
    return new OAuthError('invalid_redirect_uri', d);
  }
  static invalidClientMetadata(d?: string) {
    return new OAuthError('invalid_client_metadata', d);
  }
  static unsupportedTokenType(d?: string) {
    return new OAuthError('unsupported_token_type', d);
  }
  static accessDenied(d?: string) {
    return new OAuthError('access_denied', d);
  }
  static serverError(detail?: string) {
    return new OAuthError('server_error', 'internal error', { detail });
  }
  static temporarilyUnavailable(d?: string) {
    return new OAuthError('temporarily_unavailable', d);
  }
  /** Any code without a dedicated factory (authorization and device-flow codes). */
  static of(code: OAuthErrorCode, d?: string, detail?: string) {
    return new OAuthError(code, d, { detail });
  }

  toJSON(): { error: OAuthErrorCode; error_description?: string } {
    return this.description ? { error: this.code, error_description: this.description } : { error: this.code };
  }
}

/**
 * Non-protocol error codes (S7): a closed union, each listed in docs/errors.md (a test checks
 * both directions). Add a code here, to the status switch below and to the doc together.
 */
export const GATEHOUSE_ERROR_CODES = [
  'GH_CONFIG_INVALID',
  'GH_CLI_USAGE',
  'GH_INVALID_INPUT',
  'GH_FORBIDDEN',
  'GH_NOT_FOUND',
  'GH_CONFLICT',
  'GH_PRECONDITION_FAILED',
  'GH_CLIENT_NOT_FOUND',
  'GH_CLIENT_NO_SECRET',
  'GH_USER_INVALID',
  'GH_USER_NOT_FOUND',
  'GH_STORE_UNAVAILABLE',
  'GH_BUSY',
  'GH_MIGRATION_FAILED',
  'GH_KEK_INVALID',
  'GH_KEK_DECRYPT_FAILED',
  'GH_KEYS_NOT_LOADED',
  'GH_KEYS_ALG_NOT_CONFIGURED',
  'GH_KEY_INVALID',
  'GH_AUDIT_FAILED',
  'GH_AUDIT_CHAIN_BROKEN',
  'GH_INTERNAL',
] as const;
export type GatehouseErrorCode = (typeof GATEHOUSE_ERROR_CODES)[number];

/**
 * The HTTP status an interface (admin API, MCP over HTTP) answers for a code. The `switch` has
 * no default: a new code that is not placed here fails the type-check.
 */
export function gatehouseErrorStatus(code: GatehouseErrorCode): number {
  switch (code) {
    case 'GH_CLI_USAGE':
    case 'GH_INVALID_INPUT':
    case 'GH_USER_INVALID':
    case 'GH_CLIENT_NO_SECRET':
    case 'GH_KEYS_ALG_NOT_CONFIGURED':
      return 400;
    case 'GH_FORBIDDEN':
      return 403;
    case 'GH_NOT_FOUND':
    case 'GH_CLIENT_NOT_FOUND':
    case 'GH_USER_NOT_FOUND':
      return 404;
    case 'GH_CONFLICT':
      return 409;
    case 'GH_PRECONDITION_FAILED':
      return 412;
    case 'GH_STORE_UNAVAILABLE':
    case 'GH_BUSY':
    case 'GH_KEYS_NOT_LOADED':
    case 'GH_AUDIT_FAILED':
      return 503;
    case 'GH_CONFIG_INVALID':
    case 'GH_MIGRATION_FAILED':
    case 'GH_KEK_INVALID':
    case 'GH_KEK_DECRYPT_FAILED':
    case 'GH_KEY_INVALID':
    case 'GH_AUDIT_CHAIN_BROKEN':
    case 'GH_INTERNAL':
      return 500;
  }
}

/** Non-protocol errors carry stable codes listed in docs/errors.md. */
export class GatehouseError extends Error {
  readonly code: GatehouseErrorCode;
  constructor(code: GatehouseErrorCode, message: string) {
    super(message);
    this.name = 'GatehouseError';
    this.code = code;
  }
}
