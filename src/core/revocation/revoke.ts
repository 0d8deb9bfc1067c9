import type { EventPublisher } from '../events.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { Client } from '../model/client.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Clock } from '../ports/clock.ts';
import type { TokenDenylist } from '../ports/token-denylist.ts';
import type { TokenStore } from '../ports/token-store.ts';
import { findToken } from '../tokens/find-token.ts';
import { revokeGrantTokens, type LifetimeConfig } from '../tokens/grant-revocation.ts';

export interface RevocationDeps {
  readonly tokens: TokenStore;
  readonly denylist: TokenDenylist;
  readonly clock: Clock;
  readonly events: EventPublisher;
  readonly keys: Pick<KeyRing, 'verifyAsync'>;
  readonly tenantId: TenantId;
}

export interface Revoker {
  /**
   * RFC 7009 §2.1: revokes `token` if it was issued to `caller`. Resolves the same way whether
   * the token was revoked, unknown, invalid, already expired or someone else's, so the response
   * says nothing about other clients' tokens.
   */
  revoke(caller: Client, token: string): Promise<void>;
}

/**
 * Token revocation (RFC 7009) for JWT and opaque access tokens and refresh tokens.
 *
 * - A JWT access token cannot be recalled, so its `jti` goes on the denylist until its `exp`;
 *   introspection then reports it inactive.
 * - A refresh token revokes its whole grant (every stored token of it). RFC 7009 §2.1: "If the
 *   particular token is a refresh token and the authorization server supports the revocation of
 *   access tokens, then the authorization server SHOULD also invalidate all access tokens based on
 *   the same authorization grant". JWT access tokens of that grant are not stored: the grant
 *   itself is denylisted (they carry `grant_id`), so introspection and UserInfo refuse them.
 * - An access token revokes only itself (the "MAY revoke the respective refresh token" of §2.1 is
 *   not taken: a resource-side leak should not log the user out).
 */
export function createRevoker(deps: RevocationDeps, config: { readonly issuer: string } & LifetimeConfig): Revoker {
  return {
    async revoke(caller, token) {
      const view = await findToken(deps, config.issuer, token);
      // RFC 7009 §2.2: "invalid tokens do not cause an error response since the client cannot
      // handle such an error in a reasonable way".
      if (!view) return;
      // RFC 7009 §2.1: "The authorization server first validates the client credentials [...]
      // and then verifies whether the token was issued to the client making the revocation
      // request. If this validation fails, the request is refused" — answered like an invalid
      // token, so a client cannot probe for others' tokens.
      if (view.clientId !== caller.clientId) return;
      const now = Math.floor(deps.clock.now() / 1000);
      const base = { tenantId: deps.tenantId, clientId: view.clientId, jti: view.jti, reason: 'revocation_endpoint' } as const;
      if (!view.record) {
        if (view.expiresAt <= now) return; // already dead: nothing to remember
        await deps.denylist.add(deps.tenantId, view.jti, view.expiresAt);
        deps.events.publish('token.revoked', { ...base, tokenType: 'access_token' });
        return;
      }
      if (view.kind === 'refresh_token') {
        const revoked = await revokeGrantTokens(deps, config, view.record.grantId, now);
        if (revoked > 0) deps.events.publish('token.revoked', { ...base, tokenType: 'refresh_token' });
        return;
      }
      const before = await deps.tokens.revoke(deps.tenantId, view.record.hash, now);
      if (before && before.revokedAt === null) deps.events.publish('token.revoked', { ...base, tokenType: 'access_token' });
    },
  };
}
