import { sha256, safeEqual } from '../crypto.ts';
import { OAuthError } from '../errors.ts';

/** RFC 7636 §4.1: code-verifier = 43*128unreserved; unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** RFC 7636 §4.1 syntax of a `code_verifier`; checked before the code is touched. */
export function checkVerifierSyntax(verifier: string | undefined): void {
  if (verifier !== undefined && !VERIFIER.test(verifier)) {
    throw OAuthError.invalidRequest('code_verifier must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~]');
  }
}

/**
 * RFC 7636 §4.6 server verification of a redeemed code's PKCE binding. Comparison is constant
 * time. The challenge is what was stored at authorization (S256 = BASE64URL(SHA256(verifier))).
 */
export function verifyPkce(
  stored: { readonly codeChallenge: string | null; readonly codeChallengeMethod: 'S256' | 'plain' | null },
  verifier: string | undefined,
): void {
  if (stored.codeChallenge === null) {
    // RFC 9700 §2.1.1: "Authorization servers MUST mitigate PKCE Downgrade Attacks by ensuring
    // that a token request containing a code_verifier parameter is accepted only if a
    // code_challenge parameter was present in the authorization request".
    if (verifier !== undefined) throw OAuthError.invalidGrant('code_verifier was sent but the authorization request had no code_challenge');
    return;
  }
  // RFC 7636 §4.5: code_verifier is REQUIRED when a challenge was sent; §4.6: "If the values are
  // not equal, an error response indicating "invalid_grant" [...] MUST be returned."
  if (verifier === undefined) throw OAuthError.invalidGrant('code_verifier is required: the authorization request had a code_challenge');
  const derived = stored.codeChallengeMethod === 'plain' ? verifier : sha256(verifier);
  if (!safeEqual(derived, stored.codeChallenge)) throw OAuthError.invalidGrant('code_verifier does not match the code_challenge');
}
