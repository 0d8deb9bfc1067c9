import { OAuthError } from '../../errors.ts';
import { param, type Params } from './params.ts';

/**
 * Longest `state` / `nonce` accepted. The specifications set no limit; these values travel back
 * in a URL (state) or are signed into an ID token (nonce), so an unbounded value would let a
 * request inflate every response. 2048 characters leaves room for a signed state.
 */
export const MAX_STATE_LENGTH = 2048;
export const MAX_NONCE_LENGTH = 2048;

/**
 * RFC 6749 §4.1.1 `state`: "RECOMMENDED. An opaque value used by the client to maintain state
 * between the request and callback." Returned exactly as received (§4.1.2: "REQUIRED if the
 * "state" parameter was present in the client authorization request. The exact value received
 * from the client."). An oversized state is refused with invalid_request, redirected to the
 * client without the state (it is not echoed back: the point of the limit).
 */
export function checkState(params: Params): string | null {
  const state = param(params, 'state');
  if (state === undefined) return null;
  if (state.length > MAX_STATE_LENGTH) throw OAuthError.invalidRequest(`state is longer than ${MAX_STATE_LENGTH} characters`);
  return state;
}

/**
 * OIDC Core §3.2.2.1 (implicit) nonce: "REQUIRED"; §3.3.2.11 (hybrid): "Use of the nonce Claim is
 * REQUIRED for this flow." So every OpenID request whose response type is not plain `code`
 * must carry one; with `code` it stays OPTIONAL (§3.1.2.1).
 */
export function checkNonce(params: Params, responseType: string, openid: boolean): string | null {
  const nonce = param(params, 'nonce');
  if (nonce !== undefined && nonce.length > MAX_NONCE_LENGTH) throw OAuthError.invalidRequest(`nonce is longer than ${MAX_NONCE_LENGTH} characters`);
  if (nonce === undefined && openid && responseType !== 'code') {
    throw OAuthError.invalidRequest(`nonce is required for response_type ${responseType}`);
  }
  return nonce ?? null;
}
