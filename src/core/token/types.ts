import type { TokenResponse } from '../tokens/types.ts';
export type { TokenResponse } from '../tokens/types.ts';
import type { Client, ClientAuthMethod } from '../model/client.ts';

export interface GrantContext {
  readonly client: Client;
  readonly authMethod: ClientAuthMethod;
  /** Single-valued parameters the grant declared (undeclared ones were dropped, S1). */
  readonly params: Readonly<Record<string, string>>;
  /** RFC 8707 `resource` values (may repeat). */
  readonly resources: readonly string[];
  /**
   * Every value of each parameter the grant declared repeatable (`repeatable`), `resource`
   * included; absent names were not sent.
   */
  readonly multi?: Readonly<Record<string, readonly string[]>>;
  /**
   * RFC 9449: the JWK thumbprint of the valid DPoP proof sent with the request (the tokens are
   * bound to it, `cnf.jkt`); null or absent when none was sent.
   */
  readonly dpopJkt?: string | null;
  /** The client's address as `http.trustProxy` resolves it (transaction tokens' `rctx.req_ip`). */
  readonly address?: string;
}

/** One grant type (S1, S2): registered in a Map by its wire name. */
export interface TokenGrant {
  readonly type: string;
  /** Parameters the grant reads; everything else is dropped before `handle`. */
  readonly params: readonly string[];
  /**
   * Parameters that may appear more than once (default: RFC 8707 `resource` only). RFC 6749 §3.1:
   * "Request and response parameters MUST NOT be included more than once"; an extension may say
   * otherwise for its own parameters (RFC 8693 §2.1 `audience` and `resource`).
   */
  readonly repeatable?: readonly string[];
  /** Whether a public client (auth method `none`) may use it. */
  readonly allowsPublicClients: boolean;
  handle(ctx: GrantContext): Promise<TokenResponse>;
}
