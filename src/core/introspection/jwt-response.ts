import type { KeyRing } from '../keys/key-ring.ts';
import type { Client } from '../model/client.ts';
import type { SigningAlg } from '../model/key.ts';
import type { IntrospectionResponse } from './introspect.ts';

/** RFC 9701 §4: the media type a resource server asks for, and the response's content type. */
export const INTROSPECTION_JWT_MEDIA_TYPE = 'application/token-introspection+jwt';
/** RFC 9701 §5: the JWT `typ` header. */
export const INTROSPECTION_JWT_TYP = 'token-introspection+jwt';

export interface IntrospectionJwtConfig {
  readonly issuer: string;
  readonly tokens: { readonly accessTokenSigningAlg: SigningAlg };
  readonly keys: { readonly algorithms: readonly SigningAlg[] };
}

/**
 * The algorithm for a caller: its registered `introspection_signed_response_alg` (RFC 9701 §6)
 * when we hold a key for it, else the access-token signing algorithm.
 */
export function introspectionSigningAlg(client: Client, config: IntrospectionJwtConfig): SigningAlg {
  const wanted = client.metadata['introspection_signed_response_alg'];
  const alg = config.keys.algorithms.find((a) => a === wanted);
  return alg ?? config.tokens.accessTokenSigningAlg;
}

/**
 * RFC 9701 §5: signs an introspection response for `caller`. The JWT carries `iss`, `aud` (the
 * caller), `iat` and the response in `token_introspection`; it "SHOULD NOT include the "sub" and
 * "exp" claims" at the top level, so it cannot pass for an access token.
 */
export function signIntrospectionResponse(
  keys: Pick<KeyRing, 'signer'>,
  caller: Client,
  response: IntrospectionResponse,
  now: number,
  config: IntrospectionJwtConfig,
): string {
  const signer = keys.signer(introspectionSigningAlg(caller, config));
  const payload = { iss: config.issuer, aud: caller.clientId, iat: Math.floor(now / 1000), token_introspection: response };
  return signer.sign(payload, INTROSPECTION_JWT_TYP);
}
