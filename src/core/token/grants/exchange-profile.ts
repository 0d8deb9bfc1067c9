import type { EventPublisher } from '../../events.ts';
import type { Client } from '../../model/client.ts';
import type { TenantId } from '../../model/tenant.ts';
import type { TokenView } from '../../tokens/find-token.ts';
import type { TokenResponse } from '../types.ts';

/**
 * A token-exchange profile (RFC 8693 §3 `requested_token_type`) that issues something other than
 * an access token: the ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant) and the
 * transaction token (draft-ietf-oauth-transaction-tokens). The token-exchange grant dispatches
 * to one by its requested type after the common parameter checks; the profile does its own policy.
 */
export interface ExchangeProfileRequest {
  readonly client: Client;
  readonly params: Readonly<Record<string, string>>;
  /** Every `audience` value sent (RFC 8693 §2.1: may repeat). */
  readonly audiences: readonly string[];
  /** Every `resource` value sent. */
  readonly resources: readonly string[];
  /** The client address as the trusted-proxy setting resolves it, when the route knows it. */
  readonly address: string | undefined;
  /** Seconds since the epoch (the Clock port). */
  readonly now: number;
  /**
   * Reads `subject_token` by `subject_token_type` through the exchange's own reading path
   * (signature, issuer, expiry, revocation, principals): refused with `invalid_request`.
   */
  readSubject(): Promise<TokenView>;
}

export interface ExchangeProfile {
  /** The `requested_token_type` URI it answers, also the `issued_token_type`. */
  readonly tokenType: string;
  /** Subject token types it takes (others are `invalid_request` before the token is read). */
  readonly subjectTokenTypes: readonly string[];
  /** Extra form parameters it reads (declared on the grant so the endpoint keeps them). */
  readonly params: readonly string[];
  handle(request: ExchangeProfileRequest): Promise<TokenResponse>;
}

/** `token.exchanged` for a profile's token: impersonation only (profiles take no actor token). */
export function publishProfileExchange(
  events: EventPublisher,
  tenantId: TenantId,
  e: { client: Client; subject: Pick<TokenView, 'clientId' | 'jti'>; audience: string; scope: string; jti: string; issuedTokenType: string },
): void {
  events.publish('token.exchanged', {
    tenantId,
    clientId: e.client.clientId,
    subjectClientId: e.subject.clientId,
    subjectJti: e.subject.jti,
    actorClientId: null,
    delegation: false,
    audience: [e.audience],
    scope: e.scope,
    jti: e.jti,
    issuedTokenType: e.issuedTokenType,
  });
}
