import { recognizedParams } from '../authorize/authorization-params.ts';
import type { Params } from '../authorize/request-sources.ts';
import { OAuthError } from '../errors.ts';

/** Bytes a stored parameter set takes: its JSON text in UTF-8, as the SQL stores keep it. */
export function storedSize(params: Params): number {
  return Buffer.byteLength(JSON.stringify(params), 'utf8');
}

/**
 * The parameters of a validated pushed request that are stored until its request_uri comes back.
 *
 * RFC 9126 §2.1: the authorization server "MUST [...] validate the pushed request as it would an
 * authorization request sent to the authorization endpoint", and there RFC 6749 §3.1 holds: "The
 * authorization server MUST ignore unrecognized request parameters." So only the parameters the
 * authorization endpoint reads are kept (`AUTHORIZATION_PARAMS`); the rest of the push is dropped.
 *
 * What is kept is bounded by `maxBytes` (`authorization.parMaxStoredBytes`, S20): each value has
 * its own limit where the endpoint sets one (state, nonce, scope, resource, id_token_hint…), this
 * caps their sum and the values without one (claims). A larger request is refused with
 * invalid_request and nothing is stored. Throws OAuthError.
 */
export function storedParams(params: Params, maxBytes: number): Record<string, string> {
  const kept = { ...recognizedParams(params) };
  const size = storedSize(kept);
  if (size > maxBytes) {
    throw OAuthError.invalidRequest('the pushed authorization request is too large', `${size} bytes to store, limit ${maxBytes}`);
  }
  return kept;
}
