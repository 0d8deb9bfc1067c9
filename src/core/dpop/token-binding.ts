import { OAuthError } from '../errors.ts';
import type { Confirmation } from '../model/token.ts';

/**
 * RFC 9449 §7.1 at a protected resource, once the proof is verified: the access token and the
 * scheme it came with must agree. `jkt` is the key of the request's verified DPoP proof (null
 * when the token came as Bearer). Throws invalid_token.
 */
export function checkTokenBinding(cnf: Confirmation | null, jkt: string | null): void {
  const boundTo = cnf?.jkt;
  if (jkt === null) {
    // RFC 9449 §7.2: a DPoP-bound access token is not a bearer token; "the resource server
    // MUST reject" it presented with the Bearer scheme.
    if (boundTo !== undefined) throw OAuthError.invalidToken('a DPoP-bound access token must be sent with the DPoP scheme and a proof');
    return;
  }
  // RFC 9449 §7.1: "the resource server MUST [...] confirm that the public key to which the
  // access token is bound matches the public key from the DPoP proof". An unbound token sent
  // with the DPoP scheme has no key to match.
  if (boundTo === undefined) throw OAuthError.invalidToken('the access token is not DPoP-bound: send it with the Bearer scheme');
  if (boundTo !== jkt) throw OAuthError.invalidToken('the DPoP proof key does not match the key the access token is bound to');
}
