import { OAuthError } from '../../errors.ts';
import { RESPONSE_MODES, type ResponseMode } from '../types.ts';
import { param, type Params } from './params.ts';
import { normalizeResponseType, returnsTokens } from './check-response-type.ts';

const isResponseMode = (v: string): v is ResponseMode => (RESPONSE_MODES as readonly string[]).includes(v);

/**
 * OAuth 2.0 Multiple Response Type Encoding Practices §2.1 / §5: the default is `query` for
 * `code` and `fragment` for any response type that returns a token from the authorization
 * endpoint.
 */
function defaultResponseMode(responseType: string): ResponseMode {
  return returnsTokens(responseType) ? 'fragment' : 'query';
}

/**
 * The response mode (OAuth Multiple Response Types §2.1, OAuth 2.0 Form Post Response Mode).
 * Tokens never travel in the query: Multiple Response Types §2.1: "In no case should a set of
 * Authorization Response parameters whose default Response Mode is the fragment encoding be
 * encoded using the query encoding."
 */
export function checkResponseMode(params: Params, responseType: string): ResponseMode {
  const raw = param(params, 'response_mode');
  if (raw === undefined) return defaultResponseMode(responseType);
  if (!isResponseMode(raw)) throw OAuthError.invalidRequest('unsupported response_mode', `response_mode ${raw.slice(0, 50)}`);
  if (raw === 'query' && returnsTokens(responseType)) {
    throw OAuthError.invalidRequest('response_mode query cannot carry tokens; use fragment or form_post');
  }
  return raw;
}

/**
 * Where an error goes before the response type and mode are known to be valid: the requested
 * mode when it is safe, otherwise the default for what was asked (OIDC Core §3.2.2.6 / §3.3.2.6:
 * implicit and hybrid errors are returned in the fragment).
 */
export function errorResponseMode(params: Params): ResponseMode {
  const rawType = param(params, 'response_type') ?? '';
  const tokens = returnsTokens(normalizeResponseType(rawType) ?? rawType);
  const raw = param(params, 'response_mode');
  if (raw !== undefined && isResponseMode(raw) && !(raw === 'query' && tokens)) return raw;
  return tokens ? 'fragment' : 'query';
}
