import type { KeyRing } from '../keys/key-ring.ts';
import type { IdTokenHintVerifier } from './types.ts';

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

/**
 * Verifies an `id_token_hint` (OIDC Core §3.1.2.1) or logout hint (RP-Initiated Logout §2):
 * "an ID Token previously issued by the Authorization Server". Our signature (any key still
 * published) and our `iss` are required; `exp` is not checked (§3.1.2.1: "the ID Token
 * [...] MAY have expired"). Only ID tokens count: `typ` must be JWT, so a JWT access token
 * (`at+jwt`) or a logout token (`logout+jwt`) is not taken as a hint.
 * `sub` is what the client saw (pairwise or public): compare with `IdTokenIssuer.subjectFor`.
 */
export function createIdTokenHintVerifier(keys: Pick<KeyRing, 'verify'>, config: { readonly issuer: string }): IdTokenHintVerifier {
  return {
    verify(token) {
      if (typeof token !== 'string') return null;
      const verified = keys.verify(token);
      if (!verified) return null;
      const { header, payload } = verified;
      if (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT') return null;
      if (payload.iss !== config.issuer || !isString(payload.sub)) return null;
      const aud = isString(payload.aud) ? [payload.aud] : Array.isArray(payload.aud) && payload.aud.every(isString) ? (payload.aud as string[]) : null;
      if (!aud || aud.length === 0) return null;
      return { sub: payload.sub, aud, sid: isString(payload.sid) ? payload.sid : null };
    },
  };
}
