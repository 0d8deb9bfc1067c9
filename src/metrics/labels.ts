import { CLIENT_AUTH_METHODS } from '../core/model/client.ts';

/**
 * Label values must come from small fixed sets: every distinct value is a new time series in
 * Prometheus, so free text (error details, URLs, client ids) never becomes a label.
 */

/** `reason` values of `oauth2_failed_auth_total`. */
export const AUTH_FAILURE_REASONS = [
  'unknown_client',
  'client_disabled',
  'invalid_secret',
  'invalid_assertion',
  'assertion_replayed',
  'expired',
  'method_not_allowed',
  'missing_credentials',
  'malformed',
  'other',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

const REASON_SET: ReadonlySet<string> = new Set(AUTH_FAILURE_REASONS);

/** First match wins: the order settles overlaps ("assertion expired" is `expired`). */
const REASON_RULES: readonly (readonly [RegExp, AuthFailureReason])[] = [
  [/disabled|inactive/i, 'client_disabled'],
  [/unknown client|client not found|no such client|client does not exist/i, 'unknown_client'],
  [/malformed|base64|cannot parse|not form-urlencoded/i, 'malformed'],
  [/replay|already used|reused/i, 'assertion_replayed'],
  [/expire/i, 'expired'],
  [/method|not allowed|unsupported|public client|registered for/i, 'method_not_allowed'],
  [/assertion|signature|jw[tsk]|\baud(ience)?\b|\biss(uer)?\b|\bkid\b|\balg\b|\bsub\b|\bnbf\b|\biat\b/i, 'invalid_assertion'],
  [/secret|password|mismatch|wrong/i, 'invalid_secret'],
  [/missing|absent|no client authentication|no credentials|required/i, 'missing_credentials'],
];

/**
 * Maps the free-text `reason` of a `client_auth.failed` event to a bounded label. A publisher
 * that already sends one of AUTH_FAILURE_REASONS keeps it; anything else is classified by
 * keyword, and what matches nothing is `other`.
 */
export function authFailureReason(reason: string): AuthFailureReason {
  const code = reason.trim().toLowerCase();
  if (REASON_SET.has(code)) return code as AuthFailureReason;
  for (const [pattern, label] of REASON_RULES) if (pattern.test(reason)) return label;
  return 'other';
}

/** The registered auth methods, plus `jwt_assertion` (an assertion whose client is not yet known). */
const METHOD_SET: ReadonlySet<string> = new Set([...CLIENT_AUTH_METHODS, 'jwt_assertion']);

/** `method` label of `oauth2_failed_auth_total`: a known auth method, `unknown` or `other`. */
export function authMethodLabel(method: string | null): string {
  if (method === null || method === '') return 'unknown';
  return METHOD_SET.has(method) ? method : 'other';
}

const HTTP_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** `method` label of the request histogram: the usual verbs, anything else is `OTHER`. */
export function httpMethodLabel(method: string): string {
  return HTTP_METHODS.has(method) ? method : 'OTHER';
}

/** Grant types are wire names of registered grants; anything odd-looking is `other`. */
export function grantTypeLabel(grantType: string): string {
  return /^[\w:.-]{1,100}$/.test(grantType) ? grantType : 'other';
}
