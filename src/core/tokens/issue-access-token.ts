import { opaqueTokenKey } from '../crypto.ts';
import { OAuthError } from '../errors.ts';
import type { EventPublisher } from '../events.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { AccessTokenFormat, Client } from '../model/client.ts';
import type { SigningAlg } from '../model/key.ts';
import { formatScope, parseScope } from '../model/scope.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Confirmation, TokenRecord } from '../model/token.ts';
import type { Clock } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import type { TokenStore } from '../ports/token-store.ts';
import { GRANT_ID_CLAIM } from './grant-revocation.ts';
import { adminApiAudience, adminMcpAudience, isAdminScope, withAdminResources } from './admin-scopes.ts';
import { createTimeOrderedIds } from './random-ids.ts';
import { createResourceRegistry, type ResourceRegistryConfig } from './resource-indicators.ts';
import { decideScope } from './scope-policy.ts';

/** RFC 9068 §2.1: the `typ` header of a JWT access token. */
export const ACCESS_TOKEN_JWT_TYP = 'at+jwt';

export interface AccessTokenConfig extends ResourceRegistryConfig {
  readonly issuer: string;
  readonly tokens: {
    readonly accessTokenTtl: number;
    readonly accessTokenFormat: AccessTokenFormat;
    readonly accessTokenSigningAlg: SigningAlg;
  };
}

export interface AccessTokenDeps {
  readonly tokens: TokenStore;
  readonly clock: Clock;
  readonly random: Random;
  readonly events: EventPublisher;
  readonly keys: Pick<KeyRing, 'signer'>;
  readonly tenantId: TenantId;
}

/** What was decided before issuing (validate first, issue second). */
export interface AccessTokenPlan {
  readonly client: Client;
  readonly scope: readonly string[];
  readonly audience: readonly string[];
  readonly format: AccessTokenFormat;
  readonly ttl: number;
  /**
   * An absolute cap on `exp` (epoch seconds), e.g. token exchange's subject token `exp`: applied
   * against the `iat` read when the token is minted, so a second ticking over between the check
   * and the issue cannot push `exp` one second past it.
   */
  readonly notAfter?: number;
}

export interface IssueInput {
  readonly plan: AccessTokenPlan;
  readonly grantType: string;
  /** The user id, or the client id for client_credentials. */
  readonly subject: string;
  /** The user's internal id, stored with opaque tokens; omitted (null) for client_credentials. */
  readonly userId?: string | null;
  /**
   * Groups tokens of one authorization: stored with an opaque token (default: its own jti), the
   * `grant_id` claim of a JWT (none without it), so revoking the grant ends the token either way.
   */
  readonly grantId?: string;
  readonly cnf?: Confirmation | null;
  /** Extra claims (auth_time, acr, …) placed in the JWT and kept for introspection. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly jti: string;
  readonly format: AccessTokenFormat;
  readonly expiresIn: number;
  readonly scope: string;
}

export interface AccessTokenIssuer {
  /**
   * Validates a request for an access token: `requestedScope` against `allowedScopes` (default:
   * the client's scopes) and RFC 8707 `resources`. Throws invalid_scope / invalid_target.
   */
  plan(client: Client, requestedScope: string | undefined, resources: readonly string[], allowedScopes?: readonly string[]): AccessTokenPlan;
  /** Issues the planned token: a signed JWT (no store write) or an opaque token (one insert). */
  issue(input: IssueInput): Promise<IssuedAccessToken>;
}

/**
 * Access-token issuance shared by every grant.
 *
 * Audience: RFC 9068 §2.2 makes `aud` REQUIRED. With `resource` it is the resources' audiences;
 * without, it is the issuer itself (the token is then good only at this server's own protected
 * endpoints, e.g. userinfo), never an open-ended "any resource".
 *
 * Format: per resource > per client (`client.accessTokenFormat`) > `tokens.accessTokenFormat`.
 */
