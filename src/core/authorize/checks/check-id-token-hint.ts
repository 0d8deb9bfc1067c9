import { OAuthError } from '../../errors.ts';
import type { IdTokenHintVerifier } from '../../id-token/types.ts';
import type { Client } from '../../model/client.ts';
import { param, type Params } from './params.ts';

/** Longest hint verified (an ID token with many claims is still far shorter). */
const MAX_HINT_LENGTH = 16_384;

/**
 * OIDC Core §3.1.2.1 id_token_hint: "ID Token previously issued by the Authorization Server being
 * passed as a hint about the End-User's current or past authenticated session with the Client."
 * It must carry our signature and issuer (expiry does not matter: "the ID Token [...] MAY have
 * expired") and have been issued to this client: a hint from another client would let this one
 * probe who is signed in elsewhere, and its `sub` may be another sector's pairwise value.
 * Anything else is invalid_request. Returns the hint's `sub` (as this client sees the user).
 */
export function checkIdTokenHint(client: Client, params: Params, hints: IdTokenHintVerifier): string | null {
  const hint = param(params, 'id_token_hint');
  if (hint === undefined) return null;
  const verified = hint.length <= MAX_HINT_LENGTH ? hints.verify(hint) : null;
  if (!verified) throw OAuthError.invalidRequest('id_token_hint is not a valid ID token issued by this server');
  if (!verified.aud.includes(client.clientId)) throw OAuthError.invalidRequest('id_token_hint was not issued to this client', `client ${client.clientId}`);
  return verified.sub;
}
