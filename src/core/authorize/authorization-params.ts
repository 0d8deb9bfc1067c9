import type { Params } from './request-sources.ts';

/**
 * The authorization request parameters the authorization endpoint's checks read once the request
 * source is resolved (./resolve-request.ts; `request` and `request_uri` are resolved before and
 * never carried on). Everything a resolved request means is in these: a request rebuilt from
 * them (a pushed request at /authorize, a page's interaction) is judged exactly as the original.
 * authorization-params.test.ts fails when a check reads a parameter missing here.
 */
export const AUTHORIZATION_PARAMS = [
  // RFC 6749 §4.1.1 / OIDC Core §3.1.2.1
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'response_mode',
  'nonce',
  'display',
  'prompt',
  'max_age',
  'ui_locales',
  'id_token_hint',
  'login_hint',
  'acr_values',
  // OIDC Core §5.5, RFC 8707 §2, RFC 7636 §4.3
  'claims',
  'resource',
  'code_challenge',
  'code_challenge_method',
  // RFC 9449 §10
  'dpop_jkt',
] as const;

export type AuthorizationParam = (typeof AUTHORIZATION_PARAMS)[number];

const KNOWN: ReadonlySet<string> = new Set<string>(AUTHORIZATION_PARAMS);

/**
 * Only the parameters this server understands, in a prototype-free record.
 *
 * RFC 6749 §3.1: "The authorization server MUST ignore unrecognized request parameters." An
 * unrecognized parameter changes nothing about the request, so nothing that keeps a request for
 * later (a pushed request, RFC 9126 §2.1) needs to keep it either.
 */
export function recognizedParams(params: Params): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(params)) if (KNOWN.has(k)) out[k] = v;
  return out;
}
