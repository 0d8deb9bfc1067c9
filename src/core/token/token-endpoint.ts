import type { AuthenticatedClient } from '../client-auth/types.ts';
import { invalidDpopProof } from '../dpop/dpop-proof.ts';
import { OAuthError } from '../errors.ts';
import type { TokenGrant, TokenResponse } from './types.ts';

/** The parsed form of a token request (`readOAuthForm(body, ['resource'])`). */
export interface TokenRequestForm {
  readonly single: Readonly<Record<string, string>>;
  readonly multi: Readonly<Record<string, readonly string[]>>;
}

export interface TokenEndpoint {
  /** Every grant, keyed by wire name: what discovery advertises (S17). */
  readonly grants: ReadonlyMap<string, TokenGrant>;
  /**
   * Every parameter some grant lets repeat: the form is read with these as lists, then `handle`
   * refuses a repeat the chosen grant did not declare (so `audience` repeats for token exchange
   * and nowhere else).
   */
  readonly repeatable: readonly string[];
  /**
   * The grant named by `grant_type`, looked up before client authentication so the caller knows
   * whether a public client may use it. Throws invalid_request / unsupported_grant_type.
   */
  grantFor(grantType: string | undefined): TokenGrant;
  /**
   * Runs `grant` for an authenticated client. `dpopJkt`: the key of the request's verified DPoP
   * proof (RFC 9449 §5), or null when none was sent.
   */
  handle(grant: TokenGrant, authenticated: AuthenticatedClient, form: TokenRequestForm, dpopJkt?: string | null, address?: string): Promise<TokenResponse>;
}

const NO_RESOURCES: readonly string[] = [];
const DEFAULT_REPEATABLE: readonly string[] = ['resource'];

/** Dispatches token requests through the grant registry (S1). */
export function createTokenEndpoint(grants: ReadonlyMap<string, TokenGrant>): TokenEndpoint {
  const repeatable = [...new Set([...DEFAULT_REPEATABLE, ...[...grants.values()].flatMap((g) => g.repeatable ?? [])])];
  return {
    grants,
    repeatable,
    grantFor(grantType) {
      // RFC 6749 §4.4.2: grant_type is REQUIRED.
      if (grantType === undefined) throw OAuthError.invalidRequest('grant_type is required');
      const grant = grants.get(grantType);
      // RFC 6749 §5.2: unsupported_grant_type: "The authorization grant type is not supported by
      // the authorization server."
      if (!grant) throw OAuthError.unsupportedGrantType('grant_type is not supported');
      return grant;
    },

    async handle(grant, { client, method }, form, dpopJkt = null, address) {
      // RFC 6749 §5.2: unauthorized_client: "The authenticated client is not authorized to use
      // this authorization grant type."
      if (!client.grantTypes.includes(grant.type)) {
        throw OAuthError.unauthorizedClient('the client is not allowed to use this grant_type', `client ${client.clientId} grant ${grant.type}`);
      }
      // RFC 9449 §5.2: dpop_bound_access_tokens "If true, the authorization server MUST reject
      // token requests from this client that do not contain the DPoP header."
      if (dpopJkt === null && client.metadata['dpop_bound_access_tokens'] === true) {
        throw invalidDpopProof('this client must send a DPoP proof', `client ${client.clientId} requires DPoP`);
      }
      // RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once",
      // unless the grant declared the parameter repeatable (RFC 8707 `resource`, RFC 8693 §2.1).
      const allowed = grant.repeatable ?? DEFAULT_REPEATABLE;
      const multi: Record<string, readonly string[]> = {};
      const single: Record<string, string> = { ...form.single };
      for (const [name, values] of Object.entries(form.multi)) {
        if (allowed.includes(name)) multi[name] = values;
        else if (values.length > 1) throw OAuthError.invalidRequest(`parameter '${name}' is included more than once`);
        else if (values[0] !== undefined) single[name] = values[0];
      }
      // S1: the grant sees only the parameters it declared.
      const params: Record<string, string> = {};
      for (const name of grant.params) {
        const value = single[name];
        if (value !== undefined) params[name] = value;
      }
      return grant.handle({
        client,
        authMethod: method,
        params,
        resources: multi['resource'] ?? NO_RESOURCES,
        multi,
        dpopJkt,
        ...(address === undefined ? {} : { address }),
      });
    },
  };
}
