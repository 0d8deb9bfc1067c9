// STUB — replaced by the client-auth work (helper C). Signature is the contract.
import type { Ports } from '../ports/index.ts';
import type { AuthenticatedClient, ClientAuthenticator, ClientCredentials } from './types.ts';
import { OAuthError } from '../errors.ts';

export interface ClientAuthConfig {
  readonly issuer: string;
  readonly clientAuth: { readonly assertionMaxLifetime: number; readonly clockSkew: number; readonly jwksCacheTtl: number };
}

export function createClientAuthenticator(
  deps: Pick<Ports, 'clients' | 'replay' | 'clock' | 'events'> & { readonly kek: Buffer; readonly tenantId: string },
  config: ClientAuthConfig,
): ClientAuthenticator {
  void deps; void config;
  return {
    async authenticate(_creds: ClientCredentials, _opts): Promise<AuthenticatedClient> {
      throw OAuthError.invalidClient();
    },
  };
}
