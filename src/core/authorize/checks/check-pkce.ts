import { OAuthError } from '../../errors.ts';
import { isConfidential, type Client } from '../../model/client.ts';
import { param, type Params } from './params.ts';

/** RFC 7636 §4.2 / §4.1: 43 to 128 characters of ALPHA / DIGIT / "-" / "." / "_" / "~". */
const CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;

export interface CheckedPkce {
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: 'S256' | 'plain' | null;
}

const NONE: CheckedPkce = { codeChallenge: null, codeChallengeMethod: null };

/**
 * PKCE at the authorization endpoint (RFC 7636 §4.3, §4.4.1). Required for public clients, and
 * for every client with `authorization.pkceRequired: all` (OAuth 2.1 §4.1.1). `plain` only when
 * `authorization.allowPlainPkce` is on (RFC 9700 §2.1.1: use S256).
 */
export function checkPkce(
  client: Client,
  params: Params,
  responseType: string,
  config: { readonly authorization: { readonly pkceRequired: 'public' | 'all'; readonly allowPlainPkce: boolean } },
): CheckedPkce {
  // PKCE binds a code; a response type without one has nothing to bind.
  if (!responseType.split(' ').includes('code')) return NONE;
  const challenge = param(params, 'code_challenge');
  const method = param(params, 'code_challenge_method');
  if (challenge === undefined) {
    if (method !== undefined) throw OAuthError.invalidRequest('code_challenge_method was sent without a code_challenge');
    const required = config.authorization.pkceRequired === 'all' || !isConfidential(client);
    // RFC 7636 §4.4.1: "If the server requires Proof Key for Code Exchange (PKCE) by OAuth public
    // clients and the client does not send the "code_challenge" in the request, the authorization
    // endpoint MUST return the authorization error response with the "error" value set to
    // "invalid_request"."
    if (required) throw OAuthError.invalidRequest('code_challenge is required (PKCE, RFC 7636)');
    return NONE;
  }
  if (!CHALLENGE.test(challenge)) throw OAuthError.invalidRequest('code_challenge must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~]');
  // RFC 7636 §4.3: code_challenge_method "Defaults to "plain" if not present in the request."
  const effective = method ?? 'plain';
  // RFC 7636 §4.4.1: "If the server supporting PKCE does not support the requested
  // transformation, the authorization endpoint MUST return the authorization error response with
  // "error" value set to "invalid_request"."
  if (effective === 'S256') {
    // An S256 challenge is BASE64URL(SHA256(verifier)): exactly 43 characters.
    if (challenge.length !== 43) throw OAuthError.invalidRequest('an S256 code_challenge is 43 base64url characters');
    return { codeChallenge: challenge, codeChallengeMethod: 'S256' };
  }
  if (effective === 'plain' && config.authorization.allowPlainPkce) return { codeChallenge: challenge, codeChallengeMethod: 'plain' };
  throw OAuthError.invalidRequest(
    method === undefined ? 'code_challenge_method is required: the default (plain) is not supported, use S256' : 'transform algorithm not supported: use S256',
  );
}
