import type { TokenView } from '../tokens/find-token.ts';

export interface IntrospectionAccessConfig {
  readonly introspection: {
    /** `own-or-audience`: tokens issued to the caller or naming it in `aud`; `any-client`: all. */
    readonly access: 'any-client' | 'own-or-audience';
    /** Client ids that may introspect every token. */
    readonly privilegedClients: readonly string[];
  };
}

/**
 * Whether `callerId` may learn about `token`. RFC 7662 §4: "the authorization server MUST
 * determine whether or not the protected resource is allowed to introspect the token"; a caller
 * that is not gets `{"active": false}` like for an unknown token, so nothing leaks.
 *
 * Under `own-or-audience` a refresh token is visible only to the client it was issued to: it is
 * never presented to a resource server, so its audience grants nothing.
 */
export function mayIntrospect(callerId: string, token: TokenView, config: IntrospectionAccessConfig): boolean {
  const rules = config.introspection;
  if (rules.access === 'any-client' || rules.privilegedClients.includes(callerId)) return true;
  if (token.clientId === callerId) return true;
  return token.kind === 'access_token' && token.audience.includes(callerId);
}
