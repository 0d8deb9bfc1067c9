import { opaqueTokenKey } from '../../crypto.ts';
import { invalidDpopProof } from '../../dpop/dpop-proof.ts';
import { OAuthError } from '../../errors.ts';
import { parseScope } from '../../model/scope.ts';
import type { TokenRecord } from '../../model/token.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import type { TokenStore } from '../../ports/token-store.ts';
import type { UserStore } from '../../ports/user-store.ts';
import { revokeWholeGrant, type GrantRevocationDeps, type LifetimeConfig } from '../../tokens/grant-revocation.ts';
import { createTimeOrderedIds } from '../../tokens/random-ids.ts';
import { readSnapshot, type RefreshMintConfig } from '../../tokens/refresh-tokens.ts';
import type { TokenGrant } from '../types.ts';
import { issueUserGrantTokens, narrowResources, planUserGrant, type UserGrantDeps } from '../../tokens/user-grant-tokens.ts';

export interface RefreshTokenGrantDeps extends Omit<UserGrantDeps, 'id' | 'tokens'>, GrantRevocationDeps {
  readonly tokens: Pick<TokenStore, 'insert' | 'find' | 'consume' | 'revokeGrant'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly clock: Clock;
  readonly random: Random;
  readonly config: RefreshMintConfig & LifetimeConfig;
}

/** Refresh tokens are 43 characters of base64url; anything much longer is not ours. */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

const invalid = (detail: string) => OAuthError.invalidGrant('the refresh token is invalid, expired or revoked', detail);

/**
 * RFC 6749 §6 the refresh_token grant with rotation (RFC 9700 §4.14.2): every use consumes the
 * presented token in one atomic call (S4) and issues its successor in the same family (grant).
 * Presenting a token that was already rotated revokes the whole family. The family never
 * outlives `tokens.refreshTokenAbsoluteTtl` from the original authorization. Public clients may
 * refresh (OAuth 2.1 §4.3): rotation is what protects their tokens.
 */
export function createRefreshTokenGrant(deps: RefreshTokenGrantDeps): TokenGrant {
  const id = createTimeOrderedIds(deps.random, deps.clock);
  const { config } = deps;
  const reuse = async (record: TokenRecord, now: number): Promise<never> => {
    // RFC 9700 §4.14.2: "If a refresh token is compromised and subsequently used by both the
    // attacker and the legitimate client, one of them will present an invalidated refresh token,
    // which will inform the authorization server of the breach. The authorization server cannot
    // determine which party submitted the invalid refresh token, but it will revoke the active
    // refresh token."
    await revokeWholeGrant(deps, config, { grantId: record.grantId, clientId: record.clientId, now, reason: 'refresh_token_reuse' });
    deps.events.publish('token.revoked', {
      tenantId: deps.tenantId,
      clientId: record.clientId,
      tokenType: 'refresh_token',
      jti: record.jti,
      reason: 'reuse_detected',
    });
    throw invalid(`refresh token reuse, family revoked for client ${record.clientId}`);
  };

  return {
    type: 'refresh_token',
    params: ['refresh_token', 'scope'],
    allowsPublicClients: true,
    async handle({ client, params, resources, dpopJkt = null }) {
      const presented = params.refresh_token;
      // RFC 6749 §6: refresh_token is REQUIRED.
      if (presented === undefined) throw OAuthError.invalidRequest('refresh_token is required');
      if (!REFRESH_TOKEN.test(presented)) throw invalid('malformed refresh token');
      const now = Math.floor(deps.clock.now() / 1000);
      const record = await deps.tokens.find(deps.tenantId, opaqueTokenKey(presented));
      if (!record || record.kind !== 'refresh_token') throw invalid('unknown refresh token');
      // RFC 6749 §6: "validate the refresh token and ensure that it was issued to the
      // authenticated client". Nothing is consumed or revoked for another client's token.
      if (record.clientId !== client.clientId) throw invalid(`refresh token of ${record.clientId}`);
      if (record.revokedAt !== null) throw invalid('revoked refresh token');
      // RFC 9449 §5: a refresh token bound to a public client's DPoP key is used only with a
      // proof of that key. Nothing is consumed or revoked: whoever holds the token without the
      // key must not be able to end the family of the client that has both, so this comes before
      // reuse detection too (a rotated token without the key proves nothing about the family).
      const boundTo = record.cnf?.jkt;
      if (boundTo !== undefined) {
        if (dpopJkt === null) throw invalidDpopProof('the refresh token is bound to a DPoP key: send a DPoP proof');
        if (dpopJkt !== boundTo)
          throw OAuthError.invalidGrant('the refresh token is bound to another DPoP key', `refresh token of ${record.clientId} bound to another key`);
      }
      if (record.consumedAt !== null) return reuse(record, now);
      if (record.expiresAt <= now) throw invalid('expired refresh token');
      const userId = deps.subjects.userIdOf(record.clientId, record.subject, record.claims);
      const snapshot = userId === null ? null : readSnapshot(record, userId);
      if (userId === null || snapshot === null) throw invalid('refresh token record is unreadable');
      if (snapshot.familyIat + config.tokens.refreshTokenAbsoluteTtl <= now) throw invalid('refresh token family reached its absolute lifetime');

      const granted = parseScope(record.scope) ?? [];
      const asked = parseScope(params.scope);
      if (asked === null) throw OAuthError.invalidScope('scope is malformed');
      // RFC 6749 §6: "The requested scope MUST NOT include any scope not originally granted by
      // the resource owner, and if omitted is treated as equal to the scope originally granted".
      const widened = asked.find((s) => !granted.includes(s));
      if (widened !== undefined) throw OAuthError.invalidScope('scope may only narrow the original grant', `scope ${widened.slice(0, 100)}`);
      // RFC 9700 §4.14.2 reuse detection must only see replays: every request error (scope,
      // resource, ID token alg) is raised before the consume, so a corrected retry still works.
      const plan = planUserGrant(deps, {
        client,
        grantedScope: granted,
        requestedScope: asked.length ? asked.join(' ') : undefined,
        resources: narrowResources(resources, snapshot.resources),
      });
      const user = await deps.users.get(deps.tenantId, userId);
      if (!user || user.disabled) throw invalid(`user ${userId} unavailable`);

      // S4: one atomic compare-and-set; of two concurrent uses exactly one wins, the other is reuse.
      const consumed = await deps.tokens.consume(deps.tenantId, record.hash, now);
      if (consumed === 'already-consumed') return reuse(record, now);
      if (consumed === 'not-found') throw invalid('refresh token vanished');

      const response = await issueUserGrantTokens({ ...deps, id }, config, {
        client,
        grantType: 'refresh_token',
        user,
        grantedScope: granted,
        plan,
        grantId: record.grantId,
        snapshot,
        // OIDC Core §12.2: the refreshed ID token keeps iss, sub, aud and auth_time; no nonce
        // (it answers no authentication request: connect issue #1025).
        nonce: null,
        refresh: { parentHash: record.hash },
        dpopJkt,
        now,
      });
      deps.events.publish('refresh_token.rotated', { tenantId: deps.tenantId, clientId: client.clientId, jti: record.jti });
      return response;
    },
  };
}
