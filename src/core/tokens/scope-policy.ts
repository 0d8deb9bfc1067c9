import { OAuthError } from '../errors.ts';
import { parseScope } from '../model/scope.ts';

/**
 * Decides the scope of an access token.
 *
 * - Every requested scope must be one the client may have (`allowed`) and, when resources were
 *   requested, one at least one of them accepts (`accepted`, null = unrestricted); otherwise the
 *   request fails with invalid_scope. Nothing is silently narrowed: a client asking for a scope
 *   learns at once that it will not get it.
 * - No `scope` parameter: the default is every scope the client may have (that the requested
 *   resources accept). RFC 6749 §3.3: "If the client omits the scope parameter when requesting
 *   authorization, the authorization server MUST either process the request using a pre-defined
 *   default value or fail the request indicating an invalid scope."
 */
export function decideScope(requested: string | undefined, allowed: readonly string[], accepted: ReadonlySet<string> | null): string[] {
  const asked = parseScope(requested);
  // RFC 6749 §5.2: invalid_scope: "The requested scope is invalid, unknown, malformed, or exceeds
  // the scope granted by the resource owner."
  if (asked === null) throw OAuthError.invalidScope('scope is malformed');
  if (asked.length === 0) return accepted ? allowed.filter((s) => accepted.has(s)) : [...allowed];
  for (const s of asked) {
    if (!allowed.includes(s)) throw OAuthError.invalidScope('a requested scope is not allowed for this client', `scope ${s.slice(0, 100)}`);
    if (accepted && !accepted.has(s)) throw OAuthError.invalidScope('a requested scope is not accepted by the requested resource', `scope ${s.slice(0, 100)}`);
  }
  return asked;
}