export function createAccessTokenIssuer(deps: AccessTokenDeps, config: AccessTokenConfig): AccessTokenIssuer {
  const registry = createResourceRegistry(withAdminResources(config));
  const defaultAudience = [config.issuer] as const;
  const adminAudience = [adminApiAudience(config.issuer)] as const;
  const adminAudiences: readonly string[] = [adminApiAudience(config.issuer), adminMcpAudience(config.issuer)];
  const { accessTokenTtl, accessTokenFormat, accessTokenSigningAlg } = config.tokens;
  const id = createTimeOrderedIds(deps.random, deps.clock);

  return {
    plan(client, requestedScope, resources, allowedScopes = client.scopes) {
      const target = registry.resolve(resources);
      const forAdmin = target.audience.some((a) => adminAudiences.includes(a));
      // RFC 8707 §2 invalid_target ("unwilling to issue"): a token the admin API or the MCP server
      // accepts never also goes to another resource, which could replay it at the admin plane.
      if (forAdmin && target.audience.some((a) => !adminAudiences.includes(a))) {
        throw OAuthError.invalidTarget('the admin API and the MCP server cannot share a token with another resource');
      }
      // A dynamically registered client never gets an admin scope, whatever its stored scope says
      // (registration refuses them too; this holds for rows written before that rule). Nor does a
      // token for other resources: admin scopes are for the admin plane alone (asked for there,
      // invalid_scope; by default, left out).
      const toOthers = !forAdmin && target.audience.length > 0;
      const allowed = client.registrationAccessTokenHash === null && !toOthers ? allowedScopes : allowedScopes.filter((s) => !isAdminScope(s));
      if (toOthers && parseScope(requestedScope)?.some(isAdminScope)) {
        throw OAuthError.invalidScope('admin scopes are for the admin API and the MCP server only');
      }
      const scope = decideScope(requestedScope, allowed, target.acceptedScopes);
      // A token for the admin API or the MCP server without an admin scope would be refused there
      // (403): say so here instead, as RFC 6749 §5.2 invalid_scope ("exceeds the scope granted").
      if (target.audience.some((a) => adminAudiences.includes(a)) && !scope.some(isAdminScope)) {
        throw OAuthError.invalidScope('the admin resources need an admin scope this client is allowed');
      }
      // Admin scopes without `resource`: the token is for the admin API ({issuer}/admin/api/v1),
      // not for the issuer's other endpoints (issue #11).
      const fallback = scope.some(isAdminScope) ? adminAudience : defaultAudience;
      return {
        client,
        scope,
        audience: target.audience.length ? target.audience : fallback,
        format: target.format ?? client.accessTokenFormat ?? accessTokenFormat,
        ttl: target.ttl ?? accessTokenTtl,
      };
    },

    async issue({ plan, grantType, subject, userId = null, grantId, cnf = null, claims = {} }) {
      const iat = Math.floor(deps.clock.now() / 1000);
      const exp = plan.notAfter === undefined ? iat + plan.ttl : Math.min(iat + plan.ttl, plan.notAfter);
      const jti = id(16);
      const scope = formatScope(plan.scope);
      const clientId = plan.client.clientId;
      let token: string;
      if (plan.format === 'jwt') {
        // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti are REQUIRED; scope when granted.
        const payload: Record<string, unknown> = {
          ...claims,
          iss: config.issuer,
          sub: subject,
          aud: plan.audience.length === 1 ? plan.audience[0] : plan.audience,
          exp,
          iat,
          jti,
          client_id: clientId,
        };
        if (scope) payload.scope = scope;
        if (cnf) payload.cnf = cnf;
        // A JWT is not stored: its grant is named in the token, where introspection finds it
        // (grant-revocation.ts denylists the grant), whatever the caller's `claims` said.
        if (grantId !== undefined) payload[GRANT_ID_CLAIM] = grantId;
        // RFC 9068 §2.1: "Resource servers MUST verify that the "typ" header value is "at+jwt""
        token = await deps.keys.signer(accessTokenSigningAlg).signAsync(payload, ACCESS_TOKEN_JWT_TYP);
      } else {
        token = id(32);
        const record: TokenRecord = {
          tenantId: deps.tenantId,
          hash: opaqueTokenKey(token),
          kind: 'access_token',
          jti,
          clientId,
          subject,
          userId,
          scope,
          audience: plan.audience,
          grantId: grantId ?? jti,
          parentHash: null,
          issuedAt: iat,
          expiresAt: exp,
          cnf,
          claims,
          revokedAt: null,
          consumedAt: null,
        };
        await deps.tokens.insert(record);
      }
      deps.events.publish('token.issued', {
        tenantId: deps.tenantId,
        clientId,
        grantType,
        tokenType: 'access_token',
        format: plan.format,
        jti,
        subject,
      });
      return { token, jti, format: plan.format, expiresIn: exp - iat, scope };
    },
  };
}
