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
}

/** One grant type (S1, S2): registered in a Map by its wire name. */
export interface TokenGrant {
  readonly type: string;
  /** Parameters the grant reads; everything else is dropped before `handle`. */
  readonly params: readonly string[];
  /** Whether a public client (auth method `none`) may use it. */
  readonly allowsPublicClients: boolean;
  handle(ctx: GrantContext): Promise<TokenResponse>;
}
