import type { AccessTokenIssuer } from '../../tokens/issue-access-token.ts';
import type { TokenGrant } from '../types.ts';

export interface ClientCredentialsDeps {
  readonly accessTokens: AccessTokenIssuer;
}

/**
 * RFC 6749 §4.4: the client_credentials grant. The client acts on its own behalf, so the
 * subject is the client itself and no refresh token is issued.
 */
export function createClientCredentialsGrant(deps: ClientCredentialsDeps): TokenGrant {
  return {
    type: 'client_credentials',
    params: ['scope'],
    // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients."
    allowsPublicClients: false,
    async handle({ client, params, resources, dpopJkt }) {
      const plan = deps.accessTokens.plan(client, params.scope, resources);
      // RFC 9449 §6: a DPoP-bound token carries the proof key's thumbprint as cnf.jkt.
      const cnf = dpopJkt ? { jkt: dpopJkt } : null;
      const issued = await deps.accessTokens.issue({ plan, grantType: 'client_credentials', subject: client.clientId, cnf });
      // RFC 6749 §4.4.3: "A refresh token SHOULD NOT be included."
      return {
        access_token: issued.token,
        // RFC 9449 §5.1: "token_type ... DPoP" for a DPoP-bound access token.
        token_type: cnf ? 'DPoP' : 'Bearer',
        expires_in: issued.expiresIn,
        ...(issued.scope ? { scope: issued.scope } : {}),
      };
    },
  };
}
