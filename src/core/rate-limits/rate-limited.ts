import { OAuthError } from '../errors.ts';
import type { LimitRefusal } from './endpoint-limits.ts';

/**
 * The 429 of a limit. RFC 6749 defines no error code for it; `temporarily_unavailable` is the
 * registered code that means "try again later" (RFC 6749 §4.1.2.1: "unable to handle the request
 * due to a temporary overloading"), so clients retry instead of treating the request as wrong;
 * the status (429, RFC 6585 §4) and `Retry-After` say when. `RateLimit-Policy` and `RateLimit`
 * follow draft-ietf-httpapi-ratelimit-headers (-10/-11): quota `q` per window `w` seconds, `r`
 * remaining (0) and `t` seconds until the window resets.
 */
export function rateLimited(r: LimitRefusal): OAuthError {
  return new OAuthError('temporarily_unavailable', 'too many requests, retry later', {
    status: 429,
    detail: `rate limit ${r.policy}`,
    headers: {
      'retry-after': String(r.retryAfter),
      'ratelimit-policy': `"${r.policy}";q=${r.limit};w=${r.window}`,
      ratelimit: `"${r.policy}";r=0;t=${r.retryAfter}`,
    },
  });
}
