import type { Client } from '../model/client.ts';

/** Authorization request parameters, one string each (RFC 6749 §3.1: no repeats). */
export type Params = Readonly<Record<string, string>>;

/**
 * RFC 9101 (JAR) `request` parameter support, plugged in by `src/core/jar/`. Until it is, the
 * authorization endpoint answers `request_not_supported` (OIDC Core §3.1.2.6).
 */
export interface RequestObjectResolver {
  /**
   * Verifies the request object `jwt` sent by `client` (signature with the client's registered
   * keys, `iss`/`aud`/`client_id`, lifetime) and returns the authorization parameters inside it.
   * RFC 9101 §6.3: "The authorization server MUST only use the parameters in the Request Object,
   * even if the same parameter is provided in the query parameter." Throws OAuthError
   * (`invalid_request_object`) when the object is not acceptable. `outer` holds the parameters
   * sent beside the object (OIDC Core §6.1 wants `response_type` there too).
   */
  resolveRequestObject(client: Client, jwt: string, outer: Params): Promise<Params>;
}

/**
 * RFC 9126 (PAR) `request_uri` support, plugged in by `src/core/par/`. Until it is, the
 * authorization endpoint answers `request_uri_not_supported` (OIDC Core §3.1.2.6).
 */
export interface PushedRequestTaker {
  /**
   * Takes, once (RFC 9126 §4: single use), the request `client` pushed under `requestUri` and
   * returns its parameters. Throws OAuthError (`invalid_request_uri`) when the URI is unknown,
   * expired, already used or was pushed by another client.
   */
  takePushedRequest(client: Client, requestUri: string): Promise<Params>;
}
