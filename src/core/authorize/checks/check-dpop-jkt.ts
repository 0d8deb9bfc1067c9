import { OAuthError } from '../../errors.ts';
import { param, type Params } from './params.ts';

/** A SHA-256 JWK thumbprint (RFC 7638 §3) in base64url: 43 characters. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/**
 * RFC 9449 §10 `dpop_jkt`: "the JWK Thumbprint [RFC7638] of the proof-of-possession public key
 * using the SHA-256 hash function" the authorization code is to be bound to. Only a response
 * type with a code has something to bind; a malformed value is invalid_request.
 */
export function checkDpopJkt(params: Params, responseType: string): string | null {
  const jkt = param(params, 'dpop_jkt');
  if (jkt === undefined || !responseType.split(' ').includes('code')) return null;
  if (!THUMBPRINT.test(jkt)) throw OAuthError.invalidRequest('dpop_jkt must be a base64url SHA-256 JWK thumbprint (43 characters)');
  return jkt;
}
