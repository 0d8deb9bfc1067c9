import type { ClaimCatalog } from '../claims/claim-catalog.ts';
import { releaseExtraClaims } from '../claims/release-claims.ts';
import type { EventPublisher } from '../events.ts';
import { parseScope } from '../model/scope.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { Client } from '../model/client.ts';
import type { TenantId } from '../model/tenant.ts';
import type { Clock } from '../ports/clock.ts';
import type { TokenDenylist } from '../ports/token-denylist.ts';
import type { TokenStore } from '../ports/token-store.ts';
import { findToken, isActive, type TokenView } from '../tokens/find-token.ts';
import { checkTokenPrincipals, type TokenPrincipalDeps } from '../tokens/token-principals.ts';
import { SERVER_ONLY_CLAIMS } from '../tokens/user-token-claims.ts';
import { mayIntrospect, type IntrospectionAccessConfig } from './access-rules.ts';

/** RFC 7662 §2.2 response members (plus any extra claims the token carries). */
export interface IntrospectionResponse {
  readonly active: boolean;
  readonly [member: string]: unknown;
}

export interface IntrospectionConfig extends IntrospectionAccessConfig {
  readonly issuer: string;
}

export interface IntrospectionDeps extends TokenPrincipalDeps {
  readonly tokens: TokenStore;
  readonly denylist: TokenDenylist;
  readonly clock: Clock;
  readonly events: EventPublisher;
  readonly keys: Pick<KeyRing, 'verifyAsync'>;
  readonly tenantId: TenantId;
  /** Roles, groups and custom attributes the token's client maps to `introspection`. */
  readonly claimCatalog?: ClaimCatalog;
}

export interface Introspector {
  /** Introspects `token` for an authenticated (confidential) caller. Never throws for bad tokens. */
  introspect(caller: Client, token: string): Promise<IntrospectionResponse>;
}

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/** RFC 7662 §2.2: the members describing an active token. */
function describe(view: TokenView, issuer: string, mapped: Readonly<Record<string, unknown>>): IntrospectionResponse {
  const out: Record<string, unknown> = { ...view.claims, ...mapped, active: true };
  for (const name of SERVER_ONLY_CLAIMS) if (name in out) delete out[name];
  if (view.scope) out.scope = view.scope;
  out.client_id = view.clientId;
  // RFC 7662 §2.2 token_type: "Type of the token as defined in Section 5.1 of OAuth 2.0" — an
  // access token's; a refresh token has none.
  if (view.kind === 'access_token') out.token_type = view.cnf?.jkt ? 'DPoP' : 'Bearer';
  out.exp = view.expiresAt;
  out.iat = view.issuedAt;
  if (view.notBefore !== undefined) out.nbf = view.notBefore;
  out.sub = view.subject;
  if (view.audience.length) out.aud = view.audience.length === 1 ? view.audience[0] : view.audience;
  out.iss = issuer;
  out.jti = view.jti;
  if (view.cnf) out.cnf = view.cnf;
  return out as IntrospectionResponse;
}

/** RFC 7662 token introspection for JWT and opaque access tokens and refresh tokens. */
export function createIntrospector(deps: IntrospectionDeps, config: IntrospectionConfig): Introspector {
  const publish = (clientId: string, active: boolean) => deps.events.publish('token.introspected', { tenantId: deps.tenantId, clientId, active });
  return {
    async introspect(caller, token) {
      const view = await findToken(deps, config.issuer, token);
      // RFC 7662 §2.2: "If the introspection call is properly authorized but the token is not
      // active, does not exist on this server, or the protected resource is not allowed to
      // introspect this particular token, then the authorization server MUST return an
      // introspection response with the "active" field set to "false"."
      if (!view || !mayIntrospect(caller.clientId, view, config)) {
        publish(caller.clientId, false);
        return INACTIVE;
      }
      const now = Math.floor(deps.clock.now() / 1000);
      // A token of a disabled or deleted client or user is not "currently active" (RFC 7662
      // §2.2). The reads run beside the denylist reads; the caller, just authenticated, is known.
      const [active, principals] = await Promise.all([isActive(view, now, deps.denylist, deps.tenantId), checkTokenPrincipals(deps, view, { client: caller })]);
      if (!active || !principals.available) {
        publish(caller.clientId, false);
        return INACTIVE;
      }
      publish(caller.clientId, true);
      // Claims the token's client (not the caller) maps to introspection, for the token's scope,
      // read from the user now: a resource server sees current roles, groups and attributes.
      const user = principals.user;
      const mapped =
        user && view.kind === 'access_token' && deps.claimCatalog
          ? releaseExtraClaims(deps.claimCatalog, user, principals.client, parseScope(view.scope) ?? [], { destination: 'introspection', byScope: false })
          : {};
      return describe(view, config.issuer, mapped);
    },
  };
}
